#include "bench/godot_rtt.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

#include "bench/child.hpp"
#include "bench/dev_server.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "kettle/client.hpp"

namespace kettle::bench {
namespace {

namespace fs = std::filesystem;

// A round trip without an answer by then counts as lost (unreliable data may be dropped, e.g.
// while the session opens during the warm-up). The same for the Godot and the C++ side.
constexpr int kPingTimeoutMs = 200;

Duration seconds_of(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }

bool executable(const fs::path& p) { return !p.empty() && ::access(p.c_str(), X_OK) == 0 && !fs::is_directory(p); }

// `name` itself if it has a slash, else the first executable of that name on PATH.
std::string on_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return executable(name) ? name : std::string();
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "";
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const auto dir = rest.substr(0, colon);
    if (!dir.empty() && executable(fs::path(dir) / name)) return (fs::path(dir) / name).string();
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return {};
}

// --agent, else the kettle-agent built with this kettle-bench (<build>/tools/agent/), else PATH.
std::string find_agent(const Options& o, const std::string& self) {
  if (!o.agent_path.empty()) return executable(o.agent_path) ? o.agent_path : std::string();
  std::vector<fs::path> candidates;
#ifdef KETTLE_AGENT_PATH
  candidates.emplace_back(KETTLE_AGENT_PATH);
#endif
  const fs::path dir = fs::path(self).parent_path();
  candidates.push_back(dir / "agent" / "kettle-agent");
  candidates.push_back(dir / "kettle-agent");
  for (const auto& c : candidates) {
    if (executable(c)) return c.string();
  }
  return on_path("kettle-agent");
}

std::string find_project(const Options& o) {
  if (!o.godot_project.empty()) return o.godot_project;
#ifdef KETTLE_BENCH_GODOT_DIR
  return KETTLE_BENCH_GODOT_DIR;
#else
  return {};
#endif
}

// The round trip's 64 bytes: the sequence number (u32 LE), then a pattern derived from it.
// bench.gd builds the same bytes.
void fill_ping(std::uint32_t seq, std::uint8_t* out) {
  for (std::size_t k = 0; k < kPingMessageSize; ++k)
    out[k] = static_cast<std::uint8_t>(k < 4 ? seq >> (8 * k) : seq + k);
}

std::uint32_t ping_seq(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

struct RttResult {
  std::vector<double> samples_us;
  std::vector<double> send_us;  // Godot: time inside Steam.sendP2PPacket alone
  std::uint64_t lost = 0;
  std::uint64_t warmup_lost = 0;
  std::uint64_t stale = 0;
  std::uint64_t verify_failures = 0;
};

// Two kettle::Client (each with its I/O thread) in this process: the echo on its own thread,
// the pinger on this one, both spinning on the read API as bench.gd does (yielding between
// checks, see below).
Result<RttResult> run_cpp(const Options& o, const DevServer& server, Instant deadline) {
  ClientConfig base;
  base.server = server.address().to_string();
  base.server_key = server.key().to_hex();
  auto ping = Client::Create();
  auto echo = Client::Create();
  ClientConfig cp = base, ce = base;
  cp.login_name = "rtt-cpp-ping";
  ce.login_name = "rtt-cpp-echo";
  if (auto r = ping->Init(cp); r.code != k_ESteamAPIInitResult_OK)
    return make_error(Errc::auth_failed, "C++ pinger login: " + r.message);
  if (auto r = echo->Init(ce); r.code != k_ESteamAPIInitResult_OK)
    return make_error(Errc::auth_failed, "C++ echo login: " + r.message);
  const SteamID ping_id = ping->GetSteamID(), echo_id = echo->GetSteamID();
  if (!ping->networking().AcceptP2PSessionWithUser(echo_id) || !echo->networking().AcceptP2PSessionWithUser(ping_id))
    return make_error(Errc::invalid_argument, "AcceptP2PSessionWithUser refused");

  std::atomic<bool> stop{false};
  std::thread echo_thread([&] {
    std::uint8_t buf[kPingMessageSize * 2];
    auto& net = echo->networking();
    while (!stop.load(std::memory_order_relaxed)) {
      uint32 size = 0;
      SteamID from;
      if (!net.IsP2PPacketAvailable(&size, 0) || !net.ReadP2PPacket(buf, sizeof buf, &size, &from, 0)) {
        std::this_thread::yield();  // see the pinger's loop
        continue;
      }
      if (from == ping_id && size == kPingMessageSize) net.SendP2PPacket(ping_id, buf, size, k_EP2PSendUnreliable, 0);
    }
  });

  RttResult r;
  auto& net = ping->networking();
  std::uint8_t sent[kPingMessageSize], got[kPingMessageSize * 2];
  const auto total = static_cast<std::uint32_t>(o.godot_warmup + o.godot_pings);
  const auto warmup = static_cast<std::uint32_t>(o.godot_warmup);
  Status status;
  for (std::uint32_t seq = 0; seq < total && status; ++seq) {
    if (monotonic_now() >= deadline) {
      status = make_error(Errc::timed_out, "C++ round trips: " + std::to_string(seq) + " done before the timeout");
      break;
    }
    fill_ping(seq, sent);
    const auto t0 = std::chrono::steady_clock::now();
    if (!net.SendP2PPacket(echo_id, sent, kPingMessageSize, k_EP2PSendUnreliable, 0)) {
      status = make_error(Errc::io, "SendP2PPacket refused");
      break;
    }
    bool answered = false;
    while (!answered) {
      uint32 size = 0;
      SteamID from;
      if (net.IsP2PPacketAvailable(&size, 0) && net.ReadP2PPacket(got, sizeof got, &size, &from, 0)) {
        const auto t1 = std::chrono::steady_clock::now();
        if (size < 4 || ping_seq(got) != seq) {
          ++r.stale;
          continue;
        }
        answered = true;
        if (from != echo_id || size != kPingMessageSize || std::memcmp(got, sent, kPingMessageSize) != 0) {
          ++r.verify_failures;
        } else if (seq >= warmup) {
          r.samples_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        }
      } else if (std::chrono::steady_clock::now() - t0 > std::chrono::milliseconds(kPingTimeoutMs)) {
        break;
      } else {
        // Without it the spinning reader keeps re-taking the client's queue lock and starves the
        // I/O thread that wants to fill it (measured: ~100 ms per round trip, half of them
        // lost). The Godot side polls sockets, one syscall per check, so this is comparable.
        std::this_thread::yield();
      }
    }
    if (!answered) ++(seq < warmup ? r.warmup_lost : r.lost);
  }
  stop = true;
  echo_thread.join();
  if (!status) return std::move(status).error();
  return r;
}

// A private copy of the bench project (symlinks such as addons/kettle resolved) plus the
// directory the two instances meet in; removed afterwards.
class GodotWorkdir {
 public:
  GodotWorkdir() = default;
  GodotWorkdir(const GodotWorkdir&) = delete;
  GodotWorkdir& operator=(const GodotWorkdir&) = delete;
  ~GodotWorkdir() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  Status create(const std::string& project) {
    dir_ = fs::temp_directory_path() / ("kettle-bench-godot-rtt-" + std::to_string(::getpid()));
    std::error_code ec;
    fs::remove_all(dir_, ec);
    fs::create_directories(dir_ / "meet", ec);
    if (ec) return make_error(Errc::io, "cannot create " + dir_.string() + ": " + ec.message());
    // No copy_symlinks option: links are followed, so the copy holds the addon's files.
    fs::copy(project, dir_ / "project", fs::copy_options::recursive, ec);
    if (ec) return make_error(Errc::io, "cannot copy the Godot project " + project + ": " + ec.message());
    return {};
  }

  fs::path project() const { return dir_ / "project"; }
  fs::path meet() const { return dir_ / "meet"; }

 private:
  fs::path dir_;
};

// Reads lines until `RESULT {json}` (skipping the engine's banner and anything else) or
// `FAIL why`; the JSON object.
Result<nlohmann::json> read_result(ChildProcess& c, Instant deadline, std::string_view who) {
  for (;;) {
    auto line = c.read_line(deadline);
    if (!line) return make_error(line.code(), std::string(who) + ": " + line.error().message);
    if (line->rfind("FAIL", 0) == 0) return make_error(Errc::io, std::string(who) + ": " + *line);
    if (line->rfind("RESULT ", 0) != 0) continue;
    auto j = nlohmann::json::parse(line->substr(7), nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return make_error(Errc::malformed, std::string(who) + " printed a malformed result: " + *line);
    return j;
  }
}

struct GodotRun {
  RttResult rtt;
  double elapsed_s = 0;  // both instances started to both exited
  double cpu_s = 0;
  long max_rss_kb = 0;
  std::uint64_t echoed = 0;
};

Result<GodotRun> run_godot(const Options& o, const DevServer& server, const std::string& godot,
                           const std::string& agent, const GodotWorkdir& work, Instant deadline) {
  auto env = [&](const char* role) {
    return std::vector<std::string>{
        "LANG=en_US.UTF-8",  // the engine complains about the C locale
        "KETTLE_AGENT=" + agent,
        "KETTLE_SERVER=" + server.address().to_string(),
        "KETTLE_SERVER_KEY=" + server.key().to_hex(),
        "KETTLE_NAME=rtt-godot-" + std::string(role),
        "KETTLE_APP_ID=480",
        "BENCH_ROLE=" + std::string(role),
        "BENCH_DIR=" + work.meet().string(),
        "BENCH_PINGS=" + std::to_string(o.godot_pings),
        "BENCH_WARMUP=" + std::to_string(o.godot_warmup),
        "BENCH_PING_TIMEOUT_MS=" + std::to_string(kPingTimeoutMs),
        "BENCH_TIMEOUT_S=" + std::to_string(static_cast<int>(o.timeout_s) + 1),
    };
  };
  const std::vector<std::string> args{"--path", work.project().string()};
  const Instant t0 = monotonic_now();
  auto echo = ChildProcess::spawn(godot, args, false, env("echo"));
  if (!echo) return make_error(echo.code(), "spawn " + godot + ": " + echo.error().message);
  auto ping = ChildProcess::spawn(godot, args, false, env("ping"));
  if (!ping) return make_error(ping.code(), "spawn " + godot + ": " + ping.error().message);

  auto pres = read_result(*ping, deadline, "Godot pinger");
  if (!pres) return std::move(pres).error();
  auto eres = read_result(*echo, deadline, "Godot echo");
  if (!eres) return std::move(eres).error();
  auto pexit = ping->wait(deadline);
  auto eexit = echo->wait(deadline);
  if (!pexit) return make_error(pexit.code(), "Godot pinger: " + pexit.error().message);
  if (!eexit) return make_error(eexit.code(), "Godot echo: " + eexit.error().message);
  if (!pexit->exited_ok()) return make_error(Errc::io, "Godot pinger " + pexit->describe());
  if (!eexit->exited_ok()) return make_error(Errc::io, "Godot echo " + eexit->describe());

  GodotRun run;
  run.elapsed_s = static_cast<double>(to_us(monotonic_now() - t0)) / 1e6;
  const auto samples = pres->find("samples_us");
  if (samples == pres->end() || !samples->is_array())
    return make_error(Errc::malformed, "the Godot pinger's result has no samples_us");
  for (const auto& s : *samples) {
    if (!s.is_number()) return make_error(Errc::malformed, "a Godot sample is not a number");
    run.rtt.samples_us.push_back(s.get<double>());
  }
  if (const auto sends = pres->find("send_us"); sends != pres->end() && sends->is_array()) {
    for (const auto& s : *sends) {
      if (s.is_number()) run.rtt.send_us.push_back(s.get<double>());
    }
  }
  run.rtt.lost = pres->value("lost", std::uint64_t{0});
  run.rtt.warmup_lost = pres->value("warmup_lost", std::uint64_t{0});
  run.rtt.stale = pres->value("stale", std::uint64_t{0});
  run.rtt.verify_failures = pres->value("verify_failures", std::uint64_t{0});
  run.echoed = eres->value("echoed", std::uint64_t{0});
  run.cpu_s = pexit->cpu_s + eexit->cpu_s;
  run.max_rss_kb = std::max(pexit->max_rss_kb, eexit->max_rss_kb);
  return run;
}

nlohmann::json side_stats(RttResult& r) {
  nlohmann::json j;
  j["samples"] = r.samples_us.size();
  j["lost"] = r.lost;
  j["warmup_lost"] = r.warmup_lost;
  j["stale"] = r.stale;
  j["verify_failures"] = r.verify_failures;
  if (!r.samples_us.empty()) {
    j["p10_us"] = percentile(r.samples_us, 10);  // sorts
    j["p90_us"] = percentile(r.samples_us, 90);
    j["min_us"] = r.samples_us.front();
    j["max_us"] = r.samples_us.back();
  }
  if (!r.send_us.empty()) {
    j["send_call_p50_us"] = percentile(r.send_us, 50);
    j["send_call_p99_us"] = percentile(r.send_us, 99);
  }
  return j;
}

Status run_both(const Options& o, const RunPaths& paths, Figures& f) {
  const std::string agent = find_agent(o, paths.self);
  if (agent.empty())
    return make_error(Errc::invalid_argument, o.agent_path.empty()
                                                  ? "kettle-agent not found (pass --agent PATH)"
                                                  : "--agent " + o.agent_path + " is not an executable");
  const std::string godot = on_path(o.godot_path.empty() ? "godot3-server" : o.godot_path);
  if (godot.empty())
    return make_error(Errc::invalid_argument,
                      o.godot_path.empty() ? "godot3-server not found on PATH (apt-get install -y godot3-server, or "
                                             "pass --godot PATH)"
                                           : "--godot " + o.godot_path + " is not an executable");
  const std::string project = find_project(o);
  for (const char* need : {"project.godot", "bench.gd", "addons/kettle/Steam.gd"}) {
    if (project.empty() || !fs::exists(fs::path(project) / need))
      return make_error(Errc::invalid_argument,
                        "the Godot bench project '" + project + "' has no " + need + " (pass --godot-project DIR)");
  }

  const Instant deadline = monotonic_now() + seconds_of(o.timeout_s);
  GodotWorkdir work;
  KETTLE_TRY(work.create(project));
  DevServer server;
  KETTLE_TRY(server.start(paths.server, "godot-rtt", deadline));

  auto cpp = run_cpp(o, server, deadline);
  if (!cpp) return std::move(cpp).error();
  auto gd = run_godot(o, server, godot, agent, work, deadline);
  if (!gd) return std::move(gd).error();

  f.messages = gd->rtt.samples_us.size();
  f.pings_lost = gd->rtt.lost;
  f.verify_failures = gd->rtt.verify_failures + cpp->verify_failures;
  f.cpu_s = gd->cpu_s;
  f.max_rss_kb = gd->max_rss_kb;
  if (gd->rtt.samples_us.empty() || cpp->samples_us.empty())
    return make_error(Errc::timed_out, "every timed round trip was lost");
  f.rtt_p50_us = percentile(gd->rtt.samples_us, 50);
  f.rtt_p99_us = percentile(gd->rtt.samples_us, 99);
  f.cpp_rtt_p50_us = percentile(cpp->samples_us, 50);
  f.cpp_rtt_p99_us = percentile(cpp->samples_us, 99);
  f.elapsed_s = gd->elapsed_s;
  f.extra["godot"] = side_stats(gd->rtt);
  f.extra["godot"]["echoed"] = gd->echoed;
  f.extra["godot"]["binary"] = godot;
  f.extra["cpp"] = side_stats(*cpp);
  // The scheduler on a loaded machine moves p50 a lot; the fastest round trips move much less,
  // so the same hop estimate from the minima is a steadier (optimistic) companion figure.
  f.extra["agent_hop_added_us_min"] =
      (f.extra["godot"]["min_us"].get<double>() - f.extra["cpp"]["min_us"].get<double>()) / 4.0;
  f.extra["agent"] = agent;
  f.extra["pings"] = o.godot_pings;
  f.extra["warmup"] = o.godot_warmup;
  f.extra["ping_timeout_ms"] = kPingTimeoutMs;
  server.stop_into(f);
  f.cpu_s = gd->cpu_s;  // the Godot processes, not the server stop_into recorded
  f.max_rss_kb = gd->max_rss_kb;
  return {};
}

}  // namespace

Figures run_godot_rtt(const Options& o, const RunPaths& paths) {
  Figures f;
  f.scenario = Scenario::godot_rtt;
  f.impl = Impl::kettle;
  if (auto st = run_both(o, paths, f); !st) {
    f.error = st.error().to_string();
    f.rtt_p50_us.reset();  // partial figures from a failed run would mislead
    f.rtt_p99_us.reset();
    f.cpp_rtt_p50_us.reset();
    f.cpp_rtt_p99_us.reset();
  }
  return f;
}

}  // namespace kettle::bench
