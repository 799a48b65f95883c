#include "bench/report.hpp"

#include <gtest/gtest.h>

#include "bench/runner.hpp"

namespace kettle::bench {
namespace {

Figures bulk(Impl impl, double goodput) {
  Figures f;
  f.scenario = Scenario::bulk;
  f.impl = impl;
  f.goodput_MBps = goodput;
  f.msgs_per_s = goodput;
  f.cpu_s = 1.25;
  f.max_rss_kb = 4096;
  return f;
}

TEST(Report, FiguresJsonHasTheAcceptanceKeys) {
  const auto j = figures_json(bulk(Impl::kettle, 123.4567));
  EXPECT_EQ(j.at("scenario"), "bulk");
  EXPECT_EQ(j.at("impl"), "kettle");
  EXPECT_DOUBLE_EQ(j.at("goodput_MBps").get<double>(), 123.457);
  EXPECT_DOUBLE_EQ(j.at("cpu_s").get<double>(), 1.25);
  EXPECT_EQ(j.at("max_rss_kb"), 4096);
  EXPECT_FALSE(j.contains("MB_per_cpu_s"));  // no verified bytes in this fixture
  EXPECT_EQ(j.at("ok"), true);
  EXPECT_FALSE(j.contains("rtt_p50_us"));  // not applicable to bulk
  EXPECT_FALSE(j.contains("error"));
  // One line per object: the dump must not contain a newline.
  EXPECT_EQ(j.dump().find('\n'), std::string::npos);
}

TEST(Report, PingpongJsonHasRttAndFailuresAreVisible) {
  Figures f;
  f.scenario = Scenario::pingpong;
  f.impl = Impl::enet;
  f.rtt_p50_us = 31.04;
  f.rtt_p99_us = 90.0;
  f.verify_failures = 2;
  const auto j = figures_json(f);
  EXPECT_DOUBLE_EQ(j.at("rtt_p50_us").get<double>(), 31.0);
  EXPECT_DOUBLE_EQ(j.at("rtt_p99_us").get<double>(), 90.0);
  EXPECT_EQ(j.at("verify_failures"), 2);
  EXPECT_EQ(j.at("ok"), false);
}

TEST(Report, RatioIsOrientedSoAboveOneMeansKettleIsBetter) {
  EXPECT_DOUBLE_EQ(*kettle_vs_enet_ratio(bulk(Impl::kettle, 200), bulk(Impl::enet, 100)), 2.0);
  Figures k, e;
  k.scenario = e.scenario = Scenario::pingpong;
  k.rtt_p50_us = 20;
  e.rtt_p50_us = 40;
  EXPECT_DOUBLE_EQ(*kettle_vs_enet_ratio(k, e), 2.0);  // lower RTT is better
  k.scenario = e.scenario = Scenario::small;
  k.msgs_per_s = 1000;
  e.msgs_per_s = 4000;
  EXPECT_DOUBLE_EQ(*kettle_vs_enet_ratio(k, e), 0.25);

  auto failed = bulk(Impl::kettle, 500);
  failed.verify_failures = 1;  // a fast but wrong run earns no ratio
  EXPECT_EQ(kettle_vs_enet_ratio(failed, bulk(Impl::enet, 100)), std::nullopt);
  const auto rj = ratio_json(Scenario::bulk, std::nullopt);
  EXPECT_TRUE(rj.at("ratio").is_null());
  EXPECT_EQ(ratio_json(Scenario::loss, 1.23456).at("ratio"), 1.235);
}

TEST(Report, EfficiencyIsVerifiedMegabytesPerCpuSecond) {
  auto f = bulk(Impl::kettle, 100);
  f.bytes = 500'000'000;
  f.cpu_s = 2.0;
  EXPECT_DOUBLE_EQ(*f.mb_per_cpu_s(), 250.0);
  EXPECT_DOUBLE_EQ(figures_json(f).at("MB_per_cpu_s").get<double>(), 250.0);
  f.scenario = Scenario::pingpong;  // round trips are measured by latency, not volume
  EXPECT_EQ(f.mb_per_cpu_s(), std::nullopt);
}

TEST(Report, PercentileByNearestRank) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  EXPECT_DOUBLE_EQ(percentile(v, 50), 50);
  EXPECT_DOUBLE_EQ(percentile(v, 99), 99);
  EXPECT_DOUBLE_EQ(percentile(v, 100), 100);
  std::vector<double> one{7};
  EXPECT_DOUBLE_EQ(percentile(one, 99), 7);
  std::vector<double> none;
  EXPECT_DOUBLE_EQ(percentile(none, 50), 0);
}

TEST(Report, TableHasARowPerRunAndARatioRow) {
  auto failed = bulk(Impl::enet, 0);
  failed.error = "receiver timed out";
  const std::string t = format_table({bulk(Impl::kettle, 100), failed});
  EXPECT_NE(t.find("kettle"), std::string::npos);
  EXPECT_NE(t.find("FAILED: receiver timed out"), std::string::npos);
  EXPECT_NE(t.find("ratio"), std::string::npos);
  EXPECT_NE(t.find("n/a"), std::string::npos);
  EXPECT_NE(t.find("10^6"), std::string::npos);
}

TEST(Runner, CombinesRoleResultsIntoFigures) {
  const auto sender = nlohmann::json::parse(R"({"role":"sender","failures":0,"t_start_us":1000000,
      "messages_sent":10,"receiver_failures":0,"stats":{"rtt_ms":1}})");
  const auto receiver = nlohmann::json::parse(R"({"role":"receiver","failures":0,"messages":10,
      "bytes":10485760,"t_end_us":3000000})");
  const Figures f = combine_results(Scenario::bulk, Impl::kettle, sender, receiver);
  EXPECT_DOUBLE_EQ(f.elapsed_s, 2.0);
  EXPECT_DOUBLE_EQ(*f.goodput_MBps, 10485760 / 1e6 / 2.0);  // MB = 10^6 bytes
  EXPECT_DOUBLE_EQ(*f.msgs_per_s, 5.0);
  EXPECT_EQ(f.extra.at("sender").at("rtt_ms"), 1);
  EXPECT_EQ(f.mb_per_cpu_s(), std::nullopt);  // no rusage in combine_results
  EXPECT_TRUE(f.ok());

  const auto bad_receiver = nlohmann::json::parse(R"({"failures":3,"messages":7,"bytes":7,"t_end_us":2000000})");
  EXPECT_EQ(combine_results(Scenario::bulk, Impl::enet, sender, bad_receiver).verify_failures, 3u);

  const auto pinger = nlohmann::json::parse(R"({"failures":0,"t_start_us":0,"t_end_us":1000000,"round_trips":99,
      "pings_lost":1,"rtt_p50_us":30.5,"rtt_p99_us":70})");
  const Figures p = combine_results(Scenario::pingpong, Impl::enet, pinger, nlohmann::json::object());
  EXPECT_DOUBLE_EQ(*p.rtt_p50_us, 30.5);
  EXPECT_EQ(p.pings_lost, 1u);
  EXPECT_FALSE(p.goodput_MBps.has_value());
}

Figures p2p_bulk(Scenario s, double cpu_s, double server_cpu_s) {
  Figures f;
  f.scenario = s;
  f.bytes = 64'000'000;
  f.goodput_MBps = 400;
  f.cpu_s = cpu_s;
  f.extra["server_cpu_s"] = server_cpu_s;
  f.extra["relay_forwarded_datagrams"] = 60000;
  return f;
}

TEST(Report, LobbiesRowHasTotalsAndOneEntryPerOperation) {
  Figures f;
  f.scenario = Scenario::lobbies;
  f.ops_per_s = 51234.56;
  f.op_p50_us = 812.34;
  f.op_p99_us = 9000;
  f.ops["chat"] = {{"count", 100}, {"ops_per_s", 33.3}, {"p50_us", 700.0}, {"p99_us", 4321.0}, {"errors", 0}};
  f.ops["list"] = {{"count", 10}, {"ops_per_s", 3.3}, {"p50_us", 900.0}, {"p99_us", 8765.0}, {"errors", 0}};
  const auto j = figures_json(f);
  EXPECT_EQ(j.at("scenario"), "lobbies");
  EXPECT_DOUBLE_EQ(j.at("ops_per_s").get<double>(), 51234.6);
  EXPECT_DOUBLE_EQ(j.at("op_p50_us").get<double>(), 812.3);
  EXPECT_DOUBLE_EQ(j.at("op_p99_us").get<double>(), 9000);
  EXPECT_EQ(j.at("ops").at("chat").at("count"), 100);
  EXPECT_DOUBLE_EQ(j.at("ops").at("list").at("p99_us").get<double>(), 8765);
  EXPECT_FALSE(j.contains("msgs_per_s"));
  EXPECT_FALSE(figures_json(bulk(Impl::kettle, 1)).contains("ops"));
  // The table: the totals in the msgs/s and latency columns, then one indented row per operation.
  const std::string t = format_table({f});
  EXPECT_NE(t.find("51235"), std::string::npos) << t;
  EXPECT_NE(t.find("9000.0"), std::string::npos) << t;
  EXPECT_NE(t.find("  chat"), std::string::npos) << t;
  EXPECT_NE(t.find("4321.0"), std::string::npos) << t;
  EXPECT_NE(t.find("  list"), std::string::npos) << t;
  EXPECT_EQ(t.find(" ratio "), std::string::npos) << "no ENet counterpart, no ratio row";
}

TEST(Report, P2PConnectRowsCarryTheirPathAndLatency) {
  Figures d;
  d.scenario = Scenario::p2p_connect;
  d.path = "direct";
  d.connect_p50_us = 812.34;
  d.connect_p99_us = 2000;
  Figures r = d;
  r.path = "relay";
  r.connect_p50_us = 950;
  const auto j = figures_json(d);
  EXPECT_EQ(j.at("scenario"), "p2p-connect");
  EXPECT_EQ(j.at("path"), "direct");
  EXPECT_DOUBLE_EQ(j.at("connect_p50_us").get<double>(), 812.3);
  EXPECT_FALSE(j.contains("rtt_p50_us"));
  EXPECT_FALSE(j.contains("MB_per_cpu_s"));
  EXPECT_FALSE(figures_json(bulk(Impl::kettle, 1)).contains("path"));
  // Both rows appear in the table, each under its own label, latency in the RTT columns.
  const std::string t = format_table({d, r});
  EXPECT_NE(t.find("p2p-connect/direct"), std::string::npos) << t;
  EXPECT_NE(t.find("p2p-connect/relay"), std::string::npos) << t;
  EXPECT_NE(t.find("812.3"), std::string::npos) << t;
  EXPECT_NE(t.find("950.0"), std::string::npos) << t;
  EXPECT_EQ(t.find(" ratio "), std::string::npos) << "no ENet counterpart, no ratio row";
}

TEST(Report, GodotRttNamesBothSidesAndTheAgentHop) {
  Figures f;
  f.scenario = Scenario::godot_rtt;
  f.rtt_p50_us = 700;
  f.rtt_p99_us = 1500;
  f.cpp_rtt_p50_us = 260;
  f.cpp_rtt_p99_us = 900;
  f.pings_lost = 2;
  ASSERT_TRUE(agent_hop_added_us(f));
  EXPECT_DOUBLE_EQ(*agent_hop_added_us(f), 110.0);  // (700 - 260) / 4
  auto j = figures_json(f);
  EXPECT_DOUBLE_EQ(j.at("godot_rtt_p50_us").get<double>(), 700);
  EXPECT_DOUBLE_EQ(j.at("godot_rtt_p99_us").get<double>(), 1500);
  EXPECT_DOUBLE_EQ(j.at("cpp_rtt_p50_us").get<double>(), 260);
  EXPECT_DOUBLE_EQ(j.at("cpp_rtt_p99_us").get<double>(), 900);
  EXPECT_DOUBLE_EQ(j.at("rtt_p50_diff_us").get<double>(), 440);
  EXPECT_DOUBLE_EQ(j.at("agent_hop_added_us_p50").get<double>(), 110);
  EXPECT_EQ(j.at("agent_hop_goal_met"), false);
  EXPECT_EQ(j.at("pings_lost"), 2);
  EXPECT_FALSE(j.contains("rtt_p50_us")) << "the generic key would not say which side";
  std::string t = format_table({f});
  EXPECT_NE(t.find("godot-rtt/cpp"), std::string::npos) << t;
  EXPECT_NE(t.find("110.0"), std::string::npos) << t;
  EXPECT_NE(t.find("NOT met"), std::string::npos) << t;

  f.rtt_p50_us = 500;  // (500 - 260) / 4 = 60
  EXPECT_EQ(figures_json(f).at("agent_hop_goal_met"), true);
  EXPECT_NE(format_table({f}).find(": met"), std::string::npos);

  f.error = "godot3-server not found";  // a failed run claims nothing
  j = figures_json(f);
  EXPECT_FALSE(agent_hop_added_us(f));
  EXPECT_FALSE(j.contains("agent_hop_added_us_p50"));
  EXPECT_TRUE(j.at("agent_hop_goal_met").is_null());
}

TEST(Report, RelayCostComparesCpuPerMegabyteWithAndWithoutTheServer) {
  const Figures direct = p2p_bulk(Scenario::p2p_bulk, 2.0, 0.0);
  const Figures relay = p2p_bulk(Scenario::p2p_relay_bulk, 2.2, 0.4);
  const auto c = relay_vs_direct(direct, relay);
  ASSERT_TRUE(c);
  EXPECT_NEAR(c->endpoint_ratio, 1.1, 1e-9);
  EXPECT_NEAR(c->with_server_ratio, 1.3, 1e-9);
  const auto j = relay_cost_json(c);
  EXPECT_EQ(j.at("scenario"), "p2p-relay-bulk");
  EXPECT_EQ(j.at("vs"), "p2p-bulk");
  EXPECT_DOUBLE_EQ(j.at("cpu_per_MB_ratio").get<double>(), 1.1);
  EXPECT_DOUBLE_EQ(j.at("cpu_per_MB_ratio_with_server").get<double>(), 1.3);

  Figures failed = relay;
  failed.error = "timed out";
  EXPECT_FALSE(relay_vs_direct(direct, failed));
  EXPECT_TRUE(relay_cost_json(std::nullopt).at("cpu_per_MB_ratio").is_null());

  const std::string t = format_table({direct, relay});
  EXPECT_NE(t.find("p2p-relay-bulk"), std::string::npos) << t;
  EXPECT_NE(t.find("60000 forwarded datagrams = 150000 per CPU s"), std::string::npos) << t;
  EXPECT_NE(t.find("players 1.10, players + server 1.30"), std::string::npos) << t;
}

}  // namespace
}  // namespace kettle::bench
