#include "bench/options.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace kettle::bench {
namespace {

ParseOutcome parse(std::vector<std::string> args) {
  args.insert(args.begin(), "kettle-bench");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_args(static_cast<int>(argv.size()), argv.data());
}

TEST(Options, DefaultsRunAllScenariosButLoginWithKettleAsATable) {
  const auto r = parse({});
  ASSERT_TRUE(r.options) << r.message;
  EXPECT_EQ(r.options->scenarios,
            (std::vector<Scenario>{Scenario::bulk, Scenario::small, Scenario::pingpong, Scenario::loss,
                                   Scenario::p2p_bulk, Scenario::p2p_relay_bulk, Scenario::p2p_connect}));
  EXPECT_EQ(r.options->impls, std::vector<Impl>{Impl::kettle});
  EXPECT_TRUE(r.options->table);
  EXPECT_FALSE(r.options->json);
  EXPECT_EQ(r.options->role, Role::none);
}

TEST(Options, VsEnetRepeatableScenariosAndLossKnobs) {
  const auto r = parse({"--vs", "enet", "--scenario", "loss", "--scenario", "pingpong", "--scenario", "loss", "--json",
                        "--loss", "2.5", "--rtt-ms", "80"});
  ASSERT_TRUE(r.options) << r.message;
  EXPECT_EQ(r.options->impls, (std::vector<Impl>{Impl::kettle, Impl::enet}));
  EXPECT_EQ(r.options->scenarios, (std::vector<Scenario>{Scenario::loss, Scenario::pingpong}));  // deduplicated
  EXPECT_TRUE(r.options->json);
  EXPECT_FALSE(r.options->table);  // --json alone: no table
  EXPECT_DOUBLE_EQ(r.options->loss_pct, 2.5);
  EXPECT_EQ(r.options->rtt_ms, 80);
}

TEST(Options, BadArgumentsExitTwoWithAClearMessage) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--scenario", "nope"}, "nope"},
      {{"--impl", "quic"}, "quic"},
      {{"--vs", "tcp"}, "tcp"},
      {{"--loss", "150"}, "--loss"},
      {{"--loss", "abc"}, "--loss"},
      {{"--rtt-ms", "-1"}, "--rtt-ms"},
      {{"--duration", "0"}, "--duration"},
      {{"--pings", "0"}, "--pings"},
      {{"--frobnicate"}, "frobnicate"},
      {{"--connect", "127.0.0.1:5"}, "--connect"},
      {{"--role", "sender", "--scenario", "bulk"}, "--connect"},
      {{"--role", "receiver"}, "exactly one"},
      {{"--role", "receiver", "--scenario", "bulk", "--vs", "enet"}, "--vs"},
      {{"--server-key", "00"}, "--server-key"},
      {{"--role", "receiver", "--scenario", "p2p-bulk", "--connect", "127.0.0.1:5"}, "--server-key"},
      {{"--role", "sender", "--scenario", "p2p-relay-bulk", "--server-key", "ab"}, "--connect"},
      {{"--role", "sender", "--scenario", "p2p-connect", "--connect", "127.0.0.1:5", "--server-key", "ab"},
       "p2p-connect"},
      {{"--p2p-mib", "0"}, "--p2p-mib"},
      {{"--p2p-message-kb", "1025"}, "--p2p-message-kb"},
      {{"--p2p-sessions", "0"}, "--p2p-sessions"},
      {{"--lobby-clients", "0"}, "--lobby-clients"},
      {{"--lobby-concurrency", "0"}, "--lobby-concurrency"},
      {{"--lobby-threads", "17"}, "--lobby-threads"},
      {{"--role", "sender", "--scenario", "lobbies", "--connect", "127.0.0.1:5"}, "lobbies has no --role"},
      {{"--role", "receiver", "--scenario", "login"}, "login has no --role"},
  };
  for (const auto& [args, needle] : cases) {
    const auto r = parse(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_FALSE(r.options) << joined;
    EXPECT_EQ(r.exit_code, 2) << joined;
    EXPECT_NE(r.message.find(needle), std::string::npos) << joined << "→ " << r.message;
  }
}

TEST(Options, HelpExitsZeroAndHidesInternalFlags) {
  const auto r = parse({"--help"});
  EXPECT_FALSE(r.options);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.message.find("--scenario"), std::string::npos);
  EXPECT_NE(r.message.find("10^6"), std::string::npos);  // MB is documented
  EXPECT_EQ(r.message.find("--role"), std::string::npos);
}

TEST(Options, ChildArgsParseBackToTheSameRun) {
  const auto parent = parse({"--vs", "enet", "--seed", "77", "--duration", "1.5", "--pings", "123"});
  ASSERT_TRUE(parent.options);
  std::vector<std::string> args =
      child_args(*parent.options, Scenario::small, Impl::enet, Role::sender, "127.0.0.1:4000");
  const auto child = parse(args);
  ASSERT_TRUE(child.options) << child.message;
  EXPECT_EQ(child.options->role, Role::sender);
  EXPECT_EQ(child.options->scenarios, std::vector<Scenario>{Scenario::small});
  EXPECT_EQ(child.options->impls, std::vector<Impl>{Impl::enet});
  EXPECT_EQ(child.options->seed, 77u);
  EXPECT_DOUBLE_EQ(child.options->duration_s, 1.5);
  EXPECT_EQ(child.options->pings, 123);
  EXPECT_EQ(child.options->connect, "127.0.0.1:4000");
}

TEST(Options, P2PScenariosParseAndHaveNoEnetCounterpart) {
  const auto r = parse({"--scenario", "p2p-bulk", "--scenario", "p2p-relay-bulk", "--scenario", "p2p-connect", "--vs",
                        "enet", "--p2p-mib", "8", "--p2p-message-kb", "1024", "--p2p-sessions", "5"});
  ASSERT_TRUE(r.options) << r.message;
  EXPECT_EQ(r.options->scenarios,
            (std::vector<Scenario>{Scenario::p2p_bulk, Scenario::p2p_relay_bulk, Scenario::p2p_connect}));
  EXPECT_EQ(r.options->p2p_mib, 8u);
  EXPECT_EQ(r.options->p2p_message_kb, 1024u);
  EXPECT_EQ(r.options->p2p_sessions, 5);
  for (Scenario s : r.options->scenarios) {
    EXPECT_TRUE(is_p2p(s));
    EXPECT_FALSE(has_enet(s));
  }
  EXPECT_EQ(scenario_name(Scenario::p2p_relay_bulk), "p2p-relay-bulk");
  const auto small = parse({"--scenario", "p2p-relay-small"});
  ASSERT_TRUE(small.options) << small.message;
  EXPECT_EQ(small.options->scenarios, std::vector<Scenario>{Scenario::p2p_relay_small});
  EXPECT_TRUE(is_p2p(Scenario::p2p_relay_small));
  EXPECT_FALSE(has_enet(Scenario::p2p_relay_small));
  EXPECT_EQ(scenario_message_size(Scenario::p2p_relay_small), kP2PSmallMessageSize);
  EXPECT_TRUE(has_enet(Scenario::bulk));
  EXPECT_FALSE(has_enet(Scenario::login));
}

TEST(Options, LobbiesIsOptInWithItsOwnKnobs) {
  const auto d = parse({"--scenario", "lobbies"});
  ASSERT_TRUE(d.options) << d.message;
  EXPECT_EQ(d.options->scenarios, std::vector<Scenario>{Scenario::lobbies});
  EXPECT_EQ(d.options->lobby_clients, 2000);  // the figure
  EXPECT_EQ(d.options->lobby_concurrency, 256);
  EXPECT_EQ(d.options->lobby_threads, 1);
  EXPECT_FALSE(has_enet(Scenario::lobbies));
  EXPECT_FALSE(is_p2p(Scenario::lobbies));
  EXPECT_EQ(scenario_name(Scenario::lobbies), "lobbies");
  const auto r = parse({"--scenario", "lobbies", "--lobby-clients", "12", "--lobby-concurrency", "6", "--lobby-threads",
                        "2", "--duration", "0.5"});
  ASSERT_TRUE(r.options) << r.message;
  EXPECT_EQ(r.options->lobby_clients, 12);
  EXPECT_EQ(r.options->lobby_concurrency, 6);
  EXPECT_EQ(r.options->lobby_threads, 2);
  EXPECT_DOUBLE_EQ(r.options->duration_s, 0.5);
}

TEST(Options, GodotRttIsOptInWithItsOwnKnobsAndNoRole) {
  const auto d = parse({});
  ASSERT_TRUE(d.options) << d.message;
  EXPECT_EQ(std::count(d.options->scenarios.begin(), d.options->scenarios.end(), Scenario::godot_rtt), 0)
      << "it needs Godot and takes a while: not in the default run";
  const auto r = parse({"--scenario", "godot-rtt", "--godot-pings", "50", "--godot-warmup", "0", "--agent", "/a/agent",
                        "--godot", "/g/godot3-server", "--godot-project", "/p"});
  ASSERT_TRUE(r.options) << r.message;
  EXPECT_EQ(r.options->scenarios, std::vector<Scenario>{Scenario::godot_rtt});
  EXPECT_EQ(r.options->godot_pings, 50);
  EXPECT_EQ(r.options->godot_warmup, 0);
  EXPECT_EQ(r.options->agent_path, "/a/agent");
  EXPECT_EQ(r.options->godot_path, "/g/godot3-server");
  EXPECT_EQ(r.options->godot_project, "/p");
  EXPECT_EQ(parse({"--scenario", "godot-rtt"}).options->godot_pings, 2000);
  EXPECT_EQ(parse({"--scenario", "godot-rtt"}).options->godot_warmup, 100);
  EXPECT_FALSE(has_enet(Scenario::godot_rtt));
  EXPECT_FALSE(is_p2p(Scenario::godot_rtt));
  EXPECT_EQ(scenario_name(Scenario::godot_rtt), "godot-rtt");
  EXPECT_EQ(scenario_message_size(Scenario::godot_rtt), 64u);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--scenario", "godot-rtt", "--godot-pings", "0"},
           {"--scenario", "godot-rtt", "--godot-pings", "-5"},
           {"--scenario", "godot-rtt", "--godot-pings", "many"},
           {"--scenario", "godot-rtt", "--godot-warmup", "-1"},
           {"--scenario", "godot-rtt", "--agent"},
           {"--scenario", "godot-rtt", "--role", "sender", "--connect", "127.0.0.1:1"}}) {
    const auto bad = parse(args);
    EXPECT_FALSE(bad.options) << args[2];
    EXPECT_EQ(bad.exit_code, 2) << args[2];
  }
  EXPECT_NE(parse({"--scenario", "godot-rtt", "--role", "receiver"}).message.find("godot-rtt has no --role"),
            std::string::npos);
}

TEST(Options, P2PChildArgsParseBackToThePlayerRole) {
  const auto parent = parse({"--scenario", "p2p-relay-bulk", "--p2p-mib", "3", "--p2p-message-kb", "64"});
  ASSERT_TRUE(parent.options);
  auto args = child_args(*parent.options, Scenario::p2p_relay_bulk, Impl::kettle, Role::receiver, "127.0.0.1:27015");
  args.push_back("--server-key");
  args.push_back(std::string(64, 'a'));
  const auto child = parse(args);
  ASSERT_TRUE(child.options) << child.message;
  EXPECT_EQ(child.options->role, Role::receiver);
  EXPECT_EQ(child.options->scenarios, std::vector<Scenario>{Scenario::p2p_relay_bulk});
  EXPECT_EQ(child.options->p2p_mib, 3u);
  EXPECT_EQ(child.options->p2p_message_kb, 64u);
  EXPECT_EQ(child.options->connect, "127.0.0.1:27015");
  EXPECT_EQ(child.options->server_key, std::string(64, 'a'));
}

}  // namespace
}  // namespace kettle::bench
