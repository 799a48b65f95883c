// The kettle-bench executable's argument handling as a process (no benchmark is run).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bench/child.hpp"

namespace kettle::bench {
namespace {

ExitInfo run(const std::vector<std::string>& args, std::string* first_line = nullptr) {
  auto c = ChildProcess::spawn(KETTLE_BENCH_PATH, args);
  EXPECT_TRUE(c.ok());
  const Instant deadline = monotonic_now() + secs(30);
  if (first_line != nullptr) {
    auto line = c->read_line(deadline);
    if (line) *first_line = *line;
  }
  auto exit = c->wait(deadline);
  EXPECT_TRUE(exit.ok());
  return exit.ok() ? *exit : ExitInfo{};
}

TEST(KettleBenchBinary, BadFlagsExitTwo) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--scenario", "nope"},
           {"--loss", "-3"},
           {"--no-such-flag"},
           {"--vs", "tcp"},
           {"--role", "sender", "--scenario", "p2p-bulk"},  // a player needs the server's address and key
           {"--scenario", "p2p-bulk", "--p2p-message-kb", "2048"},
           {"--scenario", "lobbies", "--lobby-clients", "0"},
           {"--scenario", "godot-rtt", "--godot-pings", "0"},
           {"--scenario", "godot-rtt", "--godot-warmup", "-1"},
           {"--scenario", "godot-rtt", "--role", "receiver"}}) {
    EXPECT_EQ(run(args).describe(), "exit 2") << args[0];
  }
}

TEST(KettleBenchBinary, HelpExitsZeroOnStdout) {
  std::string first;
  EXPECT_EQ(run({"--help"}, &first).describe(), "exit 0");
  EXPECT_NE(first.find("kettle-bench"), std::string::npos);
}

// Without a kettle-server the p2p scenarios fail fast, with one JSON line per row (p2p-connect
// has two: direct and relay) saying why, and exit status 1. No benchmark runs.
TEST(KettleBenchBinary, P2PWithoutAServerReportsEachRowAsFailed) {
  auto c = ChildProcess::spawn(KETTLE_BENCH_PATH, {"--scenario", "p2p-connect", "--vs", "enet", "--server",
                                                   "/nonexistent/kettle-server", "--json", "--timeout", "5"});
  ASSERT_TRUE(c.ok());
  const Instant deadline = monotonic_now() + secs(30);
  std::vector<nlohmann::json> lines;
  while (auto line = c->read_line(deadline)) lines.push_back(nlohmann::json::parse(*line));
  auto exit = c->wait(deadline);
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->describe(), "exit 1");
  ASSERT_EQ(lines.size(), 2u) << "two rows and no ENet run or ratio object";
  EXPECT_EQ(lines[0].at("path"), "direct");
  EXPECT_EQ(lines[1].at("path"), "relay");
  for (const auto& j : lines) {
    EXPECT_EQ(j.at("scenario"), "p2p-connect");
    EXPECT_EQ(j.at("impl"), "kettle");
    EXPECT_EQ(j.at("ok"), false);
    EXPECT_NE(j.at("error").get<std::string>().find("kettle-server"), std::string::npos) << j.dump();
    EXPECT_FALSE(j.contains("connect_p50_us"));
  }
}

// godot-rtt checks its binaries and project before starting anything: a wrong --agent,
// --godot or --godot-project is one failed JSON row naming the problem, exit status 1, fast.
TEST(KettleBenchBinary, GodotRttWithAMissingBinaryOrProjectFailsFastAndSaysWhich) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{
           {{"--agent", "/nonexistent/kettle-agent"}, "--agent /nonexistent/kettle-agent"},
           {{"--agent", "/bin/sh", "--godot", "/nonexistent/godot3-server"}, "--godot /nonexistent/godot3-server"},
           {{"--agent", "/bin/sh", "--godot", "/bin/sh", "--godot-project", "/nonexistent"}, "has no project.godot"}}) {
    std::vector<std::string> args{"--scenario", "godot-rtt", "--json", "--timeout", "5"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto child = ChildProcess::spawn(KETTLE_BENCH_PATH, args);
    ASSERT_TRUE(child.ok());
    const Instant deadline = monotonic_now() + secs(30);
    std::vector<nlohmann::json> lines;
    while (auto line = child->read_line(deadline)) lines.push_back(nlohmann::json::parse(*line));
    auto exit = child->wait(deadline);
    ASSERT_TRUE(exit.ok());
    EXPECT_EQ(exit->describe(), "exit 1") << c.says;
    ASSERT_EQ(lines.size(), 1u) << c.says;
    EXPECT_EQ(lines[0].at("scenario"), "godot-rtt");
    EXPECT_EQ(lines[0].at("ok"), false);
    EXPECT_NE(lines[0].at("error").get<std::string>().find(c.says), std::string::npos) << lines[0].dump();
    EXPECT_FALSE(lines[0].contains("godot_rtt_p50_us"));
  }
}

// The lobbies scenario end to end with a handful of clients against a real kettle-server: one
// JSON line, every operation of the mix answered without an error. No timing is asserted.
TEST(KettleBenchBinary, LobbiesRunsEveryOperationAgainstARealServer) {
  auto c =
      ChildProcess::spawn(KETTLE_BENCH_PATH, {"--scenario", "lobbies", "--lobby-clients", "12", "--lobby-concurrency",
                                              "6", "--duration", "2", "--json", "--timeout", "60"});
  ASSERT_TRUE(c.ok());
  const Instant deadline = monotonic_now() + secs(90);
  std::vector<nlohmann::json> lines;
  while (auto line = c->read_line(deadline)) lines.push_back(nlohmann::json::parse(*line));
  auto exit = c->wait(deadline);
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->describe(), "exit 0");
  ASSERT_EQ(lines.size(), 1u) << "one row, no ENet run or ratio object";
  const auto& j = lines[0];
  EXPECT_EQ(j.at("scenario"), "lobbies");
  EXPECT_EQ(j.at("impl"), "kettle");
  EXPECT_EQ(j.at("ok"), true) << j.dump();
  EXPECT_FALSE(j.contains("error")) << j.dump();
  EXPECT_EQ(j.at("stats").at("clients"), 12);
  std::uint64_t total = 0;
  for (const char* op : {"create", "join", "leave", "lobby_data", "member_data", "chat", "list"}) {
    ASSERT_TRUE(j.at("ops").contains(op)) << op << " " << j.dump();
    const auto& o = j.at("ops").at(op);
    EXPECT_GT(o.at("count").get<std::uint64_t>(), 0u) << op << " " << j.dump();
    EXPECT_EQ(o.at("errors"), 0) << op;
    EXPECT_GT(o.at("p50_us").get<double>(), 0) << op;
    EXPECT_GE(o.at("p99_us").get<double>(), o.at("p50_us").get<double>()) << op;
    total += o.at("count").get<std::uint64_t>();
  }
  EXPECT_EQ(j.at("messages").get<std::uint64_t>(), total);
  EXPECT_GT(j.at("ops_per_s").get<double>(), 0);
  EXPECT_GT(j.at("cpu_s").get<double>(), 0) << "the kettle-server process's CPU";
}

}  // namespace
}  // namespace kettle::bench
