#include "bench/p2p.hpp"

#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "bench/child.hpp"
#include "bench/payload.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "kettle/client.hpp"

namespace kettle::bench {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kConnectMessageSize = 64;

Duration seconds_of(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }

// A kettle-server child in a private temporary directory (database, key), removed afterwards.
class ServerRun {
 public:
  ServerRun() = default;
  ServerRun(const ServerRun&) = delete;
  ServerRun& operator=(const ServerRun&) = delete;
  ~ServerRun() {
    if (child_) stop();
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  Status start(const std::string& path, Scenario s, Instant deadline) {
    if (path.empty()) return make_error(Errc::invalid_argument, "kettle-server not found (pass --server PATH)");
    std::error_code ec;
    dir_ = fs::temp_directory_path() /
           ("kettle-bench-" + std::string(scenario_name(s)) + "-" + std::to_string(::getpid()));
    fs::create_directories(dir_, ec);
    if (ec) return make_error(Errc::io, "cannot create " + dir_.string() + ": " + ec.message());
    // The relay's per-allocation rate limit (default 8 MB/s, a production policy) is lifted to
    // 4 GB/s (the flag's maximum): the benchmark measures what the relay costs, not the policy.
    auto child =
        ChildProcess::spawn(path, {"--dev", "--udp", "127.0.0.1:0", "--relay", "127.0.0.1:0", "--http", "127.0.0.1:0",
                                   "--db", (dir_ / "bench.db").string(), "--key", (dir_ / "server.key").string(),
                                   "--log-level", "warn", "--relay-rate-bytes", "4000000000"});
    if (!child) return make_error(child.code(), "spawn kettle-server: " + child.error().message);
    child_.emplace(std::move(*child));
    auto line = child_->read_line(deadline);
    if (!line) return make_error(line.code(), "kettle-server: " + line.error().message);
    if (line->rfind("kettle-server listening", 0) != 0)
      return make_error(Errc::malformed, "unexpected line from kettle-server: " + *line);
    udp_ = field(*line, "udp");
    http_ = field(*line, "http");
    key_ = field(*line, "key");
    if (udp_.empty() || key_.size() != 64 || http_.empty() || http_ == "off")
      return make_error(Errc::malformed, "incomplete listening line from kettle-server: " + *line);
    return {};
  }

  // GET /api/status (the server's JSON status, relay counters included).
  Result<nlohmann::json> status() {
    const auto colon = http_.rfind(':');
    httplib::Client cli(http_.substr(0, colon), std::stoi(http_.substr(colon + 1)));
    cli.set_connection_timeout(2);
    cli.set_read_timeout(2);
    auto res = cli.Get("/api/status");
    if (!res || res->status != 200) return make_error(Errc::io, "GET /api/status on kettle-server failed");
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error(Errc::malformed, "bad /api/status body");
    return j;
  }

  // The relay's drops by reason (non-zero ones), from /metrics' kettle_relay_dropped_total.
  nlohmann::json relay_drops() {
    nlohmann::json j = nlohmann::json::object();
    const auto colon = http_.rfind(':');
    httplib::Client cli(http_.substr(0, colon), std::stoi(http_.substr(colon + 1)));
    cli.set_connection_timeout(2);
    cli.set_read_timeout(2);
    auto res = cli.Get("/metrics");
    if (!res || res->status != 200) return j;
    std::istringstream in(res->body);
    const std::string prefix = "kettle_relay_dropped_total{reason=\"";
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(prefix, 0) != 0) continue;
      const auto end = line.find('"', prefix.size());
      const auto space = line.rfind(' ');
      if (end == std::string::npos || space == std::string::npos) continue;
      const auto n = std::strtoull(line.c_str() + space + 1, nullptr, 10);
      if (n > 0) j[line.substr(prefix.size(), end - prefix.size())] = n;
    }
    return j;
  }

  Result<double> cpu_seconds() const {
    if (!child_) return make_error(Errc::invalid_argument, "no kettle-server");
    return child_->cpu_seconds_so_far();
  }

  // SIGTERM and reap; the error text if it did not exit cleanly.
  std::string stop() {
    ::kill(child_->pid(), SIGTERM);
    auto exit = child_->wait(monotonic_now() + secs(10));
    std::string err;
    if (!exit) {
      err = "kettle-server: " + exit.error().message;
    } else if (!exit->exited_ok()) {
      err = "kettle-server " + exit->describe();
    }
    child_.reset();
    return err;
  }

  const std::string& udp() const { return udp_; }
  const std::string& key() const { return key_; }

 private:
  static std::string field(const std::string& line, std::string_view name) {
    const auto at = line.find(" " + std::string(name) + "=");
    if (at == std::string::npos) return {};
    const auto start = at + name.size() + 2;
    return line.substr(start, line.find(' ', start) - start);
  }

  fs::path dir_;
  std::optional<ChildProcess> child_;
  std::string udp_, http_, key_;
};

// System-wide UDP datagrams dropped because a socket's receive buffer was full
// (/proc/net/snmp Udp RcvbufErrors). Other processes' drops count too, so it is a hint: on a
// shared 2-core machine, a relay or player that is not scheduled loses datagrams this way.
std::optional<std::uint64_t> udp_rcvbuf_errors() {
  std::ifstream in("/proc/net/snmp");
  std::string header, values, line;
  while (std::getline(in, line)) {
    if (line.rfind("Udp:", 0) != 0) continue;
    if (header.empty()) {
      header = line;
    } else {
      values = line;
      break;
    }
  }
  std::istringstream hs(header), vs(values);
  std::string name, value;
  while (hs >> name && vs >> value) {
    if (name == "RcvbufErrors") return std::strtoull(value.c_str(), nullptr, 10);
  }
  return std::nullopt;
}

// Reads "PREFIX VALUE" from a child; returns VALUE.
Result<std::string> expect_line(ChildProcess& c, std::string_view prefix, Instant deadline, std::string_view who) {
  auto line = c.read_line(deadline);
  if (!line) return make_error(line.code(), std::string(who) + ": " + line.error().message);
  if (line->rfind(prefix, 0) != 0) {
    // A role that failed prints its JSON result (with "error") instead.
    auto j = nlohmann::json::parse(*line, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_string())
      return make_error(Errc::closed, std::string(who) + ": " + j["error"].get<std::string>());
    return make_error(Errc::malformed, std::string(who) + " printed '" + *line + "'");
  }
  return line->substr(prefix.size());
}

Result<nlohmann::json> read_json(ChildProcess& c, Instant deadline, std::string_view who) {
  auto line = c.read_line(deadline);
  if (!line) return make_error(line.code(), std::string(who) + ": " + line.error().message);
  auto j = nlohmann::json::parse(*line, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(Errc::malformed, std::string(who) + " printed '" + *line + "' instead of a JSON result");
  return j;
}

std::string json_error(const nlohmann::json& j) {
  const auto it = j.find("error");
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Waits (polling the status page) until no client is online, so the relay counters the server
// publishes in its loop include everything the players sent.
Result<nlohmann::json> settled_status(ServerRun& server, Instant deadline) {
  for (;;) {
    auto st = server.status();
    if (!st) return st;
    if (st->value("clients_online", 1) == 0 || monotonic_now() >= deadline) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Status run_bulk(const Options& o, Scenario s, const RunPaths& paths, ServerRun& server, Figures& f) {
  const Instant deadline = monotonic_now() + seconds_of(o.timeout_s + 5.0);
  auto args = [&](Role r) {
    auto a = child_args(o, s, Impl::kettle, r, server.udp());
    a.push_back("--server-key");
    a.push_back(server.key());
    return a;
  };
  auto rx = ChildProcess::spawn(paths.self, args(Role::receiver), /*stdin_pipe=*/true);
  if (!rx) return make_error(rx.code(), "spawn receiver: " + rx.error().message);
  auto tx = ChildProcess::spawn(paths.self, args(Role::sender), /*stdin_pipe=*/true);
  if (!tx) return make_error(tx.code(), "spawn sender: " + tx.error().message);
  auto rx_id = expect_line(*rx, "player ", deadline, "receiver");
  if (!rx_id) return std::move(rx_id).error();
  auto tx_id = expect_line(*tx, "player ", deadline, "sender");
  if (!tx_id) return std::move(tx_id).error();
  KETTLE_TRY(rx->write_line("peer " + *tx_id));
  auto ready = expect_line(*rx, "ready", deadline, "receiver");
  if (!ready) return std::move(ready).error();

  auto cpu0 = server.cpu_seconds();
  if (!cpu0) return std::move(cpu0).error();
  const auto drops0 = udp_rcvbuf_errors();
  KETTLE_TRY(tx->write_line("peer " + *rx_id));
  auto sres = read_json(*tx, deadline, "sender");
  auto rres = read_json(*rx, deadline, "receiver");
  auto sexit = tx->wait(deadline);
  auto rexit = rx->wait(deadline);
  auto cpu1 = server.cpu_seconds();
  const auto drops1 = udp_rcvbuf_errors();
  if (!sres) return std::move(sres).error();
  if (!rres) return std::move(rres).error();
  Figures combined = combine_results(s, Impl::kettle, *sres, *rres);
  f.verify_failures = combined.verify_failures;
  f.messages = combined.messages;
  f.bytes = combined.bytes;
  f.elapsed_s = combined.elapsed_s;
  f.goodput_MBps = combined.goodput_MBps;
  f.msgs_per_s = combined.msgs_per_s;
  f.extra = combined.extra;
  if (!json_error(*sres).empty()) return make_error(Errc::io, "sender: " + json_error(*sres));
  if (!json_error(*rres).empty()) return make_error(Errc::io, "receiver: " + json_error(*rres));
  if (!sexit) return make_error(sexit.code(), "sender: " + sexit.error().message);
  if (!rexit) return make_error(rexit.code(), "receiver: " + rexit.error().message);
  // The data phase only (each player's getrusage from just before the first byte to the end):
  // logins, the wait for the peer and the exit are not what the scenario measures.
  f.cpu_s = sres->value("data_cpu_s", 0.0) + rres->value("data_cpu_s", 0.0);
  f.extra["process_cpu_s"] = sexit->cpu_s + rexit->cpu_s;
  f.max_rss_kb = std::max(sexit->max_rss_kb, rexit->max_rss_kb);
  f.extra["message_bytes"] = s == Scenario::p2p_relay_small ? kP2PSmallMessageSize : o.p2p_message_kb * 1024;
  if (s == Scenario::p2p_relay_small) {
    const auto sent = sres->value("messages", std::uint64_t{0});
    f.extra["sent"] = sent;
    f.extra["lost"] = sent > f.messages ? sent - f.messages : 0;
  }
  if (drops0 && drops1) f.extra["udp_rcvbuf_errors"] = *drops1 - *drops0;

  // The path must be the one the scenario names, or the figures describe the wrong thing.
  // Both players' views, taken while the session was up.
  for (const char* who : {"sender", "receiver"}) {
    const auto& st = f.extra.value(who, nlohmann::json::object());
    if (!st.value("active", false))
      return make_error(Errc::invalid_argument, std::string(who) + ": the session was not active at the end");
    const bool relayed = st.value("using_relay", false);
    if (relayed != (s != Scenario::p2p_bulk))
      return make_error(Errc::invalid_argument, std::string(who) + (relayed ? ": the session went through the relay"
                                                                            : ": the session did not use the relay"));
  }

  auto status = settled_status(server, monotonic_now() + secs(3));
  if (!status) return std::move(status).error();
  if (cpu0 && cpu1) f.extra["server_cpu_s"] = *cpu1 - *cpu0;
  const auto datagrams = status->value("relay_forwarded_datagrams", std::uint64_t{0});
  f.extra["relay_forwarded_datagrams"] = datagrams;
  f.extra["relay_forwarded_bytes"] = status->value("relay_forwarded_bytes", std::uint64_t{0});
  f.extra["relay_dropped"] = server.relay_drops();
  if (cpu1 && *cpu1 - *cpu0 > 0)
    f.extra["relay_datagrams_per_server_cpu_s"] = static_cast<double>(datagrams) / (*cpu1 - *cpu0);
  if (f.elapsed_s > 0) f.extra["relay_datagrams_per_s"] = static_cast<double>(datagrams) / f.elapsed_s;
  return {};
}

// p2p-connect, one path: a sender logged in once, a fresh pre-accepting receiver per session.
Status run_connect(const Options& o, ServerRun& server, bool relay, Figures& f) {
  const Instant deadline = monotonic_now() + seconds_of(o.timeout_s);
  ClientConfig base;
  base.server = server.udp();
  base.server_key = server.key();
  base.p2p_relay_only = relay;
  const std::string tag = relay ? "relay" : "direct";
  auto sender = Client::Create();
  ClientConfig cs = base;
  cs.login_name = "connect-tx-" + tag;
  if (auto r = sender->Init(cs); r.code != k_ESteamAPIInitResult_OK)
    return make_error(Errc::auth_failed, "sender login: " + r.message);
  std::vector<std::uint8_t> msg(kConnectMessageSize), got(kConnectMessageSize);
  std::vector<double> samples;
  const Instant t0 = monotonic_now();
  for (int i = 0; i < o.p2p_sessions; ++i) {
    auto receiver = Client::Create();
    ClientConfig cr = base;
    cr.login_name = "connect-rx-" + tag + "-" + std::to_string(i);
    if (auto r = receiver->Init(cr); r.code != k_ESteamAPIInitResult_OK)
      return make_error(Errc::auth_failed, "receiver login: " + r.message);
    const SteamID to = receiver->GetSteamID(), from = sender->GetSteamID();
    if (!receiver->networking().AcceptP2PSessionWithUser(from))
      return make_error(Errc::invalid_argument, "AcceptP2PSessionWithUser refused");
    fill_payload(o.seed, static_cast<std::uint64_t>(i), msg);
    const auto sent = std::chrono::steady_clock::now();
    if (!sender->networking().SendP2PPacket(to, msg.data(), static_cast<uint32>(msg.size()), k_EP2PSendReliable, 0))
      return make_error(Errc::io, "SendP2PPacket refused");
    // Spin (yielding) on the receiver's queue: sleeping would add the sleep's granularity.
    uint32 size = 0;
    while (!receiver->networking().IsP2PPacketAvailable(&size, 0)) {
      if (monotonic_now() >= deadline)
        return make_error(Errc::timed_out, "session " + std::to_string(i) + " delivered nothing before the timeout");
      std::this_thread::yield();
    }
    const auto arrived = std::chrono::steady_clock::now();
    samples.push_back(std::chrono::duration<double, std::micro>(arrived - sent).count());
    SteamID who;
    if (!receiver->networking().ReadP2PPacket(got.data(), static_cast<uint32>(got.size()), &size, &who, 0) ||
        who != from || !check_payload(o.seed, static_cast<std::uint64_t>(i), Bytes(got.data(), size))) {
      ++f.verify_failures;
    }
    P2PSessionState_t st;
    if (!sender->networking().GetP2PSessionState(to, &st) || (st.m_bUsingRelay == 1) != relay)
      return make_error(Errc::invalid_argument,
                        "session " + std::to_string(i) + (relay ? " was not relayed" : " was relayed"));
    sender->networking().CloseP2PSessionWithUser(to);
    sender->RunCallbacks();
    ++f.messages;
  }
  f.elapsed_s = static_cast<double>(to_us(monotonic_now() - t0)) / 1e6;
  auto sorted = samples;
  f.connect_p50_us = percentile(sorted, 50);
  f.connect_p99_us = percentile(sorted, 99);
  f.extra["sessions"] = samples.size();
  f.extra["min_us"] = sorted.front();
  f.extra["max_us"] = sorted.back();
  // Cumulative for the server's life; the direct row runs first and uses no relay.
  if (relay) f.extra["relay_dropped"] = server.relay_drops();
  return {};
}

}  // namespace

std::vector<Figures> run_p2p(const Options& o, Scenario s, const RunPaths& paths) {
  std::vector<Figures> out;
  auto blank = [&](const std::string& path) {
    Figures f;
    f.scenario = s;
    f.impl = Impl::kettle;
    f.path = path;
    return f;
  };
  if (s == Scenario::p2p_connect) {
    out = {blank("direct"), blank("relay")};
  } else {
    out = {blank("")};
  }
  ServerRun server;
  if (auto st = server.start(paths.server, s, monotonic_now() + seconds_of(o.timeout_s)); !st) {
    for (auto& f : out) f.error = st.error().to_string();
    return out;
  }
  if (s == Scenario::p2p_connect) {
    for (std::size_t i = 0; i < 2; ++i) {
      if (auto st = run_connect(o, server, i == 1, out[i]); !st) out[i].error = st.error().to_string();
    }
  } else if (auto st = run_bulk(o, s, paths, server, out[0]); !st) {
    out[0].error = st.error().to_string();
  }
  const std::string err = server.stop();
  for (auto& f : out) {
    if (f.error.empty() && !err.empty()) f.error = err;
    if (!f.error.empty()) {  // partial figures from a failed run would mislead
      f.goodput_MBps.reset();
      f.msgs_per_s.reset();
      f.connect_p50_us.reset();
      f.connect_p99_us.reset();
    }
  }
  return out;
}

}  // namespace kettle::bench
