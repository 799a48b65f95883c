#include "bench/runner.hpp"

#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <optional>

#include "bench/child.hpp"
#include "core/address.hpp"

namespace kettle::bench {
namespace {

constexpr std::string_view kListeningPrefix = "listening ";

template <class T>
T get_or(const nlohmann::json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  if (it == j.end() || !(it->is_number() || it->is_boolean())) return fallback;
  return it->get<T>();
}

std::string get_error(const nlohmann::json& j) {
  const auto it = j.find("error");
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "listening 127.0.0.1:PORT" → "127.0.0.1:PORT"
Result<std::string> parse_listening(const std::string& line, std::string_view who) {
  if (line.rfind(kListeningPrefix, 0) != 0) {
    return make_error(Errc::malformed, fmt::format("{} printed '{}' instead of 'listening ADDR'", who, line));
  }
  std::string addr = line.substr(kListeningPrefix.size());
  if (!Address::parse(addr)) return make_error(Errc::malformed, fmt::format("{}: bad address '{}'", who, addr));
  return addr;
}

Result<nlohmann::json> read_result(ChildProcess& child, Instant deadline, std::string_view who) {
  auto line = child.read_line(deadline);
  if (!line) return make_error(line.code(), fmt::format("{}: {}", who, line.error().message));
  auto j = nlohmann::json::parse(*line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return make_error(Errc::malformed, fmt::format("{} printed '{}' instead of a JSON result", who, *line));
  }
  return j;
}

std::string proxy_spec(const Options& o) {
  // Half the added RTT each way; the proxy's loss applies independently per direction.
  return fmt::format("loss={}%,latency={}ms", o.loss_pct, o.rtt_ms / 2.0);
}

struct Processes {
  std::optional<ChildProcess> receiver, proxy, sender;
};

// Runs the three processes; fills f.error on any failure. Results land in the out params.
void run_processes(const Options& o, Scenario s, Impl impl, const RunPaths& paths, Figures& f,
                   nlohmann::json& sender_out, nlohmann::json& receiver_out) {
  const Instant deadline =
      monotonic_now() + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.timeout_s + 5.0));
  Processes p;
  auto rx = ChildProcess::spawn(paths.self, child_args(o, s, impl, Role::receiver, {}));
  if (!rx) {
    f.error = "spawn receiver: " + rx.error().message;
    return;
  }
  p.receiver.emplace(std::move(*rx));
  auto line = p.receiver->read_line(deadline);
  if (!line) {
    f.error = "receiver: " + line.error().message;
    return;
  }
  auto target = parse_listening(*line, "receiver");
  if (!target) {
    f.error = target.error().message;
    return;
  }

  if (s == Scenario::loss) {
    if (paths.proxy.empty()) {
      f.error = "kettle-proxy not found (pass --proxy PATH)";
      return;
    }
    const std::string spec = proxy_spec(o);
    auto px = ChildProcess::spawn(paths.proxy, {"--listen", "127.0.0.1:0", "--upstream", *target, "--up", spec,
                                                "--down", spec, "--seed", std::to_string(o.seed)});
    if (!px) {
      f.error = "spawn kettle-proxy: " + px.error().message;
      return;
    }
    p.proxy.emplace(std::move(*px));
    auto pline = p.proxy->read_line(deadline);
    if (!pline) {
      f.error = "kettle-proxy: " + pline.error().message;
      return;
    }
    target = parse_listening(*pline, "kettle-proxy");
    if (!target) {
      f.error = target.error().message;
      return;
    }
  }

  auto tx = ChildProcess::spawn(paths.self, child_args(o, s, impl, Role::sender, *target));
  if (!tx) {
    f.error = "spawn sender: " + tx.error().message;
    return;
  }
  p.sender.emplace(std::move(*tx));

  auto sres = read_result(*p.sender, deadline, "sender");
  auto rres = read_result(*p.receiver, deadline, "receiver");
  auto sexit = p.sender->wait(deadline);
  auto rexit = p.receiver->wait(deadline);
  if (sres) sender_out = *sres;
  if (rres) receiver_out = *rres;
  if (sexit && rexit) {
    f.cpu_s = sexit->cpu_s + rexit->cpu_s;
    f.max_rss_kb = std::max(sexit->max_rss_kb, rexit->max_rss_kb);
  }
  // Report the first cause, not its consequences: a role's own error beats its exit status.
  if (!sres) {
    f.error = sres.error().message;
  } else if (!rres) {
    f.error = rres.error().message;
  } else if (!get_error(*sres).empty()) {
    f.error = "sender: " + get_error(*sres);
  } else if (!get_error(*rres).empty()) {
    f.error = "receiver: " + get_error(*rres);
  } else if (!sexit) {
    f.error = "sender: " + sexit.error().message;
  } else if (!rexit) {
    f.error = "receiver: " + rexit.error().message;
  } else if (WIFSIGNALED(sexit->status) || WIFSIGNALED(rexit->status)) {
    f.error = fmt::format("sender {}, receiver {}", sexit->describe(), rexit->describe());
  }
  // A non-zero exit without an error means verification failures, which the results carry.
  if (p.proxy) p.proxy->kill();
}

}  // namespace

Figures combine_results(Scenario s, Impl impl, const nlohmann::json& sender, const nlohmann::json& receiver) {
  Figures f;
  f.scenario = s;
  f.impl = impl;
  f.verify_failures = get_or<std::uint64_t>(sender, "failures", 0) + get_or<std::uint64_t>(receiver, "failures", 0);
  // The receiver reports its failures to the sender too; trust whichever is larger.
  f.verify_failures = std::max(f.verify_failures, get_or<std::uint64_t>(sender, "receiver_failures", 0) +
                                                      get_or<std::uint64_t>(sender, "failures", 0));
  const double t_start = get_or<double>(sender, "t_start_us", 0);
  if (s == Scenario::pingpong) {
    f.messages = get_or<std::uint64_t>(sender, "round_trips", 0);
    f.bytes = f.messages * kPingMessageSize;
    f.pings_lost = get_or<std::uint64_t>(sender, "pings_lost", 0);
    f.elapsed_s = (get_or<double>(sender, "t_end_us", 0) - t_start) / 1e6;
    if (f.messages > 0) {
      f.rtt_p50_us = get_or<double>(sender, "rtt_p50_us", 0);
      f.rtt_p99_us = get_or<double>(sender, "rtt_p99_us", 0);
    }
  } else {
    f.messages = get_or<std::uint64_t>(receiver, "messages", 0);
    f.bytes = get_or<std::uint64_t>(receiver, "bytes", 0);
    // Both processes read CLOCK_MONOTONIC, which is system-wide: the run spans from the
    // sender's first send to the receiver's verification of the end marker.
    f.elapsed_s = (get_or<double>(receiver, "t_end_us", 0) - t_start) / 1e6;
    if (f.elapsed_s > 0) {
      f.goodput_MBps = static_cast<double>(f.bytes) / 1e6 / f.elapsed_s;
      f.msgs_per_s = static_cast<double>(f.messages) / f.elapsed_s;
    }
  }
  if (sender.contains("stats")) f.extra["sender"] = sender["stats"];
  if (receiver.contains("stats")) f.extra["receiver"] = receiver["stats"];
  return f;
}

Figures run_scenario(const Options& o, Scenario s, Impl impl, const RunPaths& paths) {
  Figures base;
  nlohmann::json sender = nlohmann::json::object(), receiver = nlohmann::json::object();
  run_processes(o, s, impl, paths, base, sender, receiver);
  Figures f = combine_results(s, impl, sender, receiver);
  f.error = base.error;
  f.cpu_s = base.cpu_s;
  f.max_rss_kb = base.max_rss_kb;
  if (!f.error.empty()) {  // partial figures from a failed run would mislead
    f.goodput_MBps.reset();
    f.msgs_per_s.reset();
    f.rtt_p50_us.reset();
    f.rtt_p99_us.reset();
  }
  return f;
}

}  // namespace kettle::bench
