// Lobby bodies of the control protocol (docs/protocol.md §15). Same rules as the other bodies:
// one encoding per message, every limit of lobby_messages.hpp checked by the decoder before it
// allocates, a cut input `truncated`, anything else wrong `malformed`.
#include "control/lobby_codec.hpp"

#include <string>

#include "control/codec_primitives.hpp"

namespace kettle::control::detail {

namespace {

// Smallest encodings, for get_count's "can the bytes left hold this many" check.
constexpr std::size_t kEntryMinBytes = 1 + 1 + 1;            // key length, 1 key byte, value length
constexpr std::size_t kMemberMinBytes = 8 + 1 + 1 + 1;       // id, name length, 1 name byte, data count
constexpr std::size_t kSummaryMinBytes = 8 + 8 + 2 + 2 + 1;  // lobby, owner, members, limit, data count
constexpr std::size_t kFilterMinBytes = 1 + 1;               // kind, distance
constexpr std::uint8_t kMaxLobbyType = 3;                    // 4 (PRIVATE_UNIQUE) is Steam web-API only
constexpr std::uint8_t kMaxFilterKind = 4;                   // LobbyFilterKind::distance
constexpr std::uint64_t kMaxDistance = 3;                    // ELobbyDistanceFilter: close..worldwide

// ---------------------------------------------------------------- encoding

template <class W>
void put_entries(W& w, const std::vector<LobbyEntry>& entries) {
  w.varint(entries.size());
  for (const auto& e : entries) {
    put_str(w, e.key);
    put_str(w, e.value);
  }
}

template <class W>
void put_member(W& w, const LobbyMember& m) {
  put_steam_id(w, m.id);
  put_str(w, m.persona_name);
  put_entries(w, m.data);
}

template <class W>
void put_state(W& w, const LobbyState& s) {
  put_steam_id(w, s.lobby);
  w.u8(static_cast<std::uint8_t>(s.type));
  w.u16(s.max_members);
  put_bool(w, s.joinable);
  put_steam_id(w, s.owner);
  w.varint(s.members.size());
  for (const auto& m : s.members) put_member(w, m);
  put_entries(w, s.data);
}

template <class W>
void put_summary(W& w, const LobbySummary& s) {
  put_steam_id(w, s.lobby);
  put_steam_id(w, s.owner);
  w.u16(s.members);
  w.u16(s.max_members);
  put_entries(w, s.data);
}

// Only the fields the kind uses are sent, so a filter has one encoding.
template <class W>
void put_filter(W& w, const LobbyFilter& f) {
  w.u8(static_cast<std::uint8_t>(f.kind));
  switch (f.kind) {
    case LobbyFilterKind::string:
      put_str(w, f.key);
      put_str(w, f.text);
      w.u8(static_cast<std::uint8_t>(f.comparison));
      break;
    case LobbyFilterKind::numerical:
      put_str(w, f.key);
      w.u64(static_cast<std::uint64_t>(f.number));
      w.u8(static_cast<std::uint8_t>(f.comparison));
      break;
    case LobbyFilterKind::near_value:
      put_str(w, f.key);
      w.u64(static_cast<std::uint64_t>(f.number));
      break;
    case LobbyFilterKind::slots_available:
      w.u64(static_cast<std::uint64_t>(f.number));
      break;
    case LobbyFilterKind::distance:
      w.u8(static_cast<std::uint8_t>(f.number));
      break;
  }
}

// ---------------------------------------------------------------- decoding

template <class T>
std::string bad_value(std::string_view name, T v) {
  return std::string(name) + " " + std::to_string(+v);  // + prints a u8 / i8 as a number
}

Status get_key(ByteReader& r, std::string_view what, std::string& out) {
  KETTLE_TRY(get_str(r, what, kMaxLobbyKeyBytes, out));
  if (out.empty()) return malformed(what, "empty key");
  return {};
}

Status get_entry(ByteReader& r, std::string_view what, LobbyEntry& e) {
  KETTLE_TRY(get_key(r, what, e.key));
  return get_str(r, what, kMaxLobbyValueBytes, e.value);
}

// A list of changes: any order (decode does not merge them). A stored data set (`sorted`) must
// be in strictly ascending byte order of key, so it has no duplicate key and one encoding.
Status get_entries(ByteReader& r, std::string_view what, bool sorted, std::vector<LobbyEntry>& out) {
  std::size_t n = 0;
  KETTLE_TRY(get_count(r, what, kMaxLobbyKeys, kEntryMinBytes, n));
  out.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    KETTLE_TRY(get_entry(r, what, out[i]));
    // std::string compares bytes as unsigned char: the byte order of §15.1.
    if (sorted && i > 0 && !(out[i - 1].key < out[i].key)) return malformed(what, "keys not in ascending order");
  }
  return {};
}

Status get_lobby_type(ByteReader& r, std::string_view what, LobbyType& out) {
  const std::uint8_t v = r.u8();
  KETTLE_TRY(need(r, what));
  if (v > kMaxLobbyType) return malformed(what, bad_value("lobby type", v));
  out = static_cast<LobbyType>(v);
  return {};
}

// A member limit: [min, kMaxLobbyMembers].
Status get_limit(ByteReader& r, std::string_view what, std::uint16_t min, std::uint16_t& out) {
  out = r.u16();
  KETTLE_TRY(need(r, what));
  if (out < min || out > kMaxLobbyMembers) return malformed(what, bad_value("member limit", out));
  return {};
}

Status get_chat(ByteReader& r, std::string_view what, std::vector<std::uint8_t>& out) {
  KETTLE_TRY(get_blob(r, what, kMaxLobbyChatBytes, out));
  if (out.empty()) return malformed(what, "empty chat message");
  return {};
}

Status get_member(ByteReader& r, LobbyMember& m) {
  KETTLE_TRY(get_steam_id(r, "lobby member", m.id));
  KETTLE_TRY(get_name(r, "lobby member persona name", kMaxPersonaNameBytes, false, m.persona_name));
  return get_entries(r, "lobby member data", true, m.data);
}

Status get_state(ByteReader& r, LobbyState& s) {
  KETTLE_TRY(get_steam_id(r, "lobby state", s.lobby));
  KETTLE_TRY(get_lobby_type(r, "lobby state", s.type));
  KETTLE_TRY(get_limit(r, "lobby state", 1, s.max_members));
  KETTLE_TRY(get_bool(r, "lobby state joinable", s.joinable));
  KETTLE_TRY(get_steam_id(r, "lobby state owner", s.owner));
  std::size_t n = 0;
  KETTLE_TRY(get_count(r, "lobby member list", kMaxLobbyMembers, kMemberMinBytes, n));
  s.members.resize(n);
  for (auto& m : s.members) KETTLE_TRY(get_member(r, m));
  return get_entries(r, "lobby data", true, s.data);
}

Status get_summary(ByteReader& r, LobbySummary& s) {
  KETTLE_TRY(get_steam_id(r, "lobby summary", s.lobby));
  KETTLE_TRY(get_steam_id(r, "lobby summary owner", s.owner));
  s.members = r.u16();
  KETTLE_TRY(need(r, "lobby summary"));
  if (s.members > kMaxLobbyMembers) return malformed("lobby summary", bad_value("member count", s.members));
  KETTLE_TRY(get_limit(r, "lobby summary", 1, s.max_members));
  return get_entries(r, "lobby summary data", true, s.data);
}

Status get_comparison(ByteReader& r, LobbyComparison& out) {
  const auto v = static_cast<std::int8_t>(r.u8());
  KETTLE_TRY(need(r, "lobby filter comparison"));
  if (v < static_cast<std::int8_t>(LobbyComparison::equal_or_less) ||
      v > static_cast<std::int8_t>(LobbyComparison::not_equal)) {
    return malformed("lobby filter", bad_value("comparison", v));
  }
  out = static_cast<LobbyComparison>(v);
  return {};
}

Status get_number(ByteReader& r, std::int64_t& out) {
  out = static_cast<std::int64_t>(r.u64());
  return need(r, "lobby filter value");
}

Status get_filter(ByteReader& r, LobbyFilter& f) {
  const std::uint8_t kind = r.u8();
  KETTLE_TRY(need(r, "lobby filter"));
  if (kind > kMaxFilterKind) return malformed("lobby filter", bad_value("kind", kind));
  f.kind = static_cast<LobbyFilterKind>(kind);
  switch (f.kind) {
    case LobbyFilterKind::string:
      KETTLE_TRY(get_key(r, "lobby filter key", f.key));
      KETTLE_TRY(get_str(r, "lobby filter text", kMaxLobbyValueBytes, f.text));
      return get_comparison(r, f.comparison);
    case LobbyFilterKind::numerical:
      KETTLE_TRY(get_key(r, "lobby filter key", f.key));
      KETTLE_TRY(get_number(r, f.number));
      return get_comparison(r, f.comparison);
    case LobbyFilterKind::near_value:
      KETTLE_TRY(get_key(r, "lobby filter key", f.key));
      return get_number(r, f.number);
    case LobbyFilterKind::slots_available:
      return get_number(r, f.number);
    case LobbyFilterKind::distance: {
      const std::uint8_t d = r.u8();
      KETTLE_TRY(need(r, "lobby filter distance"));
      if (d > kMaxDistance) return malformed("lobby filter", bad_value("distance", d));
      f.number = d;
      return {};
    }
  }
  return {};
}

// u8 presence flag, which must say what `expected` says.
Status get_presence(ByteReader& r, std::string_view what, bool expected, bool& present) {
  KETTLE_TRY(get_bool(r, what, present));
  if (present != expected) return malformed(what, present ? "present but not allowed" : "missing");
  return {};
}

bool is_enter_response(std::uint8_t v) {
  switch (static_cast<EnterResponse>(v)) {
    case EnterResponse::success:
    case EnterResponse::doesnt_exist:
    case EnterResponse::not_allowed:
    case EnterResponse::full:
    case EnterResponse::error:
    case EnterResponse::banned:
    case EnterResponse::rate_limit_exceeded:
      return true;
  }
  return false;
}

bool is_member_change(std::uint8_t v) {
  switch (static_cast<MemberChange>(v)) {
    case MemberChange::entered:
    case MemberChange::left:
    case MemberChange::disconnected:
    case MemberChange::kicked:
    case MemberChange::banned:
      return true;
  }
  return false;
}

}  // namespace

// ---------------------------------------------------------------- bodies: client → server

template <class W>
void put_body(W& w, const CreateLobby& m) {
  w.u8(static_cast<std::uint8_t>(m.type));
  w.u16(m.max_members);
}
Status get_body(ByteReader& r, CreateLobby& m) {
  KETTLE_TRY(get_lobby_type(r, "create lobby", m.type));
  return get_limit(r, "create lobby", 1, m.max_members);
}

template <class W>
void put_body(W& w, const JoinLobby& m) {
  put_steam_id(w, m.lobby);
}
Status get_body(ByteReader& r, JoinLobby& m) { return get_steam_id(r, "join lobby", m.lobby); }

template <class W>
void put_body(W& w, const LeaveLobby& m) {
  put_steam_id(w, m.lobby);
}
Status get_body(ByteReader& r, LeaveLobby& m) { return get_steam_id(r, "leave lobby", m.lobby); }

template <class W>
void put_body(W& w, const SetLobbyData& m) {
  put_steam_id(w, m.lobby);
  put_entries(w, m.changes);
}
Status get_body(ByteReader& r, SetLobbyData& m) {
  KETTLE_TRY(get_steam_id(r, "set lobby data", m.lobby));
  return get_entries(r, "set lobby data", false, m.changes);
}

template <class W>
void put_body(W& w, const SetLobbyMemberData& m) {
  put_steam_id(w, m.lobby);
  put_entries(w, m.changes);
}
Status get_body(ByteReader& r, SetLobbyMemberData& m) {
  KETTLE_TRY(get_steam_id(r, "set lobby member data", m.lobby));
  return get_entries(r, "set lobby member data", false, m.changes);
}

template <class W>
void put_body(W& w, const SetLobbySetting& m) {
  put_steam_id(w, m.lobby);
  w.u8(static_cast<std::uint8_t>(m.setting));
  w.u64(m.value);
}
Status get_body(ByteReader& r, SetLobbySetting& m) {
  KETTLE_TRY(get_steam_id(r, "set lobby setting", m.lobby));
  const std::uint8_t setting = r.u8();
  m.value = r.u64();
  KETTLE_TRY(need(r, "set lobby setting"));
  const auto bad = [&] { return malformed("set lobby setting", bad_value("value", m.value)); };
  m.setting = static_cast<LobbySetting>(setting);
  switch (m.setting) {
    case LobbySetting::owner:
      return {};
    case LobbySetting::member_limit:
      if (m.value < 1 || m.value > kMaxLobbyMembers) return bad();
      return {};
    case LobbySetting::joinable:
      if (m.value > 1) return bad();
      return {};
    case LobbySetting::type:
      if (m.value > kMaxLobbyType) return bad();
      return {};
  }
  return malformed("set lobby setting", bad_value("setting", setting));
}

template <class W>
void put_body(W& w, const SendLobbyChat& m) {
  put_steam_id(w, m.lobby);
  put_blob(w, m.body);
}
Status get_body(ByteReader& r, SendLobbyChat& m) {
  KETTLE_TRY(get_steam_id(r, "send lobby chat", m.lobby));
  return get_chat(r, "send lobby chat", m.body);
}

template <class W>
void put_body(W& w, const RequestLobbyList& m) {
  w.varint(m.filters.size());
  for (const auto& f : m.filters) put_filter(w, f);
  w.u16(m.max_results);
}
Status get_body(ByteReader& r, RequestLobbyList& m) {
  std::size_t n = 0;
  KETTLE_TRY(get_count(r, "lobby filter list", kMaxLobbyFilters, kFilterMinBytes, n));
  m.filters.resize(n);
  for (auto& f : m.filters) KETTLE_TRY(get_filter(r, f));
  m.max_results = r.u16();
  KETTLE_TRY(need(r, "request lobby list"));
  if (m.max_results < 1 || m.max_results > kMaxLobbyResults) {
    return malformed("request lobby list", bad_value("max results", m.max_results));
  }
  return {};
}

template <class W>
void put_body(W& w, const RequestLobbyData& m) {
  put_steam_id(w, m.lobby);
}
Status get_body(ByteReader& r, RequestLobbyData& m) { return get_steam_id(r, "request lobby data", m.lobby); }

template <class W>
void put_body(W& w, const InviteToLobby& m) {
  put_steam_id(w, m.lobby);
  put_steam_id(w, m.invitee);
}
Status get_body(ByteReader& r, InviteToLobby& m) {
  KETTLE_TRY(get_steam_id(r, "invite to lobby", m.lobby));
  return get_steam_id(r, "invite to lobby", m.invitee);
}

template <class W>
void put_body(W& w, const SendJoinIntent& m) {
  put_steam_id(w, m.user);
  put_steam_id(w, m.lobby);
}
Status get_body(ByteReader& r, SendJoinIntent& m) {
  KETTLE_TRY(get_steam_id(r, "send join intent", m.user));
  return get_steam_id(r, "send join intent", m.lobby);
}

// ---------------------------------------------------------------- bodies: server → client

template <class W>
void put_body(W& w, const LobbyEntered& m) {
  w.u8(static_cast<std::uint8_t>(m.response));
  put_steam_id(w, m.lobby);
  put_bool(w, m.state.has_value());
  if (m.state) put_state(w, *m.state);
}
Status get_body(ByteReader& r, LobbyEntered& m) {
  const std::uint8_t response = r.u8();
  KETTLE_TRY(need(r, "lobby entered"));
  if (!is_enter_response(response)) return malformed("lobby entered", bad_value("response", response));
  m.response = static_cast<EnterResponse>(response);
  KETTLE_TRY(get_steam_id(r, "lobby entered", m.lobby));
  bool present = false;
  KETTLE_TRY(get_presence(r, "lobby entered state", m.response == EnterResponse::success, present));
  if (present) KETTLE_TRY(get_state(r, m.state.emplace()));
  return {};
}

template <class W>
void put_body(W& w, const LobbyMemberUpdate& m) {
  put_steam_id(w, m.lobby);
  put_steam_id(w, m.member);
  put_steam_id(w, m.making_change);
  w.u8(static_cast<std::uint8_t>(m.change));
  put_bool(w, m.entered.has_value());
  if (m.entered) put_member(w, *m.entered);
  put_steam_id(w, m.new_owner);
}
Status get_body(ByteReader& r, LobbyMemberUpdate& m) {
  KETTLE_TRY(get_steam_id(r, "lobby member update", m.lobby));
  KETTLE_TRY(get_steam_id(r, "lobby member update", m.member));
  KETTLE_TRY(get_steam_id(r, "lobby member update", m.making_change));
  const std::uint8_t change = r.u8();
  KETTLE_TRY(need(r, "lobby member update"));
  if (!is_member_change(change)) return malformed("lobby member update", bad_value("change", change));
  m.change = static_cast<MemberChange>(change);
  bool present = false;
  KETTLE_TRY(get_presence(r, "lobby member update entered", m.change == MemberChange::entered, present));
  if (present) KETTLE_TRY(get_member(r, m.entered.emplace()));
  return get_steam_id(r, "lobby member update new owner", m.new_owner);
}

template <class W>
void put_body(W& w, const LobbyDataUpdate& m) {
  put_steam_id(w, m.lobby);
  put_steam_id(w, m.member);
  put_entries(w, m.changes);
  put_steam_id(w, m.owner);
  w.u16(m.max_members);
  put_bool(w, m.joinable);
  w.u8(static_cast<std::uint8_t>(m.type));
}
Status get_body(ByteReader& r, LobbyDataUpdate& m) {
  KETTLE_TRY(get_steam_id(r, "lobby data update", m.lobby));
  KETTLE_TRY(get_steam_id(r, "lobby data update", m.member));
  KETTLE_TRY(get_entries(r, "lobby data update", false, m.changes));
  KETTLE_TRY(get_steam_id(r, "lobby data update owner", m.owner));
  // 0 allowed: the settings are ignored in a member-data update.
  KETTLE_TRY(get_limit(r, "lobby data update", 0, m.max_members));
  KETTLE_TRY(get_bool(r, "lobby data update joinable", m.joinable));
  return get_lobby_type(r, "lobby data update", m.type);
}

template <class W>
void put_body(W& w, const LobbyChat& m) {
  put_steam_id(w, m.lobby);
  put_steam_id(w, m.from);
  put_blob(w, m.body);
}
Status get_body(ByteReader& r, LobbyChat& m) {
  KETTLE_TRY(get_steam_id(r, "lobby chat", m.lobby));
  KETTLE_TRY(get_steam_id(r, "lobby chat", m.from));
  return get_chat(r, "lobby chat", m.body);
}

template <class W>
void put_body(W& w, const LobbyList& m) {
  w.varint(m.lobbies.size());
  for (const auto& s : m.lobbies) put_summary(w, s);
}
Status get_body(ByteReader& r, LobbyList& m) {
  std::size_t n = 0;
  KETTLE_TRY(get_count(r, "lobby list", kMaxLobbyResults, kSummaryMinBytes, n));
  m.lobbies.resize(n);
  for (auto& s : m.lobbies) KETTLE_TRY(get_summary(r, s));
  return {};
}

// The summary is sent iff the lobby exists: `exists` is its presence flag.
template <class W>
void put_body(W& w, const LobbyData& m) {
  put_bool(w, m.exists);
  if (m.exists) put_summary(w, m.summary);
}
Status get_body(ByteReader& r, LobbyData& m) {
  KETTLE_TRY(get_bool(r, "lobby data", m.exists));
  if (m.exists) return get_summary(r, m.summary);
  return {};
}

template <class W>
void put_body(W& w, const LobbyInvite& m) {
  put_steam_id(w, m.lobby);
  put_steam_id(w, m.from);
  w.u32(m.app_id);
}
Status get_body(ByteReader& r, LobbyInvite& m) {
  KETTLE_TRY(get_steam_id(r, "lobby invite", m.lobby));
  KETTLE_TRY(get_steam_id(r, "lobby invite", m.from));
  m.app_id = r.u32();
  return need(r, "lobby invite");
}

template <class W>
void put_body(W& w, const LobbyJoinRequested& m) {
  put_steam_id(w, m.lobby);
  put_steam_id(w, m.from);
}
Status get_body(ByteReader& r, LobbyJoinRequested& m) {
  KETTLE_TRY(get_steam_id(r, "lobby join requested", m.lobby));
  return get_steam_id(r, "lobby join requested", m.from);
}

template <class W>
void put_body(W& w, const LobbyKicked& m) {
  put_steam_id(w, m.lobby);
  put_steam_id(w, m.admin);
}
Status get_body(ByteReader& r, LobbyKicked& m) {
  KETTLE_TRY(get_steam_id(r, "lobby kicked", m.lobby));
  return get_steam_id(r, "lobby kicked", m.admin);
}

// The two writers of encode() (messages.cpp).
#define KETTLE_LOBBY_PUT_BODY(T)                               \
  template void put_body<SizeCounter>(SizeCounter&, const T&); \
  template void put_body<ByteWriter>(ByteWriter&, const T&)
KETTLE_LOBBY_PUT_BODY(CreateLobby);
KETTLE_LOBBY_PUT_BODY(JoinLobby);
KETTLE_LOBBY_PUT_BODY(LeaveLobby);
KETTLE_LOBBY_PUT_BODY(SetLobbyData);
KETTLE_LOBBY_PUT_BODY(SetLobbyMemberData);
KETTLE_LOBBY_PUT_BODY(SetLobbySetting);
KETTLE_LOBBY_PUT_BODY(SendLobbyChat);
KETTLE_LOBBY_PUT_BODY(RequestLobbyList);
KETTLE_LOBBY_PUT_BODY(RequestLobbyData);
KETTLE_LOBBY_PUT_BODY(InviteToLobby);
KETTLE_LOBBY_PUT_BODY(SendJoinIntent);
KETTLE_LOBBY_PUT_BODY(LobbyEntered);
KETTLE_LOBBY_PUT_BODY(LobbyMemberUpdate);
KETTLE_LOBBY_PUT_BODY(LobbyDataUpdate);
KETTLE_LOBBY_PUT_BODY(LobbyChat);
KETTLE_LOBBY_PUT_BODY(LobbyList);
KETTLE_LOBBY_PUT_BODY(LobbyData);
KETTLE_LOBBY_PUT_BODY(LobbyInvite);
KETTLE_LOBBY_PUT_BODY(LobbyJoinRequested);
KETTLE_LOBBY_PUT_BODY(LobbyKicked);
#undef KETTLE_LOBBY_PUT_BODY

}  // namespace kettle::control::detail
