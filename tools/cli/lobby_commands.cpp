// kettle-cli lobby: create, join, watch, list, chat, members through kettle::Client::matchmaking().
// What each action prints and why it ends the way it does: tools/cli/README.md "lobby".
#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <optional>
#include <utility>

#include "cli/internal.hpp"
#include "kettle/matchmaking.hpp"

namespace kettle::cli {
namespace {

using Json = nlohmann::ordered_json;
using Emit = std::function<void(const std::string&)>;

constexpr std::size_t kMaxKeyBytes = k_nMaxLobbyKeyLength;
constexpr std::size_t kMaxValueBytes = k_cubChatMetadataMax - 1;
constexpr std::size_t kMaxKeys = 256;
constexpr std::size_t kMaxFilters = 64;
// Chat text goes out as a C string (spec §3.5: the size includes the NUL), so 4095 bytes of it.
constexpr std::size_t kMaxChatTextBytes = k_cbMaxLobbyChatMsg - 1;

constexpr std::array<std::pair<const char*, ELobbyType>, 4> kTypes{{{"private", k_ELobbyTypePrivate},
                                                                    {"friends", k_ELobbyTypeFriendsOnly},
                                                                    {"public", k_ELobbyTypePublic},
                                                                    {"invisible", k_ELobbyTypeInvisible}}};

std::string id_text(SteamID id) { return std::to_string(id.ConvertToUint64()); }
std::string id_text(uint64 id) { return std::to_string(id); }

// Lines carry other people's bytes (chat, data): invalid UTF-8 becomes U+FFFD rather than an
// exception from the JSON writer.
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// The rules of Steam's `+connect_lobby` argument: whole decimal uint64, a lobby's SteamID.
SteamID parse_lobby_id(const std::string& text) {
  const std::array<const char*, 2> args{"+connect_lobby", text.c_str()};
  return ParseConnectLobbyArg(args);
}

std::optional<std::pair<std::string, std::string>> split_pair(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos) return std::nullopt;
  return std::pair{text.substr(0, eq), text.substr(eq + 1)};
}

std::optional<int> parse_int(std::string_view text) {
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<std::string> bad_key(const std::string& key, const std::string& what) {
  if (key.empty()) return what + ": the key is empty";
  if (key.size() > kMaxKeyBytes)
    return what + ": the key is " + std::to_string(key.size()) + " bytes (at most " + std::to_string(kMaxKeyBytes) +
           ")";
  return std::nullopt;
}

// `--numeric KEY<op>N`: the comparison reads "lobby value op N" (spec §3.1).
struct Numeric {
  std::string key;
  ELobbyComparison cmp = k_ELobbyComparisonEqual;
  int value = 0;
};

std::optional<Numeric> parse_numeric(const std::string& text) {
  const auto at = text.find_first_of("<>=!");
  if (at == std::string::npos || at == 0) return std::nullopt;
  static constexpr std::array<std::pair<std::string_view, ELobbyComparison>, 7> kOps{
      {{"<=", k_ELobbyComparisonEqualToOrLessThan},
       {">=", k_ELobbyComparisonEqualToOrGreaterThan},
       {"!=", k_ELobbyComparisonNotEqual},
       {"==", k_ELobbyComparisonEqual},
       {"<", k_ELobbyComparisonLessThan},
       {">", k_ELobbyComparisonGreaterThan},
       {"=", k_ELobbyComparisonEqual}}};
  const std::string_view rest = std::string_view(text).substr(at);
  for (const auto& [op, cmp] : kOps) {
    if (!rest.starts_with(op)) continue;
    auto v = parse_int(rest.substr(op.size()));
    if (!v) return std::nullopt;
    return Numeric{text.substr(0, at), cmp, *v};
  }
  return std::nullopt;
}

const char* enter_response_name(uint32 r) {
  switch (r) {
    case k_EChatRoomEnterResponseSuccess:
      return "success";
    case k_EChatRoomEnterResponseDoesntExist:
      return "doesnt_exist";
    case k_EChatRoomEnterResponseNotAllowed:
      return "not_allowed";
    case k_EChatRoomEnterResponseFull:
      return "full";
    case k_EChatRoomEnterResponseError:
      return "error";
    case k_EChatRoomEnterResponseBanned:
      return "banned";
    case k_EChatRoomEnterResponseLimited:
      return "limited";
    case k_EChatRoomEnterResponseClanDisabled:
      return "clan_disabled";
    case k_EChatRoomEnterResponseCommunityBan:
      return "community_ban";
    case k_EChatRoomEnterResponseMemberBlockedYou:
      return "member_blocked_you";
    case k_EChatRoomEnterResponseYouBlockedMember:
      return "you_blocked_member";
    case k_EChatRoomEnterResponseRatelimitExceeded:
      return "ratelimit_exceeded";
    default:
      return "unknown";
  }
}

const char* member_change_name(uint32 flags) {
  switch (flags) {
    case k_EChatMemberStateChangeEntered:
      return "entered";
    case k_EChatMemberStateChangeLeft:
      return "left";
    case k_EChatMemberStateChangeDisconnected:
      return "disconnected";
    case k_EChatMemberStateChangeKicked:
      return "kicked";
    case k_EChatMemberStateChangeBanned:
      return "banned";
    default:
      return "changed";
  }
}

Json data_json(Matchmaking& mm, SteamID lobby) {
  Json data = Json::object();
  const int n = mm.GetLobbyDataCount(lobby);
  for (int i = 0; i < n; ++i) {
    std::string k, v;
    if (mm.GetLobbyDataByIndex(lobby, i, &k, &v)) data[k] = v;
  }
  return data;
}

// A lobby this client is in, as the local copy has it now.
Json state_json(Client& c, SteamID lobby) {
  auto& mm = c.matchmaking();
  Json members = Json::array();
  const int n = mm.GetNumLobbyMembers(lobby);
  for (int i = 0; i < n; ++i) {
    const SteamID m = mm.GetLobbyMemberByIndex(lobby, i);
    members.push_back(Json{{"steam_id", id_text(m)}, {"name", c.GetFriendPersonaName(m)}});
  }
  return Json{{"lobby_id", id_text(lobby)},
              {"owner", id_text(mm.GetLobbyOwner(lobby))},
              {"members", std::move(members)},
              {"max_members", mm.GetLobbyMemberLimit(lobby)},
              {"data", data_json(mm, lobby)}};
}

// Prints every update of one lobby as a JSON line with an "event" field, from start() (called
// inside the callback after which the lobby's state is what the caller already printed) on.
// Subscribed before the join, so nothing delivered after that callback is missed.
class EventPrinter {
 public:
  EventPrinter(Client& c, Emit emit) : c_(c), emit_(std::move(emit)) {
    auto& mm = c_.matchmaking();
    handles_.push_back(c_.Subscribe<LobbyChatUpdate_t>([this](const LobbyChatUpdate_t& cb) {
      if (!mine(cb.m_ulSteamIDLobby)) return;
      const SteamID user(cb.m_ulSteamIDUserChanged);
      Json line{{"event", member_change_name(cb.m_rgfChatMemberStateChange)},
                {"lobby_id", id_text(lobby_)},
                {"user", id_text(user)},
                {"name", c_.GetFriendPersonaName(user)}};
      if (cb.m_ulSteamIDMakingChange != cb.m_ulSteamIDUserChanged) line["by"] = id_text(cb.m_ulSteamIDMakingChange);
      emit_(dump(line));
    }));
    handles_.push_back(c_.Subscribe<LobbyDataUpdate_t>([this, &mm](const LobbyDataUpdate_t& cb) {
      if (!mine(cb.m_ulSteamIDLobby)) return;
      if (cb.m_ulSteamIDMember != cb.m_ulSteamIDLobby) {
        // The API reads member data by key only, so the line names the member, not the values.
        emit_(dump(
            Json{{"event", "member_data"}, {"lobby_id", id_text(lobby_)}, {"user", id_text(cb.m_ulSteamIDMember)}}));
        return;
      }
      // One callback for owner, settings and data changes: the line says which changed.
      const SteamID owner = mm.GetLobbyOwner(lobby_);
      if (owner != owner_) {
        emit_(dump(Json{{"event", "owner"},
                        {"lobby_id", id_text(lobby_)},
                        {"owner", id_text(owner)},
                        {"previous", id_text(owner_)}}));
        owner_ = owner;
      }
      Json data = data_json(mm, lobby_);
      if (data != data_) {
        emit_(dump(Json{{"event", "data"}, {"lobby_id", id_text(lobby_)}, {"data", data}}));
        data_ = std::move(data);
      }
      const int limit = mm.GetLobbyMemberLimit(lobby_);
      if (limit != max_members_) {
        emit_(dump(Json{{"event", "settings"}, {"lobby_id", id_text(lobby_)}, {"max_members", limit}}));
        max_members_ = limit;
      }
    }));
    handles_.push_back(c_.Subscribe<LobbyChatMsg_t>([this, &mm](const LobbyChatMsg_t& cb) {
      if (!mine(cb.m_ulSteamIDLobby)) return;
      std::string body(k_cbMaxLobbyChatMsg, '\0');
      SteamID from;
      EChatEntryType type{};
      const int n = mm.GetLobbyChatEntry(lobby_, static_cast<int>(cb.m_iChatID), &from, body.data(),
                                         static_cast<int>(body.size()), &type);
      body.resize(static_cast<std::size_t>(std::max(n, 0)));
      // Text is what comes before the first NUL, as GodotSteam's lobby_message builds it.
      if (const auto nul = body.find('\0'); nul != std::string::npos) body.resize(nul);
      emit_(dump(Json{{"event", "chat"},
                      {"lobby_id", id_text(lobby_)},
                      {"from", id_text(from)},
                      {"name", c_.GetFriendPersonaName(from)},
                      {"text", body}}));
    }));
    handles_.push_back(c_.Subscribe<LobbyKicked_t>([this](const LobbyKicked_t& cb) {
      if (!mine(cb.m_ulSteamIDLobby)) return;
      removed_ = true;
      emit_(dump(Json{{"event", "kicked"},
                      {"lobby_id", id_text(lobby_)},
                      {"user", id_text(c_.GetSteamID())},
                      {"due_to_disconnect", cb.m_bKickedDueToDisconnect != 0}}));
    }));
  }
  ~EventPrinter() {
    for (auto h : handles_) c_.Unsubscribe(h);
  }
  EventPrinter(const EventPrinter&) = delete;
  EventPrinter& operator=(const EventPrinter&) = delete;

  void start(SteamID lobby) {
    auto& mm = c_.matchmaking();
    lobby_ = lobby;
    owner_ = mm.GetLobbyOwner(lobby);
    data_ = data_json(mm, lobby);
    max_members_ = mm.GetLobbyMemberLimit(lobby);
    started_ = true;
  }
  bool removed() const { return removed_; }

 private:
  bool mine(uint64 lobby) const { return started_ && lobby == lobby_.ConvertToUint64(); }

  Client& c_;
  Emit emit_;
  std::vector<CallbackHandle> handles_;
  bool started_ = false;
  bool removed_ = false;
  SteamID lobby_;
  SteamID owner_;
  Json data_;
  int max_members_ = 0;
};

// Where lines go: the caller's sink, or collected into the Outcome.
class Lines {
 public:
  explicit Lines(const Io& io) : io_(io) {}
  void operator()(const std::string& line) {
    if (io_.line) {
      io_.line(line);
    } else {
      collected_ += collected_.empty() ? line : "\n" + line;
    }
  }
  Emit sink() {
    return [this](const std::string& l) { (*this)(l); };
  }
  Outcome done(int code, std::string error = {}) { return Outcome{code, std::move(collected_), std::move(error)}; }

 private:
  const Io& io_;
  std::string collected_;
};

// Stays in the lobby, printing events, until a signal, --for, or the lobby removed this user.
Outcome stream_until_stopped(Client& c, const LobbyOptions& o, const Io& io, const EventPrinter& printer, SteamID lobby,
                             Lines& lines) {
  const auto until = o.for_s > 0 ? after_seconds(o.for_s) : Clock::time_point::max();
  pump_until(c, until, [&] { return printer.removed() || (io.stop != nullptr && io.stop->load()); });
  if (printer.removed()) return lines.done(kExitFailure, "removed from lobby " + id_text(lobby) + " by the server");
  return lines.done(kExitOk);
}

// Joins and waits for LobbyEnter_t; `on_enter` runs inside it on success (the state is exact
// there). A failed join is an Outcome: stdout {"lobby_id", "response"}, exit 3.
std::optional<Outcome> join(Client& c, SteamID lobby, Clock::time_point deadline,
                            const std::function<void()>& on_enter) {
  std::optional<uint32> response;
  const CallbackHandle h = c.Subscribe<LobbyEnter_t>([&](const LobbyEnter_t& cb) {
    if (cb.m_ulSteamIDLobby != lobby.ConvertToUint64() || response) return;
    response = cb.m_EChatRoomEnterResponse;
    if (*response == k_EChatRoomEnterResponseSuccess) on_enter();
  });
  const bool sent = c.matchmaking().JoinLobby(lobby) != k_uAPICallInvalid;
  const bool answered = sent && pump_until(c, deadline, [&] { return response.has_value(); });
  c.Unsubscribe(h);
  if (!sent) return fail(kExitFailure, "could not ask to join lobby " + id_text(lobby) + " (the session ended?)");
  if (!answered) return fail(kExitFailure, "no answer to joining lobby " + id_text(lobby) + " within the timeout");
  if (*response == k_EChatRoomEnterResponseSuccess) return std::nullopt;
  const char* name = enter_response_name(*response);
  return Outcome{kExitFailure, dump(Json{{"lobby_id", id_text(lobby)}, {"response", name}}),
                 "could not join lobby " + id_text(lobby) + ": " + name + " (EChatRoomEnterResponse " +
                     std::to_string(*response) + ")"};
}

Outcome run_create(Client& c, const Options& o, const Io& io) {
  auto& mm = c.matchmaking();
  const LobbyOptions& lo = o.lobby;
  const auto deadline = after_seconds(o.timeout_s);
  Lines lines(io);
  EventPrinter printer(c, lines.sink());
  std::optional<EResult> created;
  SteamID lobby;
  bool entered = false;
  bool data_sent = false;
  bool announced = false;
  // The id is printed once the lobby (and its --data) is on the server, so a `lobby list` run
  // right after finds it complete.
  auto announce = [&] {
    announced = true;
    lines(dump(Json{{"lobby_id", id_text(lobby)}}));
    printer.start(lobby);
  };
  c.On<LobbyCreated_t>([&](const LobbyCreated_t& cb) {
    if (created) return;
    created = cb.m_eResult;
    lobby = SteamID(cb.m_ulSteamIDLobby);
  });
  c.On<LobbyEnter_t>([&](const LobbyEnter_t& cb) {
    if (!created || cb.m_ulSteamIDLobby != lobby.ConvertToUint64()) return;
    entered = true;
    if (lo.data.empty()) announce();
  });
  c.On<LobbyDataUpdate_t>([&](const LobbyDataUpdate_t& cb) {
    if (data_sent && !announced && cb.m_ulSteamIDLobby == lobby.ConvertToUint64() &&
        cb.m_ulSteamIDMember == cb.m_ulSteamIDLobby)
      announce();
  });
  ELobbyType type = k_ELobbyTypePublic;
  for (const auto& [name, t] : kTypes)
    if (lo.type == name) type = t;
  if (mm.CreateLobby(type, lo.max_members) == k_uAPICallInvalid)
    return fail(kExitFailure, "could not ask for a lobby (the session ended?)");
  if (!pump_until(c, deadline, [&] { return created && (*created != k_EResultOK || entered); }))
    return fail(kExitFailure, "no answer to CreateLobby within the timeout");
  if (*created != k_EResultOK)
    return fail(kExitFailure, "could not create the lobby: EResult " + std::to_string(*created));
  if (!lo.data.empty()) {
    for (const auto& kv : lo.data) {
      const auto p = split_pair(kv);
      if (!mm.SetLobbyData(lobby, p->first, p->second))
        return fail(kExitFailure, "SetLobbyData(" + p->first + ") was refused");
    }
    data_sent = true;
    if (!pump_until(c, deadline, [&] { return announced; }))
      return fail(kExitFailure, "the lobby data was not confirmed within the timeout");
  }
  return stream_until_stopped(c, lo, io, printer, lobby, lines);
}

// join and watch: the same output; they differ in how they end (README).
Outcome run_join(Client& c, const Options& o, const Io& io, SteamID lobby) {
  Lines lines(io);
  EventPrinter printer(c, lines.sink());
  if (auto failed = join(c, lobby, after_seconds(o.timeout_s), [&] {
        Json first = state_json(c, lobby);
        Json line{{"lobby_id", first["lobby_id"]}, {"response", "success"}};
        for (auto& [k, v] : first.items())
          if (k != "lobby_id") line[k] = v;
        lines(dump(line));
        printer.start(lobby);
      }))
    return *failed;
  Outcome out = stream_until_stopped(c, o.lobby, io, printer, lobby, lines);
  if (o.lobby.action == "join") {
    out.disconnect = true;
  } else {
    c.matchmaking().LeaveLobby(lobby);
  }
  return out;
}

Outcome run_members(Client& c, const Options& o, SteamID lobby) {
  Json state;
  if (auto failed = join(c, lobby, after_seconds(o.timeout_s), [&] { state = state_json(c, lobby); })) return *failed;
  c.matchmaking().LeaveLobby(lobby);
  return Outcome{kExitOk, dump(state), {}};
}

Outcome run_chat(Client& c, const Options& o, SteamID lobby) {
  auto& mm = c.matchmaking();
  const auto deadline = after_seconds(o.timeout_s);
  if (auto failed = join(c, lobby, deadline, [] {})) return *failed;
  const std::string& text = o.lobby.args[1];
  std::string body = text;
  body.push_back('\0');
  // The message comes back to its sender too, in the lobby's one order: seeing it is the proof
  // that the server took it and fanned it out.
  bool echoed = false;
  const SteamID self = c.GetSteamID();
  c.On<LobbyChatMsg_t>([&](const LobbyChatMsg_t& cb) {
    if (cb.m_ulSteamIDLobby != lobby.ConvertToUint64() || cb.m_ulSteamIDUser != self.ConvertToUint64()) return;
    std::string got(body.size(), '\0');
    SteamID from;
    EChatEntryType type{};
    const int n = mm.GetLobbyChatEntry(lobby, static_cast<int>(cb.m_iChatID), &from, got.data(),
                                       static_cast<int>(got.size()), &type);
    if (n == static_cast<int>(body.size()) && got == body) echoed = true;
  });
  if (!mm.SendLobbyChatMsg(lobby, body.data(), static_cast<int>(body.size()))) {
    mm.LeaveLobby(lobby);
    return fail(kExitFailure, "SendLobbyChatMsg was refused (the session ended?)");
  }
  const bool ok = pump_until(c, deadline, [&] { return echoed; });
  mm.LeaveLobby(lobby);
  if (!ok) return fail(kExitFailure, "the chat message did not come back from the server within the timeout");
  return Outcome{kExitOk, dump(Json{{"lobby_id", id_text(lobby)}, {"sent", true}}), {}};
}

Outcome run_list(Client& c, const Options& o) {
  auto& mm = c.matchmaking();
  const LobbyOptions& lo = o.lobby;
  for (const auto& f : lo.filter) {
    const auto p = split_pair(f);
    mm.AddRequestLobbyListStringFilter(p->first, p->second, k_ELobbyComparisonEqual);
  }
  for (const auto& f : lo.filter_not) {
    const auto p = split_pair(f);
    mm.AddRequestLobbyListStringFilter(p->first, p->second, k_ELobbyComparisonNotEqual);
  }
  for (const auto& f : lo.numeric) {
    const auto n = parse_numeric(f);
    mm.AddRequestLobbyListNumericalFilter(n->key, n->value, n->cmp);
  }
  for (const auto& f : lo.near) {
    const auto p = split_pair(f);
    mm.AddRequestLobbyListNearValueFilter(p->first, *parse_int(p->second));
  }
  if (lo.slots > 0) mm.AddRequestLobbyListFilterSlotsAvailable(lo.slots);
  if (lo.count > 0) mm.AddRequestLobbyListResultCountFilter(lo.count);
  std::optional<LobbyMatchList_t> answer;
  c.On<LobbyMatchList_t>([&](const LobbyMatchList_t& cb) { answer = cb; });
  if (mm.RequestLobbyList() == k_uAPICallInvalid)
    return fail(kExitFailure, "could not ask for the lobby list (the session ended?)");
  if (!pump_until(c, after_seconds(o.timeout_s), [&] { return answer.has_value(); }) || answer->m_bIOFailure)
    return fail(kExitFailure, "the server did not answer the lobby list within the timeout");
  Json out = Json::array();
  for (uint32 i = 0; i < answer->m_nLobbiesMatching; ++i) {
    const SteamID lobby = mm.GetLobbyByIndex(static_cast<int>(i));
    // GetLobbyOwner answers for lobbies this client is in only (spec §3.3).
    const SteamID owner = mm.GetLobbyOwnerFromSearch(lobby);
    out.push_back(Json{{"lobby_id", id_text(lobby)},
                       {"owner", owner.IsValid() ? Json(id_text(owner)) : Json(nullptr)},
                       {"members", mm.GetNumLobbyMembers(lobby)},
                       {"max_members", mm.GetLobbyMemberLimit(lobby)},
                       {"data", data_json(mm, lobby)}});
  }
  return Outcome{kExitOk, dump(out), {}};
}

}  // namespace

std::optional<Outcome> check_lobby(const LobbyOptions& o) {
  static constexpr std::array<std::pair<std::string_view, std::size_t>, 6> kActions{
      {{"create", 0}, {"list", 0}, {"join", 1}, {"watch", 1}, {"members", 1}, {"chat", 2}}};
  const auto* action =
      std::find_if(kActions.begin(), kActions.end(), [&](const auto& a) { return a.first == o.action; });
  if (action == kActions.end())
    return fail(kExitUsage, "lobby needs an action: create | join ID | watch ID | list | chat ID TEXT | members ID" +
                                (o.action.empty() ? std::string() : " (got '" + o.action + "')"));
  if (o.args.size() != action->second)
    return fail(kExitUsage, "lobby " + o.action + " takes " + std::to_string(action->second) + " argument(s), got " +
                                std::to_string(o.args.size()));
  if (!o.args.empty() && !parse_lobby_id(o.args[0]).IsValid())
    return fail(kExitUsage, "'" + o.args[0] + "' is not a lobby id (the decimal SteamID64 `lobby create` prints)");
  if (o.action == "chat") {
    const std::string& text = o.args[1];
    if (text.empty()) return fail(kExitUsage, "the chat text is empty");
    if (text.size() > kMaxChatTextBytes)
      return fail(kExitUsage, "the chat text is " + std::to_string(text.size()) +
                                  " bytes; a lobby chat message holds " + std::to_string(kMaxChatTextBytes) +
                                  " bytes of text plus its NUL");
  }
  if (std::none_of(kTypes.begin(), kTypes.end(), [&](const auto& t) { return o.type == t.first; }))
    return fail(kExitUsage, "--type must be private, friends, public or invisible (got '" + o.type + "')");
  if (o.max_members < 1 || o.max_members > k_nMaxLobbyMembers)
    return fail(kExitUsage, "--max must be 1-250 (got " + std::to_string(o.max_members) + ")");
  if (o.data.size() > kMaxKeys) return fail(kExitUsage, "at most 256 --data keys");
  for (const auto& kv : o.data) {
    const auto p = split_pair(kv);
    if (!p) return fail(kExitUsage, "--data '" + kv + "' is not KEY=VALUE");
    if (auto bad = bad_key(p->first, "--data '" + kv + "'")) return fail(kExitUsage, *bad);
    if (p->second.empty())
      return fail(kExitUsage, "--data '" + kv + "': the value is empty (an empty value is no key)");
    if (p->second.size() > kMaxValueBytes)
      return fail(kExitUsage, "--data " + p->first + ": the value is " + std::to_string(p->second.size()) +
                                  " bytes (at most 8191)");
  }
  for (const auto* list : {&o.filter, &o.filter_not}) {
    for (const auto& kv : *list) {
      const auto p = split_pair(kv);
      if (!p) return fail(kExitUsage, "--filter '" + kv + "' is not KEY=VALUE");
      if (auto bad = bad_key(p->first, "--filter '" + kv + "'")) return fail(kExitUsage, *bad);
      if (p->second.size() > kMaxValueBytes)
        return fail(kExitUsage, "--filter " + p->first + ": the value is too long");
    }
  }
  for (const auto& kv : o.near) {
    const auto p = split_pair(kv);
    if (!p || !parse_int(p->second)) return fail(kExitUsage, "--near '" + kv + "' is not KEY=N (N a 32-bit integer)");
    if (auto bad = bad_key(p->first, "--near '" + kv + "'")) return fail(kExitUsage, *bad);
  }
  for (const auto& text : o.numeric) {
    const auto n = parse_numeric(text);
    if (!n)
      return fail(kExitUsage,
                  "--numeric '" + text + "' is not KEY<op>N (op one of < <= = >= > !=, N a 32-bit integer)");
    if (auto bad = bad_key(n->key, "--numeric '" + text + "'")) return fail(kExitUsage, *bad);
  }
  const std::size_t filters =
      o.filter.size() + o.filter_not.size() + o.near.size() + o.numeric.size() + (o.slots > 0 ? 1 : 0);
  if (filters > kMaxFilters) return fail(kExitUsage, "at most 64 filters in one lobby list");
  if (o.slots < 0 || o.slots > k_nMaxLobbyMembers) return fail(kExitUsage, "--slots must be 0-250");
  if (o.count < 0 || o.count > 500) return fail(kExitUsage, "--count must be 1-500 (0: the server's default, 50)");
  if (!(o.for_s >= 0)) return fail(kExitUsage, "--for must not be negative (0: until a signal)");
  return std::nullopt;
}

Outcome run_lobby(Client& c, const Options& o, const Io& io) {
  const LobbyOptions& lo = o.lobby;
  if (lo.action == "create") return run_create(c, o, io);
  if (lo.action == "list") return run_list(c, o);
  const SteamID lobby = parse_lobby_id(lo.args[0]);
  if (lo.action == "members") return run_members(c, o, lobby);
  if (lo.action == "chat") return run_chat(c, o, lobby);
  return run_join(c, o, io, lobby);
}

}  // namespace kettle::cli
