// kettle-agent end to end on real loopback sockets: an Agent (on a thread, the same code as the
// binary) and a FakeGame speaking docs/protocol.md §16 as Steam.gd does.
#include "agent/agent.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "fake_game.hpp"

namespace kettle::agent::testing {
namespace {

using namespace std::chrono_literals;

struct RunningAgent {
  Agent agent;
  std::thread thread;
  std::atomic<int> exit_code{-1};

  explicit RunningAgent(const std::string& name, double hello_timeout_s = 5) : agent(options(name, hello_timeout_s)) {
    EXPECT_TRUE(agent.start().ok());
    thread = std::thread([this] { exit_code = agent.run(); });
  }
  ~RunningAgent() {
    if (thread.joinable()) thread.join();
  }
  static AgentOptions options(const std::string& name, double hello_timeout_s) {
    AgentOptions o;
    o.config.server = "embedded";  // one in-process dev server shared by every agent in this process
    o.config.login_name = name;
    o.game_connect_timeout_s = 20;
    o.hello_timeout_s = hello_timeout_s;
    return o;
  }
  bool connect(FakeGame& g) {
    return g.connect(agent.tcp_port(), agent.udp_port(), FakeGame::hello_for(agent.token()));
  }
};

// A raw connection to the agent's port; true if the agent closed it within `wait`.
bool closed_by_agent(std::uint16_t port, const std::vector<std::uint8_t>& bytes, std::chrono::milliseconds wait) {
  FakeGame raw;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return true;
  }
  if (!bytes.empty()) ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  pollfd p{fd, POLLIN, 0};
  bool closed = false;
  if (::poll(&p, 1, static_cast<int>(wait.count())) > 0) {
    char c;
    closed = ::recv(fd, &c, 1, 0) <= 0;
  }
  ::close(fd);
  return closed;
}

std::int64_t as_int(const std::optional<Variant>& v) { return v && v->as_int() ? *v->as_int() : -1; }

TEST(Agent, GarbageAndWrongTokensAreIgnoredThenTheGameIsServed) {
  RunningAgent a("agent-garbage", 0.5);
  Token wrong = a.agent.token();
  wrong[7] ^= 1;
  std::vector<std::uint8_t> garbage(40, 0x5a);
  EXPECT_TRUE(closed_by_agent(a.agent.tcp_port(), garbage, 5s)) << "garbage must be dropped";
  EXPECT_TRUE(closed_by_agent(a.agent.tcp_port(), FakeGame::hello_for(wrong), 5s)) << "a wrong token must be dropped";
  EXPECT_TRUE(closed_by_agent(a.agent.tcp_port(), {}, 5s)) << "silence past the hello timeout must be dropped";
  // Garbage on the UDP port goes nowhere either.
  int u = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in ua{};
  ua.sin_family = AF_INET;
  ua.sin_port = htons(a.agent.udp_port());
  ua.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(u, garbage.data(), garbage.size(), 0, reinterpret_cast<sockaddr*>(&ua), sizeof ua);
  ::close(u);

  FakeGame game;
  ASSERT_TRUE(a.connect(game)) << "the real game still gets in";
  EXPECT_EQ(as_int(game.call("getSteamID", {})), 0) << "before init";
  auto init = game.call("steamInitEx", {});
  ASSERT_TRUE(init && init->as_dictionary());
  const Variant* status = init->find("status");
  ASSERT_NE(status, nullptr);
  ASSERT_NE(status->as_int(), nullptr);
  EXPECT_EQ(*status->as_int(), 0);
  EXPECT_GT(as_int(game.call("getSteamID", {})), 76561197960265728LL);
  auto unknown = game.call("noSuchFunction", {});
  ASSERT_TRUE(unknown.has_value());
  EXPECT_FALSE(game.errors.empty()) << "an unknown function answers with an error text";

  game.close();
  a.thread.join();
  EXPECT_EQ(a.exit_code.load(), 0) << "the agent exits cleanly when its game goes";
}

TEST(Agent, PacketsAndCallbacksReachTheGameInOrder) {
  RunningAgent ra("agent-alice"), rb("agent-bob");
  FakeGame alice, bob;
  ASSERT_TRUE(ra.connect(alice));
  ASSERT_TRUE(rb.connect(bob));
  ASSERT_TRUE(alice.call("steamInitEx", {}));
  ASSERT_TRUE(bob.call("steamInitEx", {}));
  const std::int64_t alice_id = as_int(alice.call("getSteamID", {}));
  const std::int64_t bob_id = as_int(bob.call("getSteamID", {}));

  std::vector<std::uint8_t> hello(300, 7);
  EXPECT_EQ(alice
                .call("sendP2PPacket",
                      {Variant::integer(bob_id), Variant::bytes(hello), Variant::integer(2), Variant::integer(0)})
                ->as_bool()[0],
            true);
  std::vector<std::int64_t> requests;
  bool packet_there_after_accept = false;
  bob.on_signal = [&](const std::string& signal, const Array& args) {
    if (signal != "p2p_session_request") return;
    requests.push_back(*args.at(0).as_int());
    auto ok = bob.call("acceptP2PSessionWithUser", {args.at(0)});  // nested, inside the callback
    EXPECT_TRUE(ok && ok->as_bool() && *ok->as_bool());
    packet_there_after_accept = !bob.packets[0].empty();
    EXPECT_TRUE(bob.call("run_callbacks", {}).has_value()) << "a nested run_callbacks returns at once";
  };
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (requests.empty() && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(bob.call("run_callbacks", {}));
    if (requests.empty()) bob.pump(20ms);
  }
  ASSERT_EQ(requests, std::vector<std::int64_t>{alice_id});
  EXPECT_TRUE(packet_there_after_accept) << "held data is in the game's queue before accept returns";
  ASSERT_FALSE(bob.packets[0].empty());
  EXPECT_EQ(bob.packets[0].front().data, hello);
  EXPECT_EQ(bob.packets[0].front().from, alice_id);
  EXPECT_FALSE(bob.packets[0].front().via_udp) << "reliable data travels on TCP";

  // Unreliable small data: game -> agent and agent -> game by UDP.
  for (int i = 0; i < 20; ++i)
    alice.send_unreliable(bob_id, std::vector<std::uint8_t>(64, static_cast<std::uint8_t>(i)), 0, 5);
  const auto d2 = std::chrono::steady_clock::now() + 10s;
  while (bob.packets[5].size() < 20 && std::chrono::steady_clock::now() < d2) bob.pump(50ms);
  ASSERT_GE(bob.packets[5].size(), 15u) << "loopback loses no datagrams in practice";
  EXPECT_TRUE(bob.packets[5].front().via_udp);
  // A 200 KB reliable message goes by TCP, whole.
  std::vector<std::uint8_t> big(200000);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 31);
  ASSERT_TRUE(alice.call("sendP2PPacket",
                         {Variant::integer(bob_id), Variant::bytes(big), Variant::integer(2), Variant::integer(9)}));
  const auto d3 = std::chrono::steady_clock::now() + 10s;
  while (bob.packets[9].empty() && std::chrono::steady_clock::now() < d3) bob.pump(50ms);
  ASSERT_EQ(bob.packets[9].size(), 1u);
  EXPECT_EQ(bob.packets[9].front().data, big);
  alice.close();
  bob.close();
}

TEST(Agent, HandshakeFileIsPrivateAndComplete) {
  const std::string path = ::testing::TempDir() + "/kettle-agent-handshake-test";
  AgentOptions o;
  o.handshake_file = path;
  o.game_connect_timeout_s = 0.2;
  Agent agent(o);
  ASSERT_TRUE(agent.start().ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(path);
  std::string word, version, token_hex;
  int tcp = 0, udp = 0;
  in >> word >> version >> tcp >> udp >> token_hex;
  EXPECT_EQ(word, "kettle-agent");
  EXPECT_EQ(version, "1");
  EXPECT_EQ(tcp, agent.tcp_port());
  EXPECT_EQ(udp, agent.udp_port());
  EXPECT_EQ(token_hex.size(), 64u);
  EXPECT_EQ(agent.run(), 1) << "no game within the timeout: exit 1";
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace kettle::agent::testing
