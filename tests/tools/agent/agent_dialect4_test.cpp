// kettle-agent serving a Godot 4 game (godot/addons/kettle/godot4/Steam.gd): a real Agent on
// loopback and FakeGames whose hello says dialect 4 and who speak 4.x Variants both ways. The
// agent must decode the game's 4.x messages (Array 28, PackedByteArray 29) and answer in 4.x: every
// message it sends is an Array with type id 28, dictionaries are 27, byte arrays 29 — bytes that a
// 3.x decoder rejects.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "agent/agent.hpp"
#include "fake_game.hpp"

namespace kettle::agent::testing {
namespace {

using namespace std::chrono_literals;
using godot::Dialect;
using godot::Dictionary;

constexpr std::uint8_t kArray4 = 28;
constexpr std::uint8_t kDictionary4 = 27;
constexpr std::uint8_t kPackedBytes4 = 29;

struct RunningAgent4 {
  Agent agent;
  std::thread thread;
  std::atomic<int> exit_code{-1};

  explicit RunningAgent4(const std::string& name) : agent(options(name)) {
    EXPECT_TRUE(agent.start().ok());
    thread = std::thread([this] { exit_code = agent.run(); });
  }
  ~RunningAgent4() {
    if (thread.joinable()) thread.join();
  }
  static AgentOptions options(const std::string& name) {
    AgentOptions o;
    o.config.server = "embedded";  // the in-process dev server every agent in this binary shares
    o.config.login_name = name;
    o.game_connect_timeout_s = 20;
    return o;
  }
  bool connect(FakeGame& g) {
    return g.connect(agent.tcp_port(), agent.udp_port(), FakeGame::hello_for(agent.token(), 4));
  }
};

// A dialect-4 game that keeps the raw bytes of every message the agent sent, and of each REPLY.
struct Game4 {
  FakeGame game{Dialect::godot4};
  std::vector<std::vector<std::uint8_t>> raw;      // every message, in arrival order
  std::vector<std::vector<std::uint8_t>> replies;  // the REPLY messages among them
  std::vector<std::pair<std::string, Array>> signals;

  Game4() {
    game.on_raw = [this](std::span<const std::uint8_t> v, bool) {
      raw.emplace_back(v.begin(), v.end());
      auto d = godot::decode(v, Dialect::godot4);
      if (d && d->as_array() != nullptr && !d->as_array()->empty() && (*d->as_array())[0].as_int() != nullptr &&
          *(*d->as_array())[0].as_int() == kReply)
        replies.emplace_back(v.begin(), v.end());
    };
    game.on_signal = [this](const std::string& s, const Array& a) { signals.emplace_back(s, a); };
  }
  std::optional<Variant> call(const std::string& name, Array args) { return game.call(name, std::move(args)); }
  // run_callbacks until `signal` was emitted (true) or 10 s passed.
  bool wait_signal(const std::string& signal) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!call("run_callbacks", {})) return false;
      if (find(signal) != nullptr) return true;
      game.pump(20ms);
    }
    return false;
  }
  const Array* find(const std::string& signal) const {
    for (auto it = signals.rbegin(); it != signals.rend(); ++it)
      if (it->first == signal) return &it->second;
    return nullptr;
  }
};

std::vector<std::uint8_t> enc4(const Variant& v) { return *godot::encode(v, Dialect::godot4); }

bool contains(const std::vector<std::uint8_t>& hay, const std::vector<std::uint8_t>& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

std::uint8_t type_id(const std::vector<std::uint8_t>& v) { return v.empty() ? 0xff : v[0]; }

// The last REPLY is a 4.x Array holding `result` in 4.x bytes, and no 3.x decoder reads it.
void expect_reply_is_4x(const Game4& g, const Variant& result, std::uint8_t result_type, const char* what) {
  SCOPED_TRACE(what);
  ASSERT_FALSE(g.replies.empty());
  const auto& reply = g.replies.back();
  EXPECT_EQ(type_id(reply), kArray4) << "a REPLY is a 4.x Array";
  const auto bytes = enc4(result);
  EXPECT_EQ(type_id(bytes), result_type);
  EXPECT_TRUE(contains(reply, bytes)) << "the result travels in its 4.x encoding";
  EXPECT_FALSE(godot::decode(reply, Dialect::godot3).ok()) << "28 is no type in 3.x: the bytes are 4.x only";
}

std::int64_t as_int(const std::optional<Variant>& v) { return v && v->as_int() ? *v->as_int() : -1; }

TEST(AgentDialect4, InitLobbyAndP2PExchangeIn4xVariants) {
  RunningAgent4 ra("agent4-alice"), rb("agent4-bob");
  Game4 alice, bob;
  ASSERT_TRUE(ra.connect(alice.game)) << "WELCOME (with its PackedByteArray tag) decodes as 4.x";
  ASSERT_TRUE(rb.connect(bob.game));
  ASSERT_FALSE(alice.raw.empty());
  EXPECT_EQ(type_id(alice.raw.front()), kArray4) << "WELCOME is a 4.x Array";
  EXPECT_TRUE(contains(alice.raw.front(), {kPackedBytes4, 0, 0, 0, 16, 0, 0, 0})) << "the UDP tag is a PackedByteArray";

  // init: the status dictionary comes back as a 4.x Dictionary (27).
  auto init = alice.call("steamInitEx", {Variant::boolean(true), Variant::integer(0), Variant::boolean(false)});
  ASSERT_TRUE(init && init->as_dictionary());
  const Variant* status = init->find("status");
  ASSERT_TRUE(status != nullptr && status->as_int() != nullptr);
  EXPECT_EQ(*status->as_int(), 0);
  expect_reply_is_4x(alice, *init, kDictionary4, "steamInitEx");
  ASSERT_TRUE(bob.call("steamInitEx", {}));
  const std::int64_t alice_id = as_int(alice.call("getSteamID", {}));
  const std::int64_t bob_id = as_int(bob.call("getSteamID", {}));
  EXPECT_GT(alice_id, 76561197960265728LL);
  EXPECT_GT(bob_id, 76561197960265728LL);
  EXPECT_EQ(alice.call("getPersonaName", {})->as_string()[0], "agent4-alice");

  // A lobby: created and joined through signals whose arguments are 4.x Arrays.
  EXPECT_TRUE(alice.call("createLobby", {Variant::integer(2), Variant::integer(4)}).has_value());
  ASSERT_TRUE(alice.wait_signal("lobby_joined"));
  const Array* created = alice.find("lobby_created");
  ASSERT_NE(created, nullptr);
  ASSERT_EQ(created->size(), 2u);
  EXPECT_EQ(*(*created)[0].as_int(), 1) << "k_EResultOK";
  const std::int64_t lobby = *(*created)[1].as_int();
  const auto callback_args = enc4(Variant::array(*created));
  EXPECT_EQ(type_id(callback_args), kArray4);
  EXPECT_TRUE(std::any_of(alice.raw.begin(), alice.raw.end(), [&](const auto& r) {
    return type_id(r) == kArray4 && contains(r, callback_args);
  })) << "the CALLBACK carries its arguments as a 4.x Array";
  auto set = alice.call("setLobbyData", {Variant::integer(lobby), Variant::string("mode"), Variant::string("ctf")});
  ASSERT_TRUE(set && set->as_bool() && *set->as_bool());
  ASSERT_TRUE(alice.wait_signal("lobby_data_update")) << "the server has the data before bob joins";
  EXPECT_TRUE(bob.call("joinLobby", {Variant::integer(lobby)}).has_value());
  ASSERT_TRUE(bob.wait_signal("lobby_joined"));
  const Array* joined = bob.find("lobby_joined");
  ASSERT_EQ(joined->size(), 4u);
  EXPECT_EQ(*(*joined)[0].as_int(), lobby);
  ASSERT_NE((*joined)[2].as_bool(), nullptr) << "locked is a bool";
  EXPECT_EQ(*(*joined)[3].as_int(), 1) << "k_EChatRoomEnterResponseSuccess";
  ASSERT_TRUE(alice.wait_signal("lobby_chat_update"));
  EXPECT_EQ(*(*alice.find("lobby_chat_update"))[1].as_int(), bob_id);

  // getAllLobbyData: a Dictionary of Dictionaries, 27 inside 27.
  auto all = bob.call("getAllLobbyData", {Variant::integer(lobby)});
  ASSERT_TRUE(all && all->as_dictionary());
  ASSERT_FALSE(all->as_dictionary()->empty());
  const Variant& entry = all->as_dictionary()->begin()->second;
  ASSERT_NE(entry.as_dictionary(), nullptr);
  EXPECT_EQ(entry.find("key")->as_string()[0], "mode");
  EXPECT_EQ(entry.find("value")->as_string()[0], "ctf");
  expect_reply_is_4x(bob, *all, kDictionary4, "getAllLobbyData");
  EXPECT_EQ(type_id(enc4(entry)), kDictionary4);

  // P2P: a reliable send is a CALL whose PackedByteArray (29) the agent must decode; the packet
  // reaches bob as a 4.x PackedByteArray after the session request is accepted in its handler.
  std::vector<std::uint8_t> hello(300);
  for (std::size_t i = 0; i < hello.size(); ++i) hello[i] = static_cast<std::uint8_t>(i * 7 + 1);
  auto sent = alice.call("sendP2PPacket",
                         {Variant::integer(bob_id), Variant::bytes(hello), Variant::integer(2), Variant::integer(0)});
  ASSERT_TRUE(sent && sent->as_bool());
  EXPECT_TRUE(*sent->as_bool()) << "the agent read the 4.x PackedByteArray argument";
  bob.game.on_signal = [&](const std::string& s, const Array& a) {
    bob.signals.emplace_back(s, a);
    if (s == "p2p_session_request") {
      auto ok = bob.call("acceptP2PSessionWithUser", {a.at(0)});  // nested, inside the callback
      EXPECT_TRUE(ok && ok->as_bool() && *ok->as_bool());
    }
  };
  ASSERT_TRUE(bob.wait_signal("p2p_session_request"));
  EXPECT_EQ(*(*bob.find("p2p_session_request"))[0].as_int(), alice_id);
  const auto d1 = std::chrono::steady_clock::now() + 10s;
  while (bob.game.packets[0].empty() && std::chrono::steady_clock::now() < d1) bob.game.pump(20ms);
  ASSERT_EQ(bob.game.packets[0].size(), 1u);
  EXPECT_EQ(bob.game.packets[0].front().data, hello);
  EXPECT_EQ(bob.game.packets[0].front().from, alice_id);
  EXPECT_TRUE(std::any_of(bob.raw.begin(), bob.raw.end(), [&](const auto& r) {
    return contains(r, enc4(Variant::bytes(hello)));
  })) << "the PACKET's data is a 4.x PackedByteArray";
  EXPECT_EQ(type_id(enc4(Variant::bytes(hello))), kPackedBytes4);

  // Unreliable: SEND datagrams in 4.x from alice, PACKET datagrams in 4.x to bob.
  for (int i = 0; i < 10; ++i)
    alice.game.send_unreliable(bob_id, std::vector<std::uint8_t>(64, static_cast<std::uint8_t>(0xa0 + i)), 0, 3);
  const auto d2 = std::chrono::steady_clock::now() + 10s;
  while (bob.game.packets[3].size() < 10 && std::chrono::steady_clock::now() < d2) bob.game.pump(20ms);
  ASSERT_GE(bob.game.packets[3].size(), 8u) << "loopback loses no datagrams in practice";
  EXPECT_TRUE(bob.game.packets[3].front().via_udp);
  EXPECT_EQ(bob.game.packets[3].front().data.size(), 64u);

  // getP2PSessionState: a 4.x Dictionary with GodotSteam's keys.
  auto state = alice.call("getP2PSessionState", {Variant::integer(bob_id)});
  ASSERT_TRUE(state && state->as_dictionary());
  EXPECT_NE(state->find("connection_active"), nullptr);
  expect_reply_is_4x(alice, *state, kDictionary4, "getP2PSessionState");

  EXPECT_EQ(alice.game.undecodable, 0) << "everything the agent sent decoded as 4.x";
  EXPECT_EQ(bob.game.undecodable, 0);
  alice.game.close();
  bob.game.close();
}

// A game whose hello said 4 but that writes a 3.x frame (Array 19, which 4.x reads as a Projection)
// is cut off with a protocol error (exit 3), not misread: the dialect of the hello is binding.
TEST(AgentDialect4, A3xFrameOnADialect4LinkClosesIt) {
  RunningAgent4 ra("agent4-mixed");
  Game4 g;
  ASSERT_TRUE(ra.connect(g.game));
  EXPECT_EQ(as_int(g.call("getSteamID", {})), 0) << "the 4.x game is served (0 before init)";
  expect_reply_is_4x(g, Variant::integer(0), 2, "getSteamID");

  const auto call3 = *godot::encode(Variant::array({Variant::integer(kCall), Variant::integer(2), Variant::integer(1),
                                                    Variant::string("getSteamID"), Variant::array({})}),
                                    Dialect::godot3);
  ASSERT_EQ(type_id(call3), 19) << "a 3.x Array";
  const auto n = static_cast<std::uint32_t>(call3.size());
  std::vector<std::uint8_t> frame{static_cast<std::uint8_t>(n), static_cast<std::uint8_t>(n >> 8),
                                  static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 24)};
  frame.insert(frame.end(), call3.begin(), call3.end());
  ASSERT_EQ(::send(g.game.tcp_fd(), frame.data(), frame.size(), MSG_NOSIGNAL), static_cast<ssize_t>(frame.size()));
  ra.thread.join();  // the agent stops serving: no reply, no further message
  EXPECT_EQ(ra.exit_code.load(), 3) << "a protocol error, not a clean exit";
  EXPECT_EQ(g.replies.size(), 1u) << "no reply to the 3.x frame";
}

}  // namespace
}  // namespace kettle::agent::testing
