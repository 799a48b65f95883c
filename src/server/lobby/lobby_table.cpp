// LobbyTable: membership, ownership, data, settings, chat and invites (spec §3.1-3.5). Search
// is in lobby_search.cpp.
#include "server/lobby/lobby_table.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "server/lobby/lobby_detail.hpp"

namespace kettle::server::lobby {
namespace {

using control::EnterResponse;
using control::ErrorReply;
using control::LobbyEntry;
using control::MemberChange;
using control::ResultCode;

ErrorReply err(ResultCode code, std::string message) { return ErrorReply{code, std::move(message)}; }

control::LobbyEntered entered(EnterResponse r, SteamID lobby) { return control::LobbyEntered{r, lobby, std::nullopt}; }

// Applies one batch of changes to `data` all or nothing (spec §3.4). `diffs` gets the keys
// whose value really changed, sorted by key, "" for a deleted one. `total` is the lobby's data
// cost (lobby_detail.hpp), updated on success. Errors leave `data` and `total` as they are.
std::optional<ErrorReply> apply_changes(DataMap& data, const std::vector<LobbyEntry>& changes,
                                        std::vector<LobbyEntry>& diffs, std::size_t& total) {
  if (changes.size() > control::kMaxLobbyKeys) {
    return err(ResultCode::invalid_param, "more than " + std::to_string(control::kMaxLobbyKeys) + " changes");
  }
  for (const LobbyEntry& c : changes) {
    if (c.key.empty() || c.key.size() > control::kMaxLobbyKeyBytes) {
      return err(ResultCode::invalid_param, "key must be 1-255 bytes");
    }
    if (c.value.size() > control::kMaxLobbyValueBytes) {
      return err(ResultCode::invalid_param, "value over 8191 bytes (key " + c.key + ")");
    }
  }
  DataMap next = data;
  std::set<std::string> touched;
  for (const LobbyEntry& c : changes) {
    touched.insert(c.key);
    if (c.value.empty()) {
      next.erase(c.key);
    } else {
      next.insert_or_assign(c.key, c.value);
    }
  }
  if (next.size() > control::kMaxLobbyKeys) {
    return err(ResultCode::limit_exceeded, "more than " + std::to_string(control::kMaxLobbyKeys) + " keys");
  }
  std::size_t removed = 0, added = 0;
  for (const std::string& k : touched) {
    const auto before = data.find(k);
    const auto after = next.find(k);
    const std::string_view old_v = before == data.end() ? std::string_view() : std::string_view(before->second);
    const std::string_view new_v = after == next.end() ? std::string_view() : std::string_view(after->second);
    if (old_v == new_v) continue;
    if (before != data.end()) removed += control::lobby_entry_cost(k.size(), old_v.size());
    if (after != next.end()) added += control::lobby_entry_cost(k.size(), new_v.size());
    diffs.push_back(LobbyEntry{k, std::string(new_v)});
  }
  const std::size_t next_total = total - removed + added;
  if (added > removed && next_total > control::kMaxLobbyDataTotalBytes) {
    diffs.clear();
    return err(ResultCode::limit_exceeded,
               "the lobby's data would exceed " + std::to_string(control::kMaxLobbyDataTotalBytes) + " bytes in total");
  }
  if (!diffs.empty()) {
    data = std::move(next);
    total = next_total;
  }
  return std::nullopt;
}

}  // namespace

LobbyTable::LobbyTable(LobbyStore& store, Limits limits)
    : store_(store), limits_(limits), next_lobby_(store.first_lobby_number()) {}
LobbyTable::~LobbyTable() = default;

// ---- helpers ----

LobbyTable::Lobby* LobbyTable::find(SteamID id, std::uint32_t app_id) const {
  if (!id.IsLobby()) return nullptr;
  const auto it = lobbies_.find(id);
  if (it == lobbies_.end() || it->second->app_id != app_id) return nullptr;
  return it->second.get();
}

std::size_t LobbyTable::invisible_count(SteamID user) const {
  const auto it = member_of_.find(user);
  if (it == member_of_.end()) return 0;
  return static_cast<std::size_t>(std::count_if(it->second.begin(), it->second.end(),
                                                [&](SteamID id) { return is_invisible(lobbies_.at(id)->type); }));
}

void LobbyTable::put_lobby(const Lobby& l) {
  store_.queue(PutLobby{l.id, l.app_id, l.type, l.max_members, l.joinable, l.owner, l.created_seq});
}

void LobbyTable::tell_members(const Lobby& l, const Notification& n, Deliveries& out) const {
  for (const Lobby::Member& m : l.members) out.push_back(Delivery{m.id, n});
}

control::LobbyState LobbyTable::state_of(const Lobby& l) {
  control::LobbyState s;
  s.lobby = l.id;
  s.type = l.type;
  s.max_members = l.max_members;
  s.joinable = l.joinable;
  s.owner = l.owner;
  s.members.reserve(l.members.size());
  for (const Lobby::Member& m : l.members) {
    s.members.push_back(control::LobbyMember{m.id, m.persona_name, entries_of(m.data)});
  }
  s.data = entries_of(l.data);
  return s;
}

control::LobbySummary LobbyTable::summary_of(const Lobby& l) {
  return control::LobbySummary{l.id, l.owner, static_cast<std::uint16_t>(l.members.size()), l.max_members,
                               entries_of(l.data)};
}

control::LobbyDataUpdate LobbyTable::settings_update(const Lobby& l) {
  control::LobbyDataUpdate u;
  u.lobby = l.id;
  u.member = l.id;
  u.owner = l.owner;
  u.max_members = l.max_members;
  u.joinable = l.joinable;
  u.type = l.type;
  return u;
}

void LobbyTable::add_member(Lobby& l, const Actor& a, Deliveries& out) {
  Lobby::Member m{a.user, a.persona_name, {}, next_seq_++};
  // The others learn of the joiner with its name, so their name caches are complete.
  tell_members(l,
               control::LobbyMemberUpdate{l.id, a.user, a.user, MemberChange::entered,
                                          control::LobbyMember{a.user, a.persona_name, {}}, SteamID()},
               out);
  store_.queue(PutMember{l.id, a.user, m.join_seq, a.persona_name});
  l.members.push_back(std::move(m));
  member_of_[a.user].push_back(l.id);
}

void LobbyTable::remove_member(Lobby& l, SteamID user, SteamID making_change, MemberChange change, Deliveries& out) {
  const auto it =
      std::find_if(l.members.begin(), l.members.end(), [&](const Lobby::Member& m) { return m.id == user; });
  if (it == l.members.end()) return;
  l.data_bytes -= data_cost(it->data);
  l.members.erase(it);
  if (auto m = member_of_.find(user); m != member_of_.end()) {
    std::erase(m->second, l.id);
    if (m->second.empty()) member_of_.erase(m);
  }
  const SteamID id = l.id;
  if (l.members.empty()) {
    store_.queue(DeleteLobby{id});
    if (auto c = per_app_.find(l.app_id); c != per_app_.end() && --c->second == 0) per_app_.erase(c);
    lobbies_.erase(id);  // destroys l
    return;
  }
  store_.queue(RemoveMember{id, user});
  SteamID new_owner;
  if (l.owner == user) {
    l.owner = l.members.front().id;  // join order: the longest present
    new_owner = l.owner;
    put_lobby(l);
  }
  tell_members(l, control::LobbyMemberUpdate{id, user, making_change, change, std::nullopt, new_owner}, out);
}

void LobbyTable::leave_regular(SteamID user, Deliveries& out) {
  const auto it = member_of_.find(user);
  if (it == member_of_.end()) return;
  const std::vector<SteamID> mine = it->second;  // remove_member edits the original
  for (SteamID id : mine) {
    Lobby& l = *lobbies_.at(id);
    if (!is_invisible(l.type)) remove_member(l, user, user, MemberChange::left, out);
  }
}

// ---- requests ----

Reply LobbyTable::create(const Actor& a, const control::CreateLobby& m, Deliveries& out) {
  if (!a.user.BIndividualAccount()) return err(ResultCode::invalid_param, "the caller is not a user");
  if (a.app_id == 0) return err(ResultCode::access_denied, "lobbies need an app");
  if (static_cast<std::uint8_t>(m.type) > static_cast<std::uint8_t>(control::LobbyType::invisible)) {
    return err(ResultCode::invalid_param, "lobby type must be 0-3");
  }
  if (m.max_members < 1 || m.max_members > control::kMaxLobbyMembers) {
    return err(ResultCode::invalid_param, "max members must be 1-250");
  }
  if (const auto c = per_app_.find(a.app_id); c != per_app_.end() && c->second >= limits_.max_lobbies_per_app) {
    return err(ResultCode::limit_exceeded, "this app has too many lobbies");
  }
  if (is_invisible(m.type) && invisible_count(a.user) >= limits_.max_invisible_per_user) {
    return err(ResultCode::limit_exceeded, "already in the most invisible lobbies a user may be in");
  }
  if (next_lobby_ == 0) return err(ResultCode::fail, "lobby ids exhausted");
  if (!is_invisible(m.type)) leave_regular(a.user, out);

  auto l = std::make_unique<Lobby>();
  l->id = SteamID::lobby(next_lobby_++);
  l->app_id = a.app_id;
  l->type = m.type;
  l->max_members = m.max_members;
  l->owner = a.user;
  l->created_seq = next_seq_++;
  Lobby& lobby = *l;
  lobbies_.emplace(lobby.id, std::move(l));
  ++per_app_[a.app_id];
  put_lobby(lobby);
  add_member(lobby, a, out);
  return control::LobbyEntered{EnterResponse::success, lobby.id, state_of(lobby)};
}

Reply LobbyTable::join(const Actor& a, const control::JoinLobby& m, Deliveries& out) {
  Lobby* l = find(m.lobby, a.app_id);
  if (l == nullptr) return entered(EnterResponse::doesnt_exist, m.lobby);
  if (!a.user.BIndividualAccount()) return entered(EnterResponse::error, m.lobby);
  if (l->has(a.user)) return control::LobbyEntered{EnterResponse::success, l->id, state_of(*l)};
  if (l->banned.contains(a.user)) return entered(EnterResponse::banned, m.lobby);
  if (!l->joinable) return entered(EnterResponse::not_allowed, m.lobby);
  if (l->type == control::LobbyType::private_only && !l->invited.contains(a.user)) {
    return entered(EnterResponse::not_allowed, m.lobby);
  }
  if (l->full()) return entered(EnterResponse::full, m.lobby);
  if (is_invisible(l->type)) {
    if (invisible_count(a.user) >= limits_.max_invisible_per_user) return entered(EnterResponse::error, m.lobby);
  } else {
    leave_regular(a.user, out);  // never `l`: the caller is not in it
  }
  add_member(*l, a, out);
  return control::LobbyEntered{EnterResponse::success, l->id, state_of(*l)};
}

Reply LobbyTable::leave(const Actor& a, const control::LeaveLobby& m, Deliveries& out) {
  Lobby* l = find(m.lobby, a.app_id);
  if (l == nullptr || !l->has(a.user)) return err(ResultCode::invalid_param, "not a member of that lobby");
  remove_member(*l, a.user, a.user, MemberChange::left, out);
  return control::Ok{};
}

Reply LobbyTable::set_data(const Actor& a, const control::SetLobbyData& m, Deliveries& out) {
  Lobby* l = find(m.lobby, a.app_id);
  if (l == nullptr) return err(ResultCode::invalid_param, "no such lobby");
  if (!l->has(a.user)) return err(ResultCode::access_denied, "not a member of that lobby");
  if (l->owner != a.user) return err(ResultCode::access_denied, "only the owner sets lobby data");
  std::vector<LobbyEntry> diffs;
  if (auto e = apply_changes(l->data, m.changes, diffs, l->data_bytes)) return *std::move(e);
  if (diffs.empty()) return control::Ok{};
  for (const LobbyEntry& d : diffs) store_.queue(PutData{l->id, SteamID(), d.key, d.value});
  control::LobbyDataUpdate u = settings_update(*l);
  u.changes = std::move(diffs);
  tell_members(*l, u, out);
  return control::Ok{};
}

Reply LobbyTable::set_member_data(const Actor& a, const control::SetLobbyMemberData& m, Deliveries& out) {
  Lobby* l = find(m.lobby, a.app_id);
  if (l == nullptr) return err(ResultCode::invalid_param, "no such lobby");
  Lobby::Member* me = l->find(a.user);
  if (me == nullptr) return err(ResultCode::access_denied, "not a member of that lobby");
  std::vector<LobbyEntry> diffs;
  if (auto e = apply_changes(me->data, m.changes, diffs, l->data_bytes)) return *std::move(e);
  if (diffs.empty()) return control::Ok{};
  for (const LobbyEntry& d : diffs) store_.queue(PutData{l->id, a.user, d.key, d.value});
  control::LobbyDataUpdate u;
  u.lobby = l->id;
  u.member = a.user;
  u.changes = std::move(diffs);
  tell_members(*l, u, out);
  return control::Ok{};
}

Reply LobbyTable::set_setting(const Actor& a, const control::SetLobbySetting& m, Deliveries& out) {
  Lobby* l = find(m.lobby, a.app_id);
  if (l == nullptr) return err(ResultCode::invalid_param, "no such lobby");
  if (!l->has(a.user)) return err(ResultCode::access_denied, "not a member of that lobby");
  if (l->owner != a.user) return err(ResultCode::access_denied, "only the owner changes lobby settings");
  bool changed = false;
  switch (m.setting) {
    case control::LobbySetting::owner: {
      const SteamID target(m.value);
      if (!l->has(target)) return err(ResultCode::invalid_param, "the new owner must be a member");
      changed = target != l->owner;
      l->owner = target;
      break;
    }
    case control::LobbySetting::member_limit:
      if (m.value < 1 || m.value > control::kMaxLobbyMembers) {
        return err(ResultCode::invalid_param, "member limit must be 1-250");
      }
      changed = m.value != l->max_members;
      l->max_members = static_cast<std::uint16_t>(m.value);
      break;
    case control::LobbySetting::joinable:
      if (m.value > 1) return err(ResultCode::invalid_param, "joinable must be 0 or 1");
      changed = (m.value == 1) != l->joinable;
      l->joinable = m.value == 1;
      break;
    case control::LobbySetting::type:
      if (m.value > static_cast<std::uint8_t>(control::LobbyType::invisible)) {
        return err(ResultCode::invalid_param, "lobby type must be 0-3");
      }
      changed = m.value != static_cast<std::uint8_t>(l->type);
      l->type = static_cast<control::LobbyType>(m.value);
      break;
    default:
      return err(ResultCode::invalid_param, "unknown lobby setting");
  }
  if (!changed) return control::Ok{};
  put_lobby(*l);
  tell_members(*l, settings_update(*l), out);
  return control::Ok{};
}

Reply LobbyTable::chat(const Actor& a, const control::SendLobbyChat& m, Deliveries& out) {
  Lobby* l = find(m.lobby, a.app_id);
  if (l == nullptr) return err(ResultCode::invalid_param, "no such lobby");
  if (!l->has(a.user)) return err(ResultCode::access_denied, "not a member of that lobby");
  if (m.body.empty() || m.body.size() > control::kMaxLobbyChatBytes) {
    return err(ResultCode::invalid_param, "chat message must be 1-4096 bytes");
  }
  tell_members(*l, control::LobbyChat{l->id, a.user, m.body}, out);
  return control::Ok{};
}

Reply LobbyTable::invite(const Actor& a, const control::InviteToLobby& m, Deliveries& out) {
  Lobby* l = find(m.lobby, a.app_id);
  if (l == nullptr) return err(ResultCode::invalid_param, "no such lobby");
  if (!l->has(a.user)) return err(ResultCode::access_denied, "not a member of that lobby");
  if (!m.invitee.BIndividualAccount()) return err(ResultCode::invalid_param, "the invitee is not a user");
  l->invited.insert(m.invitee);
  out.push_back(Delivery{m.invitee, control::LobbyInvite{l->id, a.user, l->app_id}});
  return control::Ok{};
}

Reply LobbyTable::data(const Actor& a, const control::RequestLobbyData& m) const {
  control::LobbyData d;
  d.summary.lobby = m.lobby;  // lets a client match an answer without its request
  if (const Lobby* l = find(m.lobby, a.app_id)) {
    d.exists = true;
    d.summary = summary_of(*l);
  }
  return d;
}

// ---- session end, moderation ----

void LobbyTable::remove_user(SteamID user, MemberChange why, Deliveries& out) {
  if (why == MemberChange::entered) why = MemberChange::left;
  const auto it = member_of_.find(user);
  if (it == member_of_.end()) return;
  const std::vector<SteamID> mine = it->second;
  for (SteamID id : mine) remove_member(*lobbies_.at(id), user, user, why, out);
}

void LobbyTable::kick(SteamID lobby, SteamID user, bool ban, Deliveries& out) {
  const auto it = lobbies_.find(lobby);
  if (it == lobbies_.end()) return;
  Lobby& l = *it->second;
  if (ban) l.banned.insert(user);
  if (!l.has(user)) return;
  // A moderation action has no acting user: making_change and admin stay invalid (0).
  remove_member(l, user, SteamID(), ban ? MemberChange::banned : MemberChange::kicked, out);
  out.push_back(Delivery{user, control::LobbyKicked{lobby, SteamID()}});
}

// ---- queries ----

std::size_t LobbyTable::lobby_count() const noexcept { return lobbies_.size(); }

std::vector<SteamID> LobbyTable::lobbies_of(SteamID user) const {
  const auto it = member_of_.find(user);
  if (it == member_of_.end()) return {};
  std::vector<SteamID> out = it->second;
  std::stable_partition(out.begin(), out.end(), [&](SteamID id) { return !is_invisible(lobbies_.at(id)->type); });
  return out;
}

std::optional<control::LobbyState> LobbyTable::state(SteamID lobby) const {
  const auto it = lobbies_.find(lobby);
  if (it == lobbies_.end()) return std::nullopt;
  return state_of(*it->second);
}

}  // namespace kettle::server::lobby
