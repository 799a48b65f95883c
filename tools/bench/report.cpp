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
      return std::nullopt;  // ENet has no login to compare with
  }
  return std::nullopt;
}

nlohmann::json figures_json(const Figures& f) {
  nlohmann::json j;
  j["scenario"] = scenario_name(f.scenario);
  j["impl"] = impl_name(f.impl);
  if (f.goodput_MBps) j["goodput_MBps"] = round_to(*f.goodput_MBps, 3);
  if (f.msgs_per_s) j["msgs_per_s"] = round_to(*f.msgs_per_s, 1);
  if (f.rtt_p50_us) j["rtt_p50_us"] = round_to(*f.rtt_p50_us, 1);
  if (f.rtt_p99_us) j["rtt_p99_us"] = round_to(*f.rtt_p99_us, 1);
  if (f.logins_per_s) j["logins_per_s"] = round_to(*f.logins_per_s, 1);
  if (f.login_p50_us) j["login_p50_us"] = round_to(*f.login_p50_us, 1);
  if (f.login_p99_us) j["login_p99_us"] = round_to(*f.login_p99_us, 1);
  j["cpu_s"] = round_to(f.cpu_s, 3);
  if (const auto e = f.mb_per_cpu_s()) j["MB_per_cpu_s"] = round_to(*e, 2);
  j["max_rss_kb"] = f.max_rss_kb;
  j["messages"] = f.messages;
  j["bytes"] = f.bytes;
  j["elapsed_s"] = round_to(f.elapsed_s, 4);
  if (f.scenario == Scenario::pingpong) j["pings_lost"] = f.pings_lost;
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
      fmt::format("{:<9} {:<7} {:>12} {:>12} {:>11} {:>11} {:>7} {:>9} {:>10}  {}\n", "scenario", "impl",
                  "goodput MB/s", "msgs/s", "RTT p50 us", "RTT p99 us", "CPU s", "MB/CPU s", "maxRSS KB", "result");
  std::vector<Scenario> order;
  for (const auto& f : all) {
    if (std::find(order.begin(), order.end(), f.scenario) == order.end()) order.push_back(f.scenario);
  }
  for (Scenario s : order) {
    for (Impl i : {Impl::kettle, Impl::enet}) {
      const Figures* f = find(all, s, i);
      if (f == nullptr) continue;
      std::string result = "verified";
      if (!f->error.empty()) {
        result = "FAILED: " + f->error;
      } else if (f->verify_failures > 0) {
        result = fmt::format("FAILED: {} verification failures", f->verify_failures);
      } else if (f->pings_lost > 0) {
        result = fmt::format("verified ({} pings lost)", f->pings_lost);
      }
      out += fmt::format("{:<9} {:<7} {:>12} {:>12} {:>11} {:>11} {:>7.2f} {:>9} {:>10}  {}\n", scenario_name(s),
                         impl_name(i), cell(f->goodput_MBps, 1),
                         cell(f->logins_per_s ? f->logins_per_s : f->msgs_per_s, 0),
                         cell(f->login_p50_us ? f->login_p50_us : f->rtt_p50_us, 1),
                         cell(f->login_p99_us ? f->login_p99_us : f->rtt_p99_us, 1), f->cpu_s,
                         cell(f->mb_per_cpu_s(), 1), f->max_rss_kb, result);
    }
    const Figures* k = find(all, s, Impl::kettle);
    const Figures* e = find(all, s, Impl::enet);
    if (k != nullptr && e != nullptr) {
      const auto r = kettle_vs_enet_ratio(*k, *e);
      const char* what = s == Scenario::pingpong ? "enet p50 / kettle p50"
                         : s == Scenario::small  ? "msgs/s"
                                                 : "goodput";
      out += fmt::format("{:<9} {:<7} {:>12}  ({}; >1 means Kettle is better)\n", scenario_name(s), "ratio",
                         r ? fmt::format("{:.2f}", *r) : std::string("n/a"), what);
    }
  }
  out +=
      "MB = 10^6 bytes. CPU = user+sys of both endpoint processes; MB/CPU s = verified MB per CPU second.\n"
      "login: msgs/s = logins/s, RTT = connect-to-LoginOk latency, CPU = the kettle-server process.\n"
      "Kettle encrypted, ENet plaintext.\n";
  return out;
}

}  // namespace kettle::bench
