#include "bench/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace kettle::bench {
namespace {

std::optional<double> positive_ratio(std::optional<double> num, std::optional<double> den) {
  if (!num || !den || *den <= 0 || *num <= 0) return std::nullopt;
  return *num / *den;
}

// JSON has no NaN/inf; keep figures finite and rounded to what the measurement supports.
double round_to(double v, int decimals) {
  if (!std::isfinite(v)) return 0;
  const double scale = std::pow(10.0, decimals);
  return std::round(v * scale) / scale;
}

std::string cell(std::optional<double> v, int decimals) {
  return v ? fmt::format("{:.{}f}", *v, decimals) : std::string("-");
}

const Figures* find(const std::vector<Figures>& all, Scenario s, Impl i) {
  for (const auto& f : all) {
    if (f.scenario == s && f.impl == i) return &f;
  }
  return nullptr;
}

}  // namespace

std::optional<double> Figures::mb_per_cpu_s() const noexcept {
  if (cpu_s <= 0 || bytes == 0 || scenario == Scenario::pingpong) return std::nullopt;
  return static_cast<double>(bytes) / 1e6 / cpu_s;
}

namespace {

std::optional<double> cpu_per_mb(const Figures& f, bool with_server) {
  if (!f.ok() || f.bytes == 0 || f.cpu_s <= 0) return std::nullopt;
  double cpu = f.cpu_s;
  if (with_server) {
    const auto it = f.extra.find("server_cpu_s");
    if (it != f.extra.end() && it->is_number()) cpu += it->get<double>();
  }
  return cpu / (static_cast<double>(f.bytes) / 1e6);
}

}  // namespace

std::optional<RelayCost> relay_vs_direct(const Figures& direct, const Figures& relay) {
  const auto d = cpu_per_mb(direct, false), r = cpu_per_mb(relay, false);
  const auto ds = cpu_per_mb(direct, true), rs = cpu_per_mb(relay, true);
  if (!d || !r || !ds || !rs) return std::nullopt;
  return RelayCost{*r / *d, *rs / *ds};
}

nlohmann::json relay_cost_json(std::optional<RelayCost> cost) {
  nlohmann::json j;
  j["scenario"] = "p2p-relay-bulk";
  j["vs"] = "p2p-bulk";
  if (cost) {
    j["cpu_per_MB_ratio"] = round_to(cost->endpoint_ratio, 3);
    j["cpu_per_MB_ratio_with_server"] = round_to(cost->with_server_ratio, 3);
  } else {
    j["cpu_per_MB_ratio"] = nullptr;
    j["cpu_per_MB_ratio_with_server"] = nullptr;
  }
  return j;
}

std::optional<double> kettle_vs_enet_ratio(const Figures& kettle, const Figures& enet) {
  if (!kettle.ok() || !enet.ok()) return std::nullopt;
  switch (kettle.scenario) {
    case Scenario::bulk:
    case Scenario::loss:
      return positive_ratio(kettle.goodput_MBps, enet.goodput_MBps);
    case Scenario::small:
      return positive_ratio(kettle.msgs_per_s, enet.msgs_per_s);
    case Scenario::pingpong:
      return positive_ratio(enet.rtt_p50_us, kettle.rtt_p50_us);
    case Scenario::login:
    case Scenario::lobbies:
    case Scenario::p2p_bulk:
    case Scenario::p2p_relay_bulk:
    case Scenario::p2p_relay_small:
    case Scenario::p2p_connect:
    case Scenario::godot_rtt:
      return std::nullopt;  // ENet has no login or P2P service to compare with
  }
  return std::nullopt;
}

std::optional<double> agent_hop_added_us(const Figures& f) {
  if (!f.ok() || !f.rtt_p50_us || !f.cpp_rtt_p50_us) return std::nullopt;
  return (*f.rtt_p50_us - *f.cpp_rtt_p50_us) / 4.0;
}

nlohmann::json figures_json(const Figures& f) {
  nlohmann::json j;
  j["scenario"] = scenario_name(f.scenario);
  j["impl"] = impl_name(f.impl);
  if (f.scenario == Scenario::godot_rtt) {
    // Named for what each side is; the generic rtt_* keys would not say which.
    if (f.rtt_p50_us) j["godot_rtt_p50_us"] = round_to(*f.rtt_p50_us, 1);
    if (f.rtt_p99_us) j["godot_rtt_p99_us"] = round_to(*f.rtt_p99_us, 1);
    if (f.cpp_rtt_p50_us) j["cpp_rtt_p50_us"] = round_to(*f.cpp_rtt_p50_us, 1);
    if (f.cpp_rtt_p99_us) j["cpp_rtt_p99_us"] = round_to(*f.cpp_rtt_p99_us, 1);
    const auto hop = agent_hop_added_us(f);
    if (hop) {
      j["rtt_p50_diff_us"] = round_to(*f.rtt_p50_us - *f.cpp_rtt_p50_us, 1);
      j["agent_hop_added_us_p50"] = round_to(*hop, 1);
    }
    j["agent_hop_goal_us"] = kAgentHopGoalUs;
    j["agent_hop_goal_met"] = hop ? nlohmann::json(*hop < kAgentHopGoalUs) : nlohmann::json(nullptr);
  }
  if (f.goodput_MBps) j["goodput_MBps"] = round_to(*f.goodput_MBps, 3);
  if (f.msgs_per_s) j["msgs_per_s"] = round_to(*f.msgs_per_s, 1);
  if (f.rtt_p50_us && f.scenario != Scenario::godot_rtt) j["rtt_p50_us"] = round_to(*f.rtt_p50_us, 1);
  if (f.rtt_p99_us && f.scenario != Scenario::godot_rtt) j["rtt_p99_us"] = round_to(*f.rtt_p99_us, 1);
  if (f.logins_per_s) j["logins_per_s"] = round_to(*f.logins_per_s, 1);
  if (f.login_p50_us) j["login_p50_us"] = round_to(*f.login_p50_us, 1);
  if (f.login_p99_us) j["login_p99_us"] = round_to(*f.login_p99_us, 1);
  if (f.ops_per_s) j["ops_per_s"] = round_to(*f.ops_per_s, 1);
  if (f.op_p50_us) j["op_p50_us"] = round_to(*f.op_p50_us, 1);
  if (f.op_p99_us) j["op_p99_us"] = round_to(*f.op_p99_us, 1);
  if (!f.ops.empty()) j["ops"] = f.ops;
  if (!f.path.empty()) j["path"] = f.path;
  if (f.connect_p50_us) j["connect_p50_us"] = round_to(*f.connect_p50_us, 1);
  if (f.connect_p99_us) j["connect_p99_us"] = round_to(*f.connect_p99_us, 1);
  j["cpu_s"] = round_to(f.cpu_s, 3);
  if (const auto e = f.mb_per_cpu_s()) j["MB_per_cpu_s"] = round_to(*e, 2);
  j["max_rss_kb"] = f.max_rss_kb;
  j["messages"] = f.messages;
  j["bytes"] = f.bytes;
  j["elapsed_s"] = round_to(f.elapsed_s, 4);
  if (f.scenario == Scenario::pingpong || f.scenario == Scenario::godot_rtt) j["pings_lost"] = f.pings_lost;
  j["verify_failures"] = f.verify_failures;
  j["ok"] = f.ok();
  if (!f.error.empty()) j["error"] = f.error;
  if (!f.extra.empty()) j["stats"] = f.extra;
  return j;
}

nlohmann::json ratio_json(Scenario s, std::optional<double> ratio) {
  nlohmann::json j;
  j["scenario"] = scenario_name(s);
  if (ratio) {
    j["ratio"] = round_to(*ratio, 3);
  } else {
    j["ratio"] = nullptr;  // one side failed or lacks the figure
  }
  return j;
}

double percentile(std::vector<double>& samples, double pct) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const double rank = std::ceil(pct / 100.0 * static_cast<double>(samples.size()));
  const auto idx = static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(samples.size()))) - 1;
  return samples[idx];
}

std::string format_table(const std::vector<Figures>& all) {
  std::string out =
      fmt::format("{:<18} {:<7} {:>12} {:>12} {:>11} {:>11} {:>7} {:>9} {:>10}  {}\n", "scenario", "impl",
                  "goodput MB/s", "msgs/s", "RTT p50 us", "RTT p99 us", "CPU s", "MB/CPU s", "maxRSS KB", "result");
  std::vector<Scenario> order;
  for (const auto& f : all) {
    if (std::find(order.begin(), order.end(), f.scenario) == order.end()) order.push_back(f.scenario);
  }
  auto first_of = [](std::optional<double> a, std::optional<double> b, std::optional<double> c,
                     std::optional<double> d) {
    return a ? a : b ? b : c ? c : d;
  };
  for (Scenario s : order) {
    for (Impl i : {Impl::kettle, Impl::enet}) {
      for (const Figures& fig : all) {
        if (fig.scenario != s || fig.impl != i) continue;
        const Figures* f = &fig;
        std::string result = "verified";
        if (!f->error.empty()) {
          result = "FAILED: " + f->error;
        } else if (f->verify_failures > 0) {
          result = fmt::format("FAILED: {} verification failures", f->verify_failures);
        } else if (f->pings_lost > 0) {
          result = fmt::format("verified ({} pings lost)", f->pings_lost);
        }
        const std::string label =
            f->path.empty() ? std::string(scenario_name(s)) : fmt::format("{}/{}", scenario_name(s), f->path);
        out +=
            fmt::format("{:<18} {:<7} {:>12} {:>12} {:>11} {:>11} {:>7.2f} {:>9} {:>10}  {}\n", label, impl_name(i),
                        cell(f->goodput_MBps, 1), cell(first_of(f->logins_per_s, f->ops_per_s, f->msgs_per_s, {}), 0),
                        cell(first_of(f->connect_p50_us, f->login_p50_us, f->op_p50_us, f->rtt_p50_us), 1),
                        cell(first_of(f->connect_p99_us, f->login_p99_us, f->op_p99_us, f->rtt_p99_us), 1), f->cpu_s,
                        cell(f->mb_per_cpu_s(), 1), f->max_rss_kb, result);
      }
    }
    const Figures* k = find(all, s, Impl::kettle);
    const Figures* e = find(all, s, Impl::enet);
    if (k != nullptr && e != nullptr) {
      const auto r = kettle_vs_enet_ratio(*k, *e);
      const char* what = s == Scenario::pingpong ? "enet p50 / kettle p50"
                         : s == Scenario::small  ? "msgs/s"
                                                 : "goodput";
      out += fmt::format("{:<18} {:<7} {:>12}  ({}; >1 means Kettle is better)\n", scenario_name(s), "ratio",
                         r ? fmt::format("{:.2f}", *r) : std::string("n/a"), what);
    }
    if (s == Scenario::godot_rtt && k != nullptr && k->cpp_rtt_p50_us) {
      out += fmt::format("{:<18} {:<7} {:>12} {:>12} {:>11} {:>11}  (two kettle::Client, no agent)\n", "godot-rtt/cpp",
                         "", "", "", cell(k->cpp_rtt_p50_us, 1), cell(k->cpp_rtt_p99_us, 1));
      const auto hop = agent_hop_added_us(*k);
      out += fmt::format("{:<18} {:<7} agent hop adds {} us at p50 ((Godot p50 - C++ p50) / 4); goal < {:.0f} us: {}\n",
                         "godot-rtt", "hop", cell(hop, 1), kAgentHopGoalUs,
                         !hop                     ? "n/a"
                         : *hop < kAgentHopGoalUs ? "met"
                                                  : "NOT met");
    }
    if (s == Scenario::lobbies && k != nullptr) {
      for (const auto& [name, op] : k->ops.items()) {
        out += fmt::format("{:<18} {:<7} {:>12} {:>12} {:>11} {:>11}\n", "  " + name, "", "",
                           cell(op.value("ops_per_s", 0.0), 0), cell(op.value("p50_us", 0.0), 1),
                           cell(op.value("p99_us", 0.0), 1));
      }
    }
    if ((s == Scenario::p2p_relay_bulk || s == Scenario::p2p_relay_small) && k != nullptr && k->ok()) {
      const auto& x = k->extra;
      if (x.contains("server_cpu_s") && x.contains("relay_forwarded_datagrams")) {
        const double server_cpu = x["server_cpu_s"].get<double>();
        const auto datagrams = x["relay_forwarded_datagrams"].get<std::uint64_t>();
        out += fmt::format(
            "{:<18} {:<7} kettle-server CPU {:.2f} s for {} forwarded datagrams = {} per CPU s\n", scenario_name(s),
            "relay", server_cpu, datagrams,
            server_cpu > 0 ? fmt::format("{:.0f}", static_cast<double>(datagrams) / server_cpu) : std::string("n/a"));
      }
      const Figures* d = s == Scenario::p2p_relay_bulk ? find(all, Scenario::p2p_bulk, Impl::kettle) : nullptr;
      if (d != nullptr) {
        const auto c = relay_vs_direct(*d, *k);
        out += fmt::format("{:<18} {:<7} CPU per MB relay/direct: players {}, players + server {}\n", scenario_name(s),
                           "ratio", c ? fmt::format("{:.2f}", c->endpoint_ratio) : "n/a",
                           c ? fmt::format("{:.2f}", c->with_server_ratio) : "n/a");
      }
    }
  }
  out +=
      "MB = 10^6 bytes. CPU = user+sys of both endpoint processes; MB/CPU s = verified MB per CPU second.\n"
      "login: msgs/s = logins/s, RTT = connect-to-LoginOk latency, CPU = the kettle-server process.\n"
      "lobbies: msgs/s = lobby operations/s, RTT = request to completion, CPU = the kettle-server process.\n"
      "p2p-*: two kettle::Client player processes and a kettle-server; CPU = the two players;\n"
      "p2p-connect: RTT = first SendP2PPacket to the packet being readable at the pre-accepted peer.\n"
      "godot-rtt: RTT = 64-byte unreliable round trip between two headless Godot instances (Steam autoload,\n"
      "  kettle-agent each), CPU = the two Godot processes; the cpp row is two kettle::Client threads.\n"
      "Kettle encrypted, ENet plaintext; p2p-* have no ENet counterpart.\n";
  return out;
}

}  // namespace kettle::bench
