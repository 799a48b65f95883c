// kettle-agent's SteamApi against a real in-process kettle-server: two players (alice, bob) each
// hold a SteamApi, call GodotSteam functions by name with Godot Variants, and check the return
// shapes and the signals (names, argument order and types) their clients' callbacks turn into.
// No sleeps: every wait runs the clients' callbacks until a condition holds or a deadline passes.
#include "agent/steam_api.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent/steam_api_args.hpp"
#include "kettle/client.hpp"

namespace kettle::agent {
namespace {

using godot::Array;
using godot::Dictionary;
using godot::Variant;
using Clock = std::chrono::steady_clock;

Variant I(std::int64_t v) { return Variant::integer(v); }
Variant S(std::string v) { return Variant::string(std::move(v)); }
Variant B(bool v) { return Variant::boolean(v); }
Variant R(double v) { return Variant::real(v); }
Variant Bytes(std::vector<std::uint8_t> v) { return Variant::bytes(std::move(v)); }
Variant Nil() { return Variant(); }
Variant EmptyDict() { return Variant::dictionary({}); }

std::string text(const Variant& v) { return godot::to_text(v); }

struct Emitted {
  std::string name;
  Array args;
};

std::unique_ptr<EmbeddedServer> start_server() {
  std::string err;
  auto s = EmbeddedServer::Start({}, &err);
  EXPECT_NE(s, nullptr) << err;
  return s;
}

// One player: a SteamApi and everything it emitted, in order.
struct Player {
  std::vector<Emitted> signals;
  SteamApi api;

  Player(const EmbeddedServer& server, std::string name)
      : api(config(server, std::move(name)), [this](std::string_view signal, Array args) {
          signals.push_back({std::string(signal), std::move(args)});
        }) {}

  static AgentConfig config(const EmbeddedServer& server, std::string name) {
    AgentConfig c;
    c.server = server.address();
    c.server_key = server.public_key();
    c.login_name = std::move(name);
    c.login_timeout_s = 5;
    return c;
  }

  CallResult call(std::string_view name, Array args = {}) { return api.call(name, args); }
  // A call that must succeed without an error text.
  Variant ok(std::string_view name, Array args = {}) {
    CallResult r = api.call(name, args);
    EXPECT_EQ(r.error, "") << name;
    return r.value;
  }
  std::int64_t id() { return *ok("getSteamID").as_int(); }

  std::size_t count(std::string_view name) const {
    std::size_t n = 0;
    for (const auto& s : signals) n += s.name == name;
    return n;
  }
  const Emitted* last(std::string_view name) const {
    for (auto it = signals.rbegin(); it != signals.rend(); ++it)
      if (it->name == name) return &*it;
    return nullptr;
  }
};

// Runs every player's callbacks until cond() holds or 10 s pass.
bool run_until(std::initializer_list<Player*> players, const std::function<bool()>& cond) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    for (Player* p : players)
      if (Client* c = p->api.client()) c->RunCallbacks();
    if (cond()) return true;
    std::this_thread::yield();
  }
  return cond();
}

// Waits for the n-th signal of that name on p (n counted from 1).
bool wait_signal(std::initializer_list<Player*> players, Player& p, std::string_view name, std::size_t n = 1) {
  return run_until(players, [&] { return p.count(name) >= n; });
}

void expect_args(const Emitted* e, const Array& want) {
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->args.size(), want.size()) << e->name;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(e->args[i].type(), want[i].type()) << e->name << " arg " << i << ": " << text(e->args[i]);
    EXPECT_TRUE(e->args[i] == want[i]) << e->name << " arg " << i << ": " << text(e->args[i])
                                       << " != " << text(want[i]);
  }
}

const Variant* key(const Variant& dict, std::string_view k) { return dict.find(k); }

TEST(SteamApi, UnknownFunctionIsNilWithItsName) {
  auto server = start_server();
  Player alice(*server, "alice");
  const CallResult r = alice.call("activateGameOverlayToUser", {S("friends"), I(1)});
  EXPECT_TRUE(r.value.is_nil());
  EXPECT_EQ(r.error, "Steam.activateGameOverlayToUser: not provided by Kettle");
  EXPECT_EQ(alice.call("").error, "Steam.: not provided by Kettle");
  EXPECT_EQ(alice.call("run_callbacks").error, "Steam.run_callbacks: not provided by Kettle");  // the agent's own
}

TEST(SteamApi, CallsBeforeInitGiveTheFailureValueAndSaySo) {
  auto server = start_server();
  Player alice(*server, "alice");
  const std::int64_t user = 76561197960265729;
  const std::int64_t lobby = 109775240917155841;
  struct Case {
    const char* name;
    Array args;
    Variant want;
  };
  const std::vector<Case> cases = {
      {"getSteamID", {}, I(0)},
      {"getPersonaName", {}, S("")},
      {"getFriendPersonaName", {I(user)}, S("")},
      {"requestUserInformation", {I(user), B(true)}, B(false)},
      {"getAppID", {}, I(0)},
      {"isSubscribed", {}, B(false)},
      {"sendP2PPacket", {I(user), Bytes({1, 2}), I(2)}, B(false)},
      {"acceptP2PSessionWithUser", {I(user)}, B(false)},
      {"closeP2PSessionWithUser", {I(user)}, B(false)},
      {"closeP2PChannelWithUser", {I(user), I(0)}, B(false)},
      {"getP2PSessionState", {I(user)}, EmptyDict()},
      {"allowP2PPacketRelay", {B(true)}, B(false)},
      {"createLobby", {I(2), I(4)}, Nil()},
      {"joinLobby", {I(lobby)}, Nil()},
      {"getNumLobbyMembers", {I(lobby)}, I(0)},
      {"getLobbyOwner", {I(lobby)}, I(0)},
      {"setLobbyData", {I(lobby), S("k"), S("v")}, B(false)},
      {"getLobbyData", {I(lobby), S("k")}, S("")},
      {"getAllLobbyData", {I(lobby)}, EmptyDict()},
      {"sendLobbyChatMsg", {I(lobby), S("hi")}, B(false)},
      {"requestLobbyList", {}, Nil()},
  };
  for (const auto& c : cases) {
    const CallResult r = alice.call(c.name, c.args);
    EXPECT_TRUE(r.value == c.want) << c.name << " gave " << text(r.value);
    EXPECT_EQ(r.value.type(), c.want.type()) << c.name;
    EXPECT_EQ(r.error, "Steam." + std::string(c.name) + ": called before steamInit (or after steamShutdown)");
  }
  // Bad arguments are reported as such even before init.
  EXPECT_EQ(alice.call("getLobbyData", {S("x"), S("k")}).error,
            "Steam.getLobbyData: argument 1 (steam_lobby_id) must be int, got String");
  // Queries about init itself are not errors.
  EXPECT_TRUE(alice.ok("isSteamRunning") == B(false));
  EXPECT_TRUE(alice.ok("loggedOn") == B(false));
  EXPECT_TRUE(alice.ok("steamShutdown").is_nil());
  EXPECT_EQ(alice.api.client(), nullptr);
  EXPECT_TRUE(alice.signals.empty());
}

TEST(SteamApi, InitShapesAndIdentity) {
  auto server = start_server();
  Player alice(*server, "alice");
  Player bob(*server, "bob");
  int ready_calls = 0;
  alice.api.on_client_ready([&](Client&) { ++ready_calls; });

  const Variant init = alice.ok("steamInit");
  ASSERT_NE(key(init, "status"), nullptr) << text(init);
  EXPECT_TRUE(*key(init, "status") == I(1)) << text(init);
  EXPECT_TRUE(*key(init, "verbal") == S("Steamworks active.")) << text(init);
  ASSERT_NE(alice.api.client(), nullptr);
  EXPECT_EQ(ready_calls, 1);
  // Valid in the same frame, as games rely on.
  EXPECT_TRUE(alice.ok("isSteamRunning") == B(true));
  EXPECT_TRUE(alice.ok("loggedOn") == B(true));
  const std::int64_t alice_id = alice.id();
  EXPECT_TRUE(SteamID(static_cast<std::uint64_t>(alice_id)).BIndividualAccount()) << alice_id;
  EXPECT_TRUE(alice.ok("getPersonaName") == S("alice"));
  EXPECT_TRUE(alice.ok("getAppID") == I(480));
  EXPECT_TRUE(alice.ok("isSubscribed") == B(true));
  EXPECT_TRUE(alice.ok("isSubscribedApp", {I(480)}) == B(true));
  EXPECT_TRUE(alice.ok("isSubscribedApp", {I(481)}) == B(false));
  EXPECT_TRUE(alice.ok("getPersonaState") == I(k_EPersonaStateOnline));

  // A second init while initialised: success again, the same client, no second hook call.
  Client* first = alice.api.client();
  EXPECT_TRUE(*key(alice.ok("steamInit", {B(true), I(0), B(false)}), "status") == I(1));
  EXPECT_EQ(alice.api.client(), first);
  EXPECT_EQ(ready_calls, 1);

  const Variant ex = bob.ok("steamInitEx", {B(false)});
  EXPECT_TRUE(*key(ex, "status") == I(0)) << text(ex);
  EXPECT_TRUE(*key(ex, "verbal") == S("Steamworks active.")) << text(ex);
  const std::int64_t bob_id = bob.id();
  EXPECT_NE(bob_id, alice_id);

  // Another user's name: "" and a fetch, then persona_state_change(steam_id, flags) with the name.
  alice.ok("getFriendPersonaName", {I(bob_id)});
  ASSERT_TRUE(run_until({&alice, &bob}, [&] { return alice.ok("getFriendPersonaName", {I(bob_id)}) == S("bob"); }));
  ASSERT_TRUE(wait_signal({&alice, &bob}, alice, "persona_state_change"));
  bool saw_bob = false;
  for (const auto& s : alice.signals) {
    if (s.name != "persona_state_change" || !(s.args.at(0) == I(bob_id))) continue;
    saw_bob = true;
    ASSERT_EQ(s.args.size(), 2u);
    ASSERT_NE(s.args[1].as_int(), nullptr);
    EXPECT_TRUE(*s.args[1].as_int() & k_EPersonaChangeName);
  }
  EXPECT_TRUE(saw_bob);
  EXPECT_TRUE(alice.ok("requestUserInformation", {I(bob_id), B(true)}) == B(false));  // cached now
  EXPECT_TRUE(alice.ok("getFriendPersonaState", {I(bob_id)}).as_int() != nullptr);

  // A new name reaches the player's own getter at once.
  EXPECT_TRUE(bob.ok("setPersonaName", {S("Bobby")}).is_nil());
  EXPECT_TRUE(bob.ok("getPersonaName") == S("Bobby"));
  const CallResult refused = bob.call("setPersonaName", {S("")});
  EXPECT_NE(refused.error.find("Steam.setPersonaName: the name is refused"), std::string::npos) << refused.error;

  // Shutdown: back to the uninitialised answers; a new init logs in again.
  EXPECT_TRUE(bob.ok("steamShutdown").is_nil());
  EXPECT_EQ(bob.api.client(), nullptr);
  EXPECT_TRUE(bob.ok("isSteamRunning") == B(false));
  EXPECT_TRUE(bob.call("getSteamID").value == I(0));
  EXPECT_TRUE(*key(bob.ok("steamInitEx"), "status") == I(0));
  EXPECT_EQ(bob.id(), bob_id);
}

TEST(SteamApi, InitFailuresKeepTheirShapes) {
  auto server = start_server();
  // A socket that never answers, held open for the whole test: the server is unreachable.
  const int silent = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::getsockname(silent, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const std::string silent_addr = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{silent};
  AgentConfig cfg = Player::config(*server, "carol");
  cfg.server = silent_addr;
  cfg.login_timeout_s = 0.5;
  std::vector<Emitted> none;
  SteamApi carol(cfg, [&](std::string_view s, Array a) { none.push_back({std::string(s), std::move(a)}); });
  CallResult r = carol.call("steamInit", {});
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(*key(r.value, "status") == I(20)) << text(r.value);
  EXPECT_NE(key(r.value, "verbal")->as_string()->find("Steam not running"), std::string::npos) << text(r.value);
  r = carol.call("steamInitEx", {});
  EXPECT_TRUE(*key(r.value, "status") == I(2)) << text(r.value);
  EXPECT_EQ(carol.client(), nullptr);
  EXPECT_TRUE(carol.call("isSteamRunning", {}).value == B(false));

  // Bad arguments: the status dictionary still comes, with the error text.
  Player dave(*server, "dave");
  r = dave.call("steamInit", {B(true), I(-5)});
  EXPECT_TRUE(*key(r.value, "status") == I(79)) << text(r.value);
  EXPECT_EQ(r.error, "Steam.steamInit: argument 2 (app_id) must be 0 to 4294967295, got -5");
  r = dave.call("steamInitEx", {S("yes")});
  EXPECT_TRUE(*key(r.value, "status") == I(1)) << text(r.value);
  EXPECT_EQ(r.error, "Steam.steamInitEx: argument 1 (retrieve_stats) must be bool, got String");
  r = dave.call("steamInit", {B(true), I(0), B(false), I(1)});
  EXPECT_EQ(r.error, "Steam.steamInit: takes at most 3 arguments, got 4");
  EXPECT_EQ(dave.api.client(), nullptr);
  // app_id as an integral float and a bool as 0/1 are what Godot may hand over: accepted.
  r = dave.call("steamInit", {I(1), R(480.0), I(0)});
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(*key(r.value, "status") == I(1)) << text(r.value);
}

// Two players logged in through steamInitEx.
struct Pair : ::testing::Test {
  std::unique_ptr<EmbeddedServer> server = start_server();
  Player alice{*server, "alice"};
  Player bob{*server, "bob"};
  std::int64_t alice_id = 0, bob_id = 0;

  void SetUp() override {
    ASSERT_TRUE(*key(alice.ok("steamInitEx"), "status") == I(0));
    ASSERT_TRUE(*key(bob.ok("steamInitEx"), "status") == I(0));
    alice_id = alice.id();
    bob_id = bob.id();
  }
  bool wait(Player& p, std::string_view name, std::size_t n = 1) { return wait_signal({&alice, &bob}, p, name, n); }
  bool until(const std::function<bool()>& cond) { return run_until({&alice, &bob}, cond); }

  // alice creates a public lobby for 4 and waits until she is in it.
  std::int64_t create_lobby() {
    EXPECT_TRUE(alice.ok("createLobby", {I(2), I(4)}).is_nil());
    if (!wait(alice, "lobby_joined")) return 0;
    const Emitted* created = alice.last("lobby_created");
    if (created == nullptr || created->args.size() != 2 || created->args[1].as_int() == nullptr) return 0;
    return *created->args[1].as_int();
  }
};

TEST_F(Pair, LobbyCreateJoinDataChatLeave) {
  const std::int64_t lobby = create_lobby();
  ASSERT_TRUE(SteamID(static_cast<std::uint64_t>(lobby)).IsLobby()) << lobby;
  // lobby_created(connect, lobby_id) before lobby_joined(lobby, permissions, locked: bool, response).
  std::vector<const Emitted*> lobby_signals;
  for (const auto& e : alice.signals)
    if (e.name.starts_with("lobby_")) lobby_signals.push_back(&e);
  ASSERT_EQ(lobby_signals.size(), 2u);
  EXPECT_EQ(lobby_signals[0]->name, "lobby_created");
  expect_args(lobby_signals[0], {I(1), I(lobby)});
  EXPECT_EQ(lobby_signals[1]->name, "lobby_joined");
  expect_args(lobby_signals[1], {I(lobby), I(0), B(false), I(1)});
  EXPECT_TRUE(alice.ok("getLobbyOwner", {I(lobby)}) == I(alice_id));
  EXPECT_TRUE(alice.ok("getNumLobbyMembers", {I(lobby)}) == I(1));
  EXPECT_TRUE(alice.ok("getLobbyMemberLimit", {I(lobby)}) == I(4));

  // Lobby data: the owner's write shows at once; everyone gets lobby_data_update(success, lobby, lobby).
  EXPECT_TRUE(alice.ok("setLobbyData", {I(lobby), S("name"), S("alice's room")}) == B(true));
  EXPECT_TRUE(alice.ok("setLobbyData", {I(lobby), S("mode"), S("ctf")}) == B(true));
  EXPECT_TRUE(alice.ok("getLobbyData", {I(lobby), S("name")}) == S("alice's room"));
  ASSERT_TRUE(wait(alice, "lobby_data_update"));
  expect_args(alice.last("lobby_data_update"), {I(1), I(lobby), I(lobby)});

  // bob finds it by search: lobby_match_list(Array of ints), data readable from the snapshot.
  bob.ok("addRequestLobbyListStringFilter", {S("name"), S("alice's room"), I(0)});
  bob.ok("addRequestLobbyListNumericalFilter", {S("players"), I(3), I(-1)});
  bob.ok("addRequestLobbyListResultCountFilter", {I(10)});
  bob.ok("requestLobbyList");
  ASSERT_TRUE(wait(bob, "lobby_match_list"));
  // The numerical filter matched nothing (no "players" key): an empty Array.
  expect_args(bob.last("lobby_match_list"), {Variant::array({})});
  bob.ok("addRequestLobbyListStringFilter", {S("name"), S("alice's room"), I(0)});
  bob.ok("addRequestLobbyListFilterSlotsAvailable", {I(1)});
  bob.ok("addRequestLobbyListDistanceFilter", {I(3)});
  bob.ok("addRequestLobbyListNearValueFilter", {S("skill"), I(5)});
  bob.ok("requestLobbyList");
  ASSERT_TRUE(wait(bob, "lobby_match_list", 2));
  expect_args(bob.last("lobby_match_list"), {Variant::array({I(lobby)})});
  EXPECT_EQ(bob.count("lobby_match_list"), 2u);  // once per search, not once more per call result
  EXPECT_TRUE(bob.ok("getLobbyData", {I(lobby), S("mode")}) == S("ctf"));
  EXPECT_TRUE(bob.ok("getNumLobbyMembers", {I(lobby)}) == I(1));

  // bob joins: his lobby_joined, alice's lobby_chat_update(lobby, changed, making_change, 0x01).
  bob.ok("joinLobby", {I(lobby)});
  ASSERT_TRUE(wait(bob, "lobby_joined"));
  expect_args(bob.last("lobby_joined"), {I(lobby), I(0), B(false), I(1)});
  ASSERT_TRUE(wait(alice, "lobby_chat_update"));
  expect_args(alice.last("lobby_chat_update"), {I(lobby), I(bob_id), I(bob_id), I(1)});
  EXPECT_TRUE(alice.ok("getNumLobbyMembers", {I(lobby)}) == I(2));
  EXPECT_TRUE(alice.ok("getLobbyMemberByIndex", {I(lobby), I(0)}) == I(alice_id));
  EXPECT_TRUE(alice.ok("getLobbyMemberByIndex", {I(lobby), I(1)}) == I(bob_id));
  EXPECT_TRUE(bob.ok("getFriendPersonaName", {I(alice_id)}) == S("alice"));  // prefetched before the join

  // getAllLobbyData: {i: {"index": i, "key": k, "value": v}} with int keys, in key order.
  const Variant all = bob.ok("getAllLobbyData", {I(lobby)});
  const Dictionary* d = all.as_dictionary();
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->size(), 2u) << text(all);
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < d->size(); ++i) {
    EXPECT_TRUE((*d)[i].first == I(static_cast<std::int64_t>(i))) << text(all);
    const Variant& entry = (*d)[i].second;
    ASSERT_NE(entry.find("index"), nullptr);
    EXPECT_TRUE(*entry.find("index") == I(static_cast<std::int64_t>(i)));
    ASSERT_NE(entry.find("key"), nullptr);
    ASSERT_NE(entry.find("value"), nullptr);
    keys.push_back(*entry.find("key")->as_string());
    EXPECT_TRUE(*entry.find("value") == bob.ok("getLobbyData", {I(lobby), *entry.find("key")}));
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"mode", "name"}));
  // The older per-index calls agree with it.
  EXPECT_TRUE(bob.ok("getLobbyDataCount", {I(lobby)}) == I(2));
  EXPECT_TRUE(bob.ok("getLobbyDataByIndex", {I(lobby), I(1)}) == (*d)[1].second);
  const Variant past_end = bob.ok("getLobbyDataByIndex", {I(lobby), I(2)});
  ASSERT_NE(past_end.as_dictionary(), nullptr);
  EXPECT_TRUE(past_end.as_dictionary()->empty());

  // Member data: lobby_data_update(1, lobby, member) to everyone.
  const std::size_t before = alice.count("lobby_data_update");
  EXPECT_TRUE(bob.ok("setLobbyMemberData", {I(lobby), S("ready"), S("yes")}).is_nil());
  ASSERT_TRUE(wait(alice, "lobby_data_update", before + 1));
  expect_args(alice.last("lobby_data_update"), {I(1), I(lobby), I(bob_id)});
  EXPECT_TRUE(alice.ok("getLobbyMemberData", {I(lobby), I(bob_id), S("ready")}) == S("yes"));

  // Only the owner writes lobby data; deleting a key works for her.
  EXPECT_TRUE(bob.ok("setLobbyData", {I(lobby), S("name"), S("mine")}) == B(false));
  EXPECT_TRUE(alice.ok("deleteLobbyData", {I(lobby), S("mode")}) == B(true));
  EXPECT_TRUE(alice.ok("getLobbyData", {I(lobby), S("mode")}) == S(""));

  // Chat: every member, sender included, gets lobby_message(lobby, user, message, chat_type 1).
  EXPECT_TRUE(bob.ok("sendLobbyChatMsg", {I(lobby), S("héllo, wörld")}) == B(true));
  ASSERT_TRUE(wait(alice, "lobby_message"));
  ASSERT_TRUE(wait(bob, "lobby_message"));
  expect_args(alice.last("lobby_message"), {I(lobby), I(bob_id), S("héllo, wörld"), I(1)});
  expect_args(bob.last("lobby_message"), {I(lobby), I(bob_id), S("héllo, wörld"), I(1)});
  // Bytes from a C++ player: text stops at the first NUL, invalid UTF-8 becomes U+FFFD.
  const char raw[] = {'o', 'k', '\xff', '!', '\0', 'x'};
  ASSERT_TRUE(
      alice.api.client()->matchmaking().SendLobbyChatMsg(SteamID(static_cast<std::uint64_t>(lobby)), raw, sizeof raw));
  ASSERT_TRUE(wait(bob, "lobby_message", 2));
  expect_args(bob.last("lobby_message"), {I(lobby), I(alice_id), S("ok\xEF\xBF\xBD!"), I(1)});

  // Owner hand-over, then an invite (alice to bob's lobby, to herself it is pointless).
  EXPECT_TRUE(alice.ok("setLobbyOwner", {I(lobby), I(bob_id)}) == B(true));
  // Both views: each side's copy changes when its own LobbyDataUpdate_t is delivered, and the
  // setters below check ownership against that copy.
  ASSERT_TRUE(until([&] {
    return bob.ok("getLobbyOwner", {I(lobby)}) == I(bob_id) && alice.ok("getLobbyOwner", {I(lobby)}) == I(bob_id);
  }));
  EXPECT_TRUE(bob.ok("setLobbyMemberLimit", {I(lobby), I(3)}) == B(true));
  EXPECT_TRUE(bob.ok("setLobbyJoinable", {I(lobby), I(0)}) == B(true));  // bool as int 0
  EXPECT_TRUE(bob.ok("setLobbyType", {I(lobby), I(0)}) == B(true));
  EXPECT_TRUE(alice.ok("setLobbyType", {I(lobby), I(2)}) == B(false));  // no longer the owner

  // alice leaves: bob sees lobby_chat_update(lobby, alice, alice, 0x02).
  alice.ok("leaveLobby", {I(lobby)});
  EXPECT_TRUE(alice.ok("getLobbyOwner", {I(lobby)}) == I(0));  // at once: no longer a member
  ASSERT_TRUE(until([&] {
    const Emitted* e = bob.last("lobby_chat_update");
    return e != nullptr && e->args.size() == 4 && e->args[3] == I(2);
  }));
  expect_args(bob.last("lobby_chat_update"), {I(lobby), I(alice_id), I(alice_id), I(2)});
  // Every event reached the game exactly once.
  EXPECT_EQ(alice.count("lobby_created"), 1u);
  EXPECT_EQ(alice.count("lobby_joined"), 1u);
  EXPECT_EQ(bob.count("lobby_joined"), 1u);
}

TEST_F(Pair, InvitesDataRequestsAndJoinFailures) {
  const std::int64_t lobby = create_lobby();
  ASSERT_NE(lobby, 0);
  EXPECT_TRUE(alice.ok("inviteUserToLobby", {I(lobby), I(bob_id)}) == B(true));
  ASSERT_TRUE(wait(bob, "lobby_invite"));
  expect_args(bob.last("lobby_invite"), {I(alice_id), I(lobby), I(480)});

  // requestLobbyData for a lobby bob is not in: lobby_data_update(1, lobby, lobby).
  EXPECT_TRUE(bob.ok("requestLobbyData", {I(lobby)}) == B(true));
  ASSERT_TRUE(wait(bob, "lobby_data_update"));
  expect_args(bob.last("lobby_data_update"), {I(1), I(lobby), I(lobby)});
  // ... and for one that does not exist: success 0.
  const std::int64_t missing = static_cast<std::int64_t>(SteamID::lobby(4000000).value());
  EXPECT_TRUE(bob.ok("requestLobbyData", {I(missing)}) == B(true));
  ASSERT_TRUE(wait(bob, "lobby_data_update", 2));
  expect_args(bob.last("lobby_data_update"), {I(0), I(missing), I(missing)});

  // Joining an unknown lobby, or with a user's id: lobby_joined(id, 0, false, 2), never silence.
  bob.ok("joinLobby", {I(missing)});
  ASSERT_TRUE(wait(bob, "lobby_joined"));
  expect_args(bob.last("lobby_joined"), {I(missing), I(0), B(false), I(2)});
  const CallResult r = bob.call("joinLobby", {I(alice_id)});
  EXPECT_TRUE(r.value.is_nil());
  EXPECT_EQ(r.error,
            "Steam.joinLobby: argument 1 (steam_lobby_id) is not a lobby's Steam ID: " + std::to_string(alice_id));
  ASSERT_TRUE(wait(bob, "lobby_joined", 2));
  expect_args(bob.last("lobby_joined"), {I(alice_id), I(0), B(false), I(2)});

  // createLobby with a refused size still answers through the signal: lobby_created(8, 0).
  const CallResult big = alice.call("createLobby", {I(2), I(1000)});
  EXPECT_EQ(big.error, "Steam.createLobby: argument 2 (max_members) must be 1 to 250, got 1000");
  ASSERT_TRUE(wait(alice, "lobby_created", 2));
  expect_args(alice.last("lobby_created"), {I(k_EResultInvalidParam), I(0)});
  // A private lobby is locked for the one invited in.
  const std::size_t updates = alice.count("lobby_data_update");
  ASSERT_TRUE(alice.ok("setLobbyType", {I(lobby), I(0)}) == B(true));
  // Settings go out batched: join once the server has applied the type (its data update).
  ASSERT_TRUE(wait(alice, "lobby_data_update", updates + 1));
  bob.ok("joinLobby", {I(lobby)});
  ASSERT_TRUE(wait(bob, "lobby_joined", 3));
  expect_args(bob.last("lobby_joined"), {I(lobby), I(0), B(true), I(1)});
}

TEST_F(Pair, P2PSessionRequestAcceptAndState) {
  EXPECT_TRUE(alice.ok("getP2PSessionState", {I(bob_id)}) == EmptyDict());  // no session yet
  EXPECT_TRUE(alice.ok("allowP2PPacketRelay", {B(true)}) == B(true));
  const std::vector<std::uint8_t> hello = {'h', 'i', 0, 255};
  EXPECT_TRUE(alice.ok("sendP2PPacket", {I(bob_id), Bytes(hello), I(2), I(3)}) == B(true));
  ASSERT_TRUE(wait(bob, "p2p_session_request"));
  expect_args(bob.last("p2p_session_request"), {I(alice_id)});
  EXPECT_TRUE(bob.ok("getFriendPersonaName", {I(alice_id)}) == S("alice"));
  EXPECT_TRUE(bob.ok("acceptP2PSessionWithUser", {I(alice_id)}) == B(true));
  // The packet is readable from bob's client (the agent pushes it to the game from there).
  std::vector<std::uint8_t> got;
  ASSERT_TRUE(until([&] {
    uint32 size = 0;
    if (!bob.api.client()->networking().IsP2PPacketAvailable(&size, 3)) return false;
    got.assign(size, 0);
    SteamID from;
    return bob.api.client()->networking().ReadP2PPacket(got.data(), size, &size, &from, 3) &&
           from.value() == static_cast<std::uint64_t>(alice_id);
  }));
  EXPECT_EQ(got, hello);

  // getP2PSessionState: exactly GodotSteam's eight int keys; active once both opted in.
  ASSERT_TRUE(until([&] {
    const Variant st = alice.ok("getP2PSessionState", {I(bob_id)});
    return st.find("connection_active") != nullptr && *st.find("connection_active") == I(1);
  }));
  const Variant st = alice.ok("getP2PSessionState", {I(bob_id)});
  const Dictionary* d = st.as_dictionary();
  ASSERT_NE(d, nullptr);
  std::vector<std::string> keys;
  for (const auto& [k, v] : *d) {
    keys.push_back(*k.as_string());
    EXPECT_EQ(v.type(), godot::Type::integer) << *k.as_string();
  }
  EXPECT_EQ(keys,
            (std::vector<std::string>{"connection_active", "connecting", "session_error", "using_relay",
                                      "bytes_queued_for_send", "packets_queued_for_send", "remote_ip", "remote_port"}));
  EXPECT_TRUE(*st.find("remote_ip") == I(0x7F000001)) << text(st);
  EXPECT_TRUE(*st.find("session_error") == I(0));

  // Unreliable send back; channel close; session close (then no state).
  EXPECT_TRUE(bob.ok("sendP2PPacket", {I(alice_id), Bytes({7}), I(0)}) == B(true));
  EXPECT_TRUE(bob.ok("closeP2PChannelWithUser", {I(alice_id), I(0)}) == B(true));
  EXPECT_TRUE(alice.ok("closeP2PSessionWithUser", {I(bob_id)}) == B(true));
  EXPECT_TRUE(alice.ok("getP2PSessionState", {I(bob_id)}) == EmptyDict());
  EXPECT_TRUE(alice.ok("closeP2PSessionWithUser", {I(bob_id)}) == B(false));  // nothing left: false, no error
  EXPECT_EQ(bob.count("p2p_session_request"), 1u);
}

TEST(SteamApi, SessionConnectFailSignal) {
  // A user who is not online never answers: p2p_session_connect_fail(id, 4) at the (shortened)
  // p2p_connect_timeout, once.
  auto server = start_server();
  AgentConfig cfg = Player::config(*server, "alice");
  cfg.p2p_connect_timeout_s = 1;
  std::vector<Emitted> got;
  SteamApi alice(cfg, [&](std::string_view s, Array a) { got.push_back({std::string(s), std::move(a)}); });
  ASSERT_TRUE(*alice.call("steamInitEx", {}).value.find("status") == I(0));
  const auto nobody = static_cast<std::int64_t>(SteamID::individual(900000).value());
  const auto sent = Clock::now();
  ASSERT_TRUE(alice.call("sendP2PPacket", {I(nobody), Bytes({1, 2, 3}), I(2)}).value == B(true));
  const Variant connecting = alice.call("getP2PSessionState", {I(nobody)}).value;
  ASSERT_NE(connecting.find("connecting"), nullptr) << text(connecting);
  EXPECT_TRUE(*connecting.find("connecting") == I(1)) << text(connecting);
  const auto deadline = sent + std::chrono::seconds(10);
  auto fails = [&] {
    std::vector<const Emitted*> out;
    for (const auto& e : got)
      if (e.name == "p2p_session_connect_fail") out.push_back(&e);
    return out;
  };
  while (fails().empty() && Clock::now() < deadline) {
    alice.client()->RunCallbacks();
    std::this_thread::yield();
  }
  EXPECT_GE(Clock::now() - sent, std::chrono::milliseconds(900));
  alice.client()->RunCallbacks();  // nothing more for that attempt
  ASSERT_EQ(fails().size(), 1u);
  expect_args(fails()[0], {I(nobody), I(k_EP2PSessionErrorTimeout)});
  const Variant st = alice.call("getP2PSessionState", {I(nobody)}).value;
  ASSERT_NE(st.find("session_error"), nullptr) << text(st);
  EXPECT_TRUE(*st.find("session_error") == I(4)) << text(st);
  EXPECT_TRUE(*st.find("connecting") == I(0)) << text(st);
}

// Each case: a call that must give exactly `want` and an error text starting with `error`.
struct BadCase {
  const char* name;
  Array args;
  Variant want;
  std::string error;
};

TEST_F(Pair, BadInputGivesTheFailureValueAndSaysWhatWasWrong) {
  const std::int64_t lobby = create_lobby();
  ASSERT_NE(lobby, 0);
  const std::int64_t u = bob_id;
  const std::vector<std::uint8_t> one = {1};
  const std::vector<BadCase> cases = {
      // identity
      {"getFriendPersonaName", {S("bob")}, S(""), "argument 1 (steam_id) must be int, got String"},
      {"getFriendPersonaName", {I(0)}, S(""), "argument 1 (steam_id) is not a user's Steam ID: 0"},
      {"getFriendPersonaName", {I(-1)}, S(""), "argument 1 (steam_id) is not a user's Steam ID: -1"},
      {"getFriendPersonaName", {I(lobby)}, S(""), "argument 1 (steam_id) is not a user's Steam ID"},
      {"getFriendPersonaName", {}, S(""), "argument 1 (steam_id) is missing"},
      {"getFriendPersonaName", {Nil()}, S(""), "argument 1 (steam_id) must be int, got null"},
      {"getFriendPersonaName", {R(1.5)}, S(""), "argument 1 (steam_id) must be int, got float 1.5"},
      {"getFriendPersonaName", {R(1e300)}, S(""), "argument 1 (steam_id) must be int, got float"},
      {"getSteamID", {I(1)}, I(0), "takes at most 0 arguments, got 1"},
      {"requestUserInformation", {I(u)}, B(false), "argument 2 (require_name_only) is missing"},
      {"requestUserInformation", {I(u), I(7)}, B(false), "argument 2 (require_name_only) must be bool, got int"},
      {"setPersonaName", {I(5)}, Nil(), "argument 1 (name) must be String, got int"},
      {"isSubscribedApp", {I(-480)}, B(false), "argument 1 (app_id) must be 1 to 4294967295, got -480"},
      // networking
      {"sendP2PPacket", {I(u), Bytes({}), I(2)}, B(false), "argument 2 (data) is empty"},
      {"sendP2PPacket",
       {I(u), Bytes(std::vector<std::uint8_t>(1201)), I(0)},
       B(false),
       "argument 2 (data) is 1201 bytes, more than send type 0 allows (1200)"},
      {"sendP2PPacket",
       {I(u), Bytes(std::vector<std::uint8_t>((1u << 20) + 1)), I(2)},
       B(false),
       "argument 2 (data) is 1048577 bytes"},
      {"sendP2PPacket", {I(u), Bytes(one), I(4)}, B(false), "argument 3 (send_type) must be 0 to 3, got 4"},
      {"sendP2PPacket", {I(u), Bytes(one), I(-1)}, B(false), "argument 3 (send_type) must be 0 to 3, got -1"},
      {"sendP2PPacket", {I(u), Bytes(one), I(2), I(256)}, B(false), "argument 4 (channel) must be 0 to 255, got 256"},
      {"sendP2PPacket", {I(u), Bytes(one), I(2), I(-1)}, B(false), "argument 4 (channel) must be 0 to 255, got -1"},
      {"sendP2PPacket", {I(u), Bytes(one), I(2), I(1ll << 40)}, B(false), "argument 4 (channel) must be 0 to 255"},
      {"sendP2PPacket", {I(u), Bytes(one)}, B(false), "argument 3 (send_type) is missing"},
      {"sendP2PPacket", {I(u), S("hello"), I(2)}, B(false), "argument 2 (data) must be PoolByteArray, got String"},
      {"sendP2PPacket",
       {I(u), Variant::array({I(1)}), I(2)},
       B(false),
       "argument 2 (data) must be PoolByteArray, got Array"},
      {"sendP2PPacket", {I(lobby), Bytes(one), I(2)}, B(false), "argument 1 (remote_steam_id) is not a user's"},
      {"sendP2PPacket", {I(0), Bytes(one), I(2)}, B(false), "argument 1 (remote_steam_id) is not a user's"},
      {"sendP2PPacket", {I(u), Bytes(one), I(2), I(0), I(0)}, B(false), "takes at most 4 arguments, got 5"},
      {"acceptP2PSessionWithUser", {I(0)}, B(false), "argument 1 (remote_steam_id) is not a user's Steam ID: 0"},
      {"acceptP2PSessionWithUser",
       {Variant::dictionary({})},
       B(false),
       "argument 1 (remote_steam_id) must be int, got Dictionary"},
      {"closeP2PSessionWithUser", {I(-7)}, B(false), "argument 1 (remote_steam_id) is not a user's Steam ID: -7"},
      {"closeP2PChannelWithUser", {I(u), I(300)}, B(false), "argument 2 (channel) must be 0 to 255, got 300"},
      {"closeP2PChannelWithUser", {I(u)}, B(false), "argument 2 (channel) is missing"},
      {"getP2PSessionState", {S("x")}, EmptyDict(), "argument 1 (remote_steam_id) must be int, got String"},
      {"getP2PSessionState", {I(lobby)}, EmptyDict(), "argument 1 (remote_steam_id) is not a user's"},
      {"allowP2PPacketRelay", {S("true")}, B(false), "argument 1 (allow) must be bool, got String"},
      {"allowP2PPacketRelay", {I(2)}, B(false), "argument 1 (allow) must be bool, got int"},
      // lobbies
      {"getLobbyData", {S("x"), S("k")}, S(""), "argument 1 (steam_lobby_id) must be int, got String"},
      {"getLobbyData", {I(lobby), I(3)}, S(""), "argument 2 (key) must be String, got int"},
      {"getLobbyData", {I(u), S("k")}, S(""), "argument 1 (steam_lobby_id) is not a lobby's Steam ID"},
      {"getLobbyData", {I(lobby)}, S(""), "argument 2 (key) is missing"},
      {"setLobbyData", {I(lobby), S("k"), I(1)}, B(false), "argument 3 (value) must be String, got int"},
      {"setLobbyData", {I(0), S("k"), S("v")}, B(false), "argument 1 (steam_lobby_id) is not a lobby's Steam ID: 0"},
      {"deleteLobbyData", {I(lobby), Nil()}, B(false), "argument 2 (key) must be String, got null"},
      {"getAllLobbyData", {I(-1)}, EmptyDict(), "argument 1 (steam_lobby_id) is not a lobby's Steam ID: -1"},
      {"getNumLobbyMembers", {B(true)}, I(0), "argument 1 (steam_lobby_id) must be int, got bool"},
      {"getLobbyMemberByIndex", {I(lobby), I(-1)}, I(0), "argument 2 (member) must be 0 to 249, got -1"},
      {"getLobbyMemberByIndex", {I(lobby), I(1ll << 40)}, I(0), "argument 2 (member) must be 0 to 249"},
      {"getLobbyOwner", {}, I(0), "argument 1 (steam_lobby_id) is missing"},
      {"setLobbyOwner", {I(lobby), I(lobby)}, B(false), "argument 2 (steam_id_new_owner) is not a user's"},
      {"getLobbyMemberLimit", {I(u)}, I(0), "argument 1 (steam_lobby_id) is not a lobby's"},
      {"setLobbyMemberLimit", {I(lobby), I(0)}, B(false), "argument 2 (max_members) must be 1 to 250, got 0"},
      {"setLobbyMemberLimit", {I(lobby), I(-5)}, B(false), "argument 2 (max_members) must be 1 to 250, got -5"},
      {"setLobbyJoinable", {I(lobby), S("no")}, B(false), "argument 2 (joinable) must be bool, got String"},
      {"setLobbyType", {I(lobby), I(4)}, B(false), "argument 2 (lobby_type) must be 0 to 3, got 4"},
      {"setLobbyMemberData", {I(lobby), S("k")}, Nil(), "argument 3 (value) is missing"},
      {"getLobbyMemberData", {I(lobby), I(0), S("k")}, S(""), "argument 2 (steam_id_user) is not a user's"},
      {"requestLobbyData", {I(u)}, B(false), "argument 1 (steam_lobby_id) is not a lobby's"},
      {"inviteUserToLobby", {I(lobby), I(0)}, B(false), "argument 2 (steam_id_invitee) is not a user's"},
      {"sendLobbyChatMsg", {I(lobby), S("")}, B(false), "argument 2 (message_body) is empty"},
      {"sendLobbyChatMsg",
       {I(lobby), S(std::string(4096, 'a'))},
       B(false),
       "argument 2 (message_body) is 4096 bytes of UTF-8, more than the 4095"},
      {"sendLobbyChatMsg", {I(lobby), Bytes({'h', 'i'})}, B(false), "argument 2 (message_body) must be String"},
      {"leaveLobby", {S("x")}, Nil(), "argument 1 (steam_lobby_id) must be int, got String"},
      {"joinLobby", {Nil()}, Nil(), "argument 1 (steam_lobby_id) must be int, got null"},
      {"createLobby", {}, Nil(), "argument 1 (lobby_type) is missing"},
      {"createLobby", {S("public")}, Nil(), "argument 1 (lobby_type) must be int, got String"},
      {"requestLobbyList", {I(1)}, Nil(), "takes at most 0 arguments, got 1"},
      {"addRequestLobbyListStringFilter",
       {S("k"), S("v"), I(9)},
       Nil(),
       "argument 3 (comparison_type) must be -2 to 3, got 9"},
      {"addRequestLobbyListStringFilter", {S("k"), I(1), I(0)}, Nil(), "argument 2 (value_to_match) must be String"},
      {"addRequestLobbyListNumericalFilter",
       {S("k"), I(1ll << 33), I(0)},
       Nil(),
       "argument 2 (value_to_match) must be -2147483648 to 2147483647, got 8589934592"},
      {"addRequestLobbyListNearValueFilter", {S("k")}, Nil(), "argument 2 (value_to_be_close_to) is missing"},
      {"addRequestLobbyListFilterSlotsAvailable", {S("2")}, Nil(), "argument 1 (slots_available) must be int"},
      {"addRequestLobbyListDistanceFilter", {I(4)}, Nil(), "argument 1 (distance_filter) must be 0 to 3, got 4"},
      {"addRequestLobbyListResultCountFilter", {R(2.5)}, Nil(), "argument 1 (max_results) must be int, got float"},
  };
  for (const auto& c : cases) {
    const CallResult r = alice.call(c.name, c.args);
    EXPECT_TRUE(r.value == c.want) << c.name << " gave " << text(r.value);
    EXPECT_EQ(r.value.type(), c.want.type()) << c.name;
    const std::string prefix = "Steam." + std::string(c.name) + ": " + c.error;
    EXPECT_EQ(r.error.substr(0, prefix.size()), prefix) << c.name;
  }
  // Nothing bad reached the server: the lobby is unchanged and both players are still fine.
  EXPECT_TRUE(alice.ok("getNumLobbyMembers", {I(lobby)}) == I(1));
  EXPECT_TRUE(alice.ok("getLobbyMemberLimit", {I(lobby)}) == I(4));
  EXPECT_TRUE(alice.ok("loggedOn") == B(true));
  // Floats with integral values and bools as 0/1 are what Godot may pass: accepted.
  EXPECT_TRUE(alice.ok("getLobbyMemberByIndex", {I(lobby), R(0.0)}) == I(alice_id));
  EXPECT_TRUE(alice.ok("setLobbyMemberLimit", {I(lobby), R(5.0)}) == B(true));
  EXPECT_TRUE(alice.ok("setLobbyJoinable", {I(lobby), I(1)}) == B(true));
  // The limit shows once the server has applied it (a lobby_data_update announces it).
  EXPECT_TRUE(until([&] { return alice.ok("getLobbyMemberLimit", {I(lobby)}) == I(5); }));
}

TEST(SteamApiText, ValidUtf8ReplacesEachBadSequenceOnce) {
  EXPECT_EQ(valid_utf8("plain"), "plain");
  EXPECT_EQ(valid_utf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"), "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80");
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(valid_utf8("a\xFF"
                       "b"),
            "a" + fffd + "b");
  EXPECT_EQ(valid_utf8("\xC0\xAF"), fffd + fffd);  // overlong lead is never valid
  EXPECT_EQ(valid_utf8("\xE2\x82"), fffd);         // truncated: one maximal subpart
  EXPECT_EQ(valid_utf8("\xE2\x82x"), fffd + "x");
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), fffd + fffd + fffd);             // surrogate
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // above U+10FFFF
  EXPECT_EQ(valid_utf8(std::string_view("a\0b", 3)), std::string("a\0b", 3));
}

}  // namespace
}  // namespace kettle::agent
