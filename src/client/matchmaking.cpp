// kettle::Matchmaking: the lobby API (spec p2p-api.md §3). Reads come from the client's copy
// (client::LobbyShared); requests are queued for the I/O thread's LobbyIo and the thread is
// woken. Invalid arguments are refused here, before anything is sent, with the spec's values.
#include "kettle/matchmaking.hpp"

#include <algorithm>
#include <cstring>

#include "client/client_impl.hpp"

namespace kettle {
namespace {

using client::find_entry;
using client::LobbyShared;
using client::write_entry;

bool logged_on(Client::Impl& m) {
  if (!m.running.load(std::memory_order_acquire)) return false;
  std::lock_guard lock(m.state.mu);
  return m.state.logged_on;
}

SteamID self_of(Client::Impl& m) {
  std::lock_guard lock(m.state.mu);
  return m.state.steam_id;
}

void queue(Client::Impl& m, control::Body body) {
  {
    std::lock_guard lock(m.lobbies.mu);
    m.lobbies.outbox.push_back(std::move(body));
  }
  m.wake();
}

const std::vector<control::LobbyEntry>* lobby_data(LobbyShared& sh, SteamID lobby) {
  if (auto it = sh.joined.find(lobby); it != sh.joined.end()) return &it->second.data;
  if (auto it = sh.snapshots.find(lobby); it != sh.snapshots.end()) return &it->second.data;
  return nullptr;
}

bool valid_key(std::string_view key) { return !key.empty() && key.size() <= control::kMaxLobbyKeyBytes; }

void post_now(Client::Impl& m, const auto& cb) { m.callbacks.post(cb); }

}  // namespace

// ---- create, join, leave ----

SteamAPICall_t Matchmaking::CreateLobby(ELobbyType type, int max_members) {
  auto& m = *client_.impl_;
  if (!m.running.load(std::memory_order_acquire)) return k_uAPICallInvalid;
  const SteamAPICall_t call = m.next_call.fetch_add(1);
  LobbyCreated_t fail;
  if (type < k_ELobbyTypePrivate || type > k_ELobbyTypeInvisible || max_members < 1 ||
      max_members > k_nMaxLobbyMembers) {
    fail.m_eResult = k_EResultInvalidParam;  // async, so the game's handler always runs (§3.2)
    post_now(m, fail);
    return call;
  }
  if (!logged_on(m)) {
    fail.m_eResult = k_EResultNoConnection;
    post_now(m, fail);
    return call;
  }
  queue(m, control::CreateLobby{static_cast<control::LobbyType>(type), static_cast<std::uint16_t>(max_members)});
  return call;
}

SteamAPICall_t Matchmaking::JoinLobby(SteamID lobby) {
  auto& m = *client_.impl_;
  if (!m.running.load(std::memory_order_acquire)) return k_uAPICallInvalid;
  const SteamAPICall_t call = m.next_call.fetch_add(1);
  LobbyEnter_t fail;
  fail.m_ulSteamIDLobby = lobby.value();
  if (!lobby.IsLobby()) {
    fail.m_EChatRoomEnterResponse = k_EChatRoomEnterResponseDoesntExist;
    post_now(m, fail);
    return call;
  }
  if (!logged_on(m)) {
    fail.m_EChatRoomEnterResponse = k_EChatRoomEnterResponseError;
    post_now(m, fail);
    return call;
  }
  queue(m, control::JoinLobby{lobby});
  return call;
}

void Matchmaking::LeaveLobby(SteamID lobby) {
  auto& m = *client_.impl_;
  if (!m.running.load(std::memory_order_acquire)) return;
  {
    std::lock_guard lock(m.lobbies.mu);
    if (m.lobbies.joined.erase(lobby) == 0) return;  // not a member: no effect
    m.lobbies.data_batch.erase(lobby);
    m.lobbies.member_batch.erase(lobby);
  }
  if (logged_on(m)) queue(m, control::LeaveLobby{lobby});
}

bool Matchmaking::InviteUserToLobby(SteamID lobby, SteamID invitee) {
  auto& m = *client_.impl_;
  if (!invitee.BIndividualAccount() || !logged_on(m)) return false;
  {
    std::lock_guard lock(m.lobbies.mu);
    if (!m.lobbies.joined.contains(lobby)) return false;
  }
  queue(m, control::InviteToLobby{lobby, invitee});
  return true;
}

// ---- members and owner ----

int Matchmaking::GetNumLobbyMembers(SteamID lobby) {
  auto& m = *client_.impl_;
  std::lock_guard lock(m.lobbies.mu);
  if (auto it = m.lobbies.joined.find(lobby); it != m.lobbies.joined.end())
    return static_cast<int>(it->second.members.size());
  if (auto it = m.lobbies.snapshots.find(lobby); it != m.lobbies.snapshots.end()) return it->second.members;
  return 0;
}

SteamID Matchmaking::GetLobbyMemberByIndex(SteamID lobby, int index) {
  auto& m = *client_.impl_;
  std::lock_guard lock(m.lobbies.mu);
  auto it = m.lobbies.joined.find(lobby);
  if (it == m.lobbies.joined.end() || index < 0 || index >= static_cast<int>(it->second.members.size()))
    return SteamID();
  return it->second.members[static_cast<std::size_t>(index)].id;
}

SteamID Matchmaking::GetLobbyOwner(SteamID lobby) {
  auto& m = *client_.impl_;
  std::lock_guard lock(m.lobbies.mu);
  auto it = m.lobbies.joined.find(lobby);
  return it == m.lobbies.joined.end() ? SteamID() : it->second.owner;
}

SteamID Matchmaking::GetLobbyOwnerFromSearch(SteamID lobby) {
  auto& m = *client_.impl_;
  std::lock_guard lock(m.lobbies.mu);
  auto it = m.lobbies.snapshots.find(lobby);
  return it == m.lobbies.snapshots.end() ? SteamID() : it->second.owner;
}

namespace {

// Owner-only settings: checked against the local copy, then sent; everyone's LobbyDataUpdate_t
// (the caller's too) follows from the server.
bool set_setting(Client::Impl& m, SteamID lobby, control::LobbySetting setting, std::uint64_t value) {
  if (!logged_on(m)) return false;
  const SteamID self = self_of(m);
  {
    std::lock_guard lock(m.lobbies.mu);
    auto it = m.lobbies.joined.find(lobby);
    if (it == m.lobbies.joined.end() || it->second.owner != self) return false;
    if (setting == control::LobbySetting::owner) {
      const SteamID target(value);
      const auto& ms = it->second.members;
      if (std::none_of(ms.begin(), ms.end(), [&](const control::LobbyMember& x) { return x.id == target; }))
        return false;
    }
  }
  queue(m, control::SetLobbySetting{lobby, setting, value});
  return true;
}

}  // namespace

bool Matchmaking::SetLobbyOwner(SteamID lobby, SteamID new_owner) {
  if (!new_owner.BIndividualAccount()) return false;
  return set_setting(*client_.impl_, lobby, control::LobbySetting::owner, new_owner.value());
}

int Matchmaking::GetLobbyMemberLimit(SteamID lobby) {
  auto& m = *client_.impl_;
  std::lock_guard lock(m.lobbies.mu);
  if (auto it = m.lobbies.joined.find(lobby); it != m.lobbies.joined.end()) return it->second.max_members;
  if (auto it = m.lobbies.snapshots.find(lobby); it != m.lobbies.snapshots.end()) return it->second.max_members;
  return 0;
}

bool Matchmaking::SetLobbyMemberLimit(SteamID lobby, int max_members) {
  if (max_members < 1 || max_members > k_nMaxLobbyMembers) return false;
  return set_setting(*client_.impl_, lobby, control::LobbySetting::member_limit,
                     static_cast<std::uint64_t>(max_members));
}

bool Matchmaking::SetLobbyJoinable(SteamID lobby, bool joinable) {
  return set_setting(*client_.impl_, lobby, control::LobbySetting::joinable, joinable ? 1 : 0);
}

bool Matchmaking::SetLobbyType(SteamID lobby, ELobbyType type) {
  if (type < k_ELobbyTypePrivate || type > k_ELobbyTypeInvisible) return false;
  return set_setting(*client_.impl_, lobby, control::LobbySetting::type, static_cast<std::uint64_t>(type));
}

// ---- metadata ----

bool Matchmaking::SetLobbyData(SteamID lobby, std::string_view key, std::string_view value) {
  auto& m = *client_.impl_;
  if (!valid_key(key) || value.size() > control::kMaxLobbyValueBytes || !logged_on(m)) return false;
  const SteamID self = self_of(m);
  bool changed = false;
  {
    std::lock_guard lock(m.lobbies.mu);
    auto it = m.lobbies.joined.find(lobby);
    if (it == m.lobbies.joined.end() || it->second.owner != self) return false;
    if (!client::fits_lobby_total(it->second, it->second.data, key, value)) return false;
    if (!write_entry(it->second.data, key, value, control::kMaxLobbyKeys, changed)) return false;  // a 257th key
    if (!changed) return true;  // nothing to tell anyone
    m.lobbies.data_batch[lobby][std::string(key)] = std::string(value);
    if (m.lobbies.batch_due == kInstantNever) m.lobbies.batch_due = monotonic_now() + m.lobby_data_batch;
  }
  m.wake();
  return true;
}

std::string Matchmaking::GetLobbyData(SteamID lobby, std::string_view key) {
  auto& m = *client_.impl_;
  std::lock_guard lock(m.lobbies.mu);
  const auto* data = lobby_data(m.lobbies, lobby);
  if (data == nullptr) return {};
  const auto* e = find_entry(*data, key);
  return e != nullptr ? e->value : std::string();
}

bool Matchmaking::DeleteLobbyData(SteamID lobby, std::string_view key) { return SetLobbyData(lobby, key, ""); }

int Matchmaking::GetLobbyDataCount(SteamID lobby) {
  auto& m = *client_.impl_;
  std::lock_guard lock(m.lobbies.mu);
  const auto* data = lobby_data(m.lobbies, lobby);
  return data != nullptr ? static_cast<int>(data->size()) : 0;
}

bool Matchmaking::GetLobbyDataByIndex(SteamID lobby, int index, std::string* key, std::string* value) {
  auto& m = *client_.impl_;
  std::lock_guard lock(m.lobbies.mu);
  const auto* data = lobby_data(m.lobbies, lobby);
  if (data == nullptr || index < 0 || index >= static_cast<int>(data->size())) return false;
  const auto& e = (*data)[static_cast<std::size_t>(index)];
  if (key != nullptr) *key = e.key;
  if (value != nullptr) *value = e.value;
  return true;
}

void Matchmaking::SetLobbyMemberData(SteamID lobby, std::string_view key, std::string_view value) {
  auto& m = *client_.impl_;
  if (!valid_key(key) || value.size() > control::kMaxLobbyValueBytes || !logged_on(m)) return;
  const SteamID self = self_of(m);
  {
    std::lock_guard lock(m.lobbies.mu);
    auto it = m.lobbies.joined.find(lobby);
    if (it == m.lobbies.joined.end()) return;
    auto& ms = it->second.members;
    auto me = std::find_if(ms.begin(), ms.end(), [&](const control::LobbyMember& x) { return x.id == self; });
    if (me == ms.end() || !client::fits_lobby_total(it->second, me->data, key, value)) return;
    bool changed = false;
    if (!write_entry(me->data, key, value, control::kMaxLobbyKeys, changed) || !changed) return;
    m.lobbies.member_batch[lobby][std::string(key)] = std::string(value);
    if (m.lobbies.batch_due == kInstantNever) m.lobbies.batch_due = monotonic_now() + m.lobby_data_batch;
  }
  m.wake();
}

std::string Matchmaking::GetLobbyMemberData(SteamID lobby, SteamID user, std::string_view key) {
  auto& m = *client_.impl_;
  std::lock_guard lock(m.lobbies.mu);
  auto it = m.lobbies.joined.find(lobby);
  if (it == m.lobbies.joined.end()) return {};
  for (const auto& member : it->second.members) {
    if (member.id != user) continue;
    const auto* e = find_entry(member.data, key);
    return e != nullptr ? e->value : std::string();
  }
  return {};
}

bool Matchmaking::RequestLobbyData(SteamID lobby) {
  auto& m = *client_.impl_;
  if (!lobby.IsLobby() || !logged_on(m)) return false;
  queue(m, control::RequestLobbyData{lobby});
  return true;
}

// ---- chat ----

bool Matchmaking::SendLobbyChatMsg(SteamID lobby, const void* body, int size) {
  auto& m = *client_.impl_;
  if (body == nullptr || size < 1 || size > k_cbMaxLobbyChatMsg || !logged_on(m)) return false;
  {
    std::lock_guard lock(m.lobbies.mu);
    if (!m.lobbies.joined.contains(lobby)) return false;
  }
  const auto* p = static_cast<const std::uint8_t*>(body);
  queue(m, control::SendLobbyChat{lobby, std::vector<std::uint8_t>(p, p + size)});
  return true;
}

int Matchmaking::GetLobbyChatEntry(SteamID lobby, int chat_id, SteamID* user, void* out, int out_size,
                                   EChatEntryType* type) {
  auto& m = *client_.impl_;
  if (user != nullptr) *user = SteamID();
  std::lock_guard lock(m.lobbies.mu);
  auto it = m.lobbies.chat.find(static_cast<std::uint32_t>(chat_id));
  if (chat_id <= 0 || it == m.lobbies.chat.end() || it->second.lobby != lobby) return 0;
  if (user != nullptr) *user = it->second.from;
  if (type != nullptr) *type = k_EChatEntryTypeChatMsg;
  if (out == nullptr || out_size <= 0) return 0;
  const std::size_t n = std::min(it->second.body.size(), static_cast<std::size_t>(out_size));
  std::memcpy(out, it->second.body.data(), n);
  return static_cast<int>(n);
}

// ---- search ----

namespace {

void add_filter(Client::Impl& m, control::LobbyFilter f) {
  std::lock_guard lock(m.lobbies.mu);
  if (m.lobbies.filters.size() < control::kMaxLobbyFilters) m.lobbies.filters.push_back(std::move(f));
}

bool valid_comparison(ELobbyComparison c) {
  return c >= k_ELobbyComparisonEqualToOrLessThan && c <= k_ELobbyComparisonNotEqual;
}

}  // namespace

void Matchmaking::AddRequestLobbyListStringFilter(std::string_view key, std::string_view value, ELobbyComparison cmp) {
  if (!valid_key(key) || value.size() > control::kMaxLobbyValueBytes || !valid_comparison(cmp)) return;
  control::LobbyFilter f;
  f.kind = control::LobbyFilterKind::string;
  f.key = key;
  f.text = value;
  f.comparison = static_cast<control::LobbyComparison>(cmp);
  add_filter(*client_.impl_, std::move(f));
}

void Matchmaking::AddRequestLobbyListNumericalFilter(std::string_view key, int value, ELobbyComparison cmp) {
  if (!valid_key(key) || !valid_comparison(cmp)) return;
  control::LobbyFilter f;
  f.kind = control::LobbyFilterKind::numerical;
  f.key = key;
  f.number = value;
  f.comparison = static_cast<control::LobbyComparison>(cmp);
  add_filter(*client_.impl_, std::move(f));
}

void Matchmaking::AddRequestLobbyListNearValueFilter(std::string_view key, int value) {
  if (!valid_key(key)) return;
  control::LobbyFilter f;
  f.kind = control::LobbyFilterKind::near_value;
  f.key = key;
  f.number = value;
  add_filter(*client_.impl_, std::move(f));
}

void Matchmaking::AddRequestLobbyListFilterSlotsAvailable(int slots) {
  control::LobbyFilter f;
  f.kind = control::LobbyFilterKind::slots_available;
  f.number = slots;
  add_filter(*client_.impl_, std::move(f));
}

void Matchmaking::AddRequestLobbyListDistanceFilter(ELobbyDistanceFilter filter) {
  if (filter < k_ELobbyDistanceFilterClose || filter > k_ELobbyDistanceFilterWorldwide) return;
  control::LobbyFilter f;
  f.kind = control::LobbyFilterKind::distance;
  f.number = filter;
  add_filter(*client_.impl_, std::move(f));
}

void Matchmaking::AddRequestLobbyListResultCountFilter(int max_results) {
  auto& m = *client_.impl_;
  std::lock_guard lock(m.lobbies.mu);
  // Spec §3.6: below 1 means the default, above 500 is clamped.
  m.lobbies.max_results =
      max_results < 1 ? control::kDefaultLobbyResults : static_cast<std::uint16_t>(std::min(max_results, 500));
}

SteamAPICall_t Matchmaking::RequestLobbyList() {
  auto& m = *client_.impl_;
  if (!m.running.load(std::memory_order_acquire)) return k_uAPICallInvalid;
  const SteamAPICall_t call = m.next_call.fetch_add(1);
  control::RequestLobbyList req;
  {
    std::lock_guard lock(m.lobbies.mu);
    req.filters = std::move(m.lobbies.filters);
    req.max_results = m.lobbies.max_results;
    m.lobbies.filters.clear();
    m.lobbies.max_results = control::kDefaultLobbyResults;
  }
  if (!logged_on(m)) {
    LobbyMatchList_t none;
    none.m_bIOFailure = true;
    post_now(m, none);
    return call;
  }
  queue(m, std::move(req));
  return call;
}

SteamID Matchmaking::GetLobbyByIndex(int index) {
  auto& m = *client_.impl_;
  std::lock_guard lock(m.lobbies.mu);
  if (index < 0 || index >= static_cast<int>(m.lobbies.results.size())) return SteamID();
  return m.lobbies.results[static_cast<std::size_t>(index)];
}

}  // namespace kettle
