#include "bench/options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>

namespace kettle::bench {
namespace {

const std::map<std::string, Scenario> kScenarios{{"bulk", Scenario::bulk},
                                                 {"small", Scenario::small},
                                                 {"pingpong", Scenario::pingpong},
                                                 {"loss", Scenario::loss},
                                                 {"login", Scenario::login},
                                                 {"p2p-bulk", Scenario::p2p_bulk},
                                                 {"p2p-relay-bulk", Scenario::p2p_relay_bulk},
                                                 {"p2p-relay-small", Scenario::p2p_relay_small},
                                                 {"p2p-connect", Scenario::p2p_connect},
                                                 {"lobbies", Scenario::lobbies},
                                                 {"godot-rtt", Scenario::godot_rtt}};
const std::map<std::string, Impl> kImpls{{"kettle", Impl::kettle}, {"enet", Impl::enet}};
const std::map<std::string, Role> kRoles{{"sender", Role::sender}, {"receiver", Role::receiver}};

template <class T>
void push_unique(std::vector<T>& v, T x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

ParseOutcome usage_error(std::string message) {
  return ParseOutcome{std::nullopt, 2, "kettle-bench: " + message + "\nRun with --help for more information."};
}

}  // namespace

std::string_view scenario_name(Scenario s) noexcept {
  switch (s) {
    case Scenario::bulk:
      return "bulk";
    case Scenario::small:
      return "small";
    case Scenario::pingpong:
      return "pingpong";
    case Scenario::login:
      return "login";
    case Scenario::loss:
      return "loss";
    case Scenario::p2p_bulk:
      return "p2p-bulk";
    case Scenario::p2p_relay_bulk:
      return "p2p-relay-bulk";
    case Scenario::p2p_relay_small:
      return "p2p-relay-small";
    case Scenario::p2p_connect:
      return "p2p-connect";
    case Scenario::lobbies:
      return "lobbies";
    case Scenario::godot_rtt:
      return "godot-rtt";
  }
  return "?";
}

bool is_p2p(Scenario s) noexcept {
  return s == Scenario::p2p_bulk || s == Scenario::p2p_relay_bulk || s == Scenario::p2p_relay_small ||
         s == Scenario::p2p_connect;
}

bool has_enet(Scenario s) noexcept {
  return s != Scenario::login && s != Scenario::lobbies && s != Scenario::godot_rtt && !is_p2p(s);
}

std::string_view impl_name(Impl i) noexcept { return i == Impl::kettle ? "kettle" : "enet"; }

std::string_view role_name(Role r) noexcept {
  switch (r) {
    case Role::none:
      return "none";
    case Role::sender:
      return "sender";
    case Role::receiver:
      return "receiver";
  }
  return "?";
}

std::size_t scenario_message_size(Scenario s) noexcept {
  switch (s) {
    case Scenario::bulk:
    case Scenario::loss:
      return kBulkMessageSize;
    case Scenario::small:
      return kSmallMessageSize;
    case Scenario::pingpong:
      return kPingMessageSize;
    case Scenario::login:
    case Scenario::lobbies:
    case Scenario::p2p_connect:
      return 0;
    case Scenario::p2p_bulk:
    case Scenario::p2p_relay_bulk:
      return 0;  // --p2p-message-kb
    case Scenario::p2p_relay_small:
      return kP2PSmallMessageSize;
    case Scenario::godot_rtt:
      return kPingMessageSize;
  }
  return 0;
}

ParseOutcome parse_args(int argc, const char* const* argv) {
  Options o;
  std::vector<std::string> scenarios;
  std::string impl = "kettle";
  std::vector<std::string> vs;
  std::string role;

  CLI::App app{
      "kettle-bench: Kettle vs ENet between two processes over UDP on 127.0.0.1.\n"
      "Every byte is verified at the receiver; Kettle runs encrypted, ENet has no encryption.\n"
      "MB means 10^6 bytes. Exit status: 0 ok, 1 a run failed or a verification failed, 2 bad arguments.",
      "kettle-bench"};
  app.add_option("--scenario", scenarios,
                 "bulk | small | pingpong | loss | login | lobbies | p2p-bulk | p2p-relay-bulk | p2p-relay-small | "
                 "p2p-connect | godot-rtt (repeatable; default all but login, lobbies, p2p-relay-small and godot-rtt; "
                 "login, lobbies, p2p-* and godot-rtt run kettle-server and have no ENet counterpart)")
      ->check(CLI::IsMember({"bulk", "small", "pingpong", "loss", "login", "lobbies", "p2p-bulk", "p2p-relay-bulk",
                             "p2p-relay-small", "p2p-connect", "godot-rtt"}));
  app.add_option("--impl", impl, "implementation to run: kettle | enet")
      ->check(CLI::IsMember({"kettle", "enet"}))
      ->capture_default_str();
  app.add_option("--vs", vs, "also run this implementation and print ratios: enet | kettle")
      ->check(CLI::IsMember({"kettle", "enet"}));
  app.add_flag("--json", o.json, "one JSON object per line per implementation and scenario, then a ratio object");
  app.add_flag("--table", o.table, "human-readable table (the default when --json is absent)");
  app.add_option("--duration", o.duration_s,
                 "seconds of sending in bulk, small and p2p-relay-small; of the operation mix in lobbies")
      ->check(CLI::Range(0.1, 600.0))
      ->capture_default_str();
  app.add_option("--loss-duration", o.loss_duration_s, "seconds of sending in loss")
      ->check(CLI::Range(0.1, 600.0))
      ->capture_default_str();
  app.add_option("--pings", o.pings, "round trips in pingpong")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  app.add_option("--loss", o.loss_pct, "loss scenario: packet loss in percent, each way")
      ->check(CLI::Range(0.0, 90.0))
      ->capture_default_str();
  app.add_option("--rtt-ms", o.rtt_ms, "loss scenario: added round-trip time in ms (half each way)")
      ->check(CLI::Range(0, 10'000))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed for payloads and the conditioner")->capture_default_str();
  app.add_option("--timeout", o.timeout_s, "seconds before one run is killed and reported as failed")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  app.add_option("--enet-window-kb", o.enet_window_kb,
                 "ENet sender: bound on queued + unacknowledged KiB, 0 = tuned per scenario "
                 "(ENet itself has no send-side flow control)")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  app.add_option("--kettle-send-buffer-kb", o.kettle_send_buffer_kb,
                 "Kettle: Config::max_send_buffer_bytes in KiB, 0 = the engine's default (for experiments)")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  app.add_option("--kettle-busy-poll-us", o.kettle_busy_poll_us,
                 "Kettle: LoopOptions::busy_poll in microseconds, -1 = the default (for experiments; 0 disables)")
      ->check(CLI::Range(-1, 10000))
      ->capture_default_str();
  app.add_option("--login-clients", o.login_clients, "login: clients that log in; each stays online")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--login-concurrency", o.login_concurrency, "login: logins in flight at once")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--lobby-clients", o.lobby_clients, "lobbies: clients (one server session each) in this process")
      ->check(CLI::Range(1, 9000))
      ->capture_default_str();
  app.add_option("--lobby-concurrency", o.lobby_concurrency,
                 "lobbies: operations in flight at once, at most one per client (closed loop)")
      ->check(CLI::Range(1, 9000))
      ->capture_default_str();
  app.add_option("--lobby-threads", o.lobby_threads,
                 "lobbies: client threads, each with its own sockets and share of the clients")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--p2p-mib", o.p2p_mib, "p2p-bulk, p2p-relay-bulk: MiB the sender sends")
      ->check(CLI::Range(1, 1 << 16))
      ->capture_default_str();
  app.add_option("--p2p-message-kb", o.p2p_message_kb,
                 "p2p-bulk, p2p-relay-bulk: KiB per reliable message (at most 1024, Steam's limit)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--p2p-sessions", o.p2p_sessions, "p2p-connect: sessions timed per path (direct, relay)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--godot-pings", o.godot_pings,
                 "godot-rtt: timed 64-byte unreliable round trips, between the Godot instances and between the C++ "
                 "clients")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--godot-warmup", o.godot_warmup, "godot-rtt: untimed round trips before the timed ones")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
  app.add_option("--agent", o.agent_path,
                 "godot-rtt: kettle-agent binary (default: the one built with kettle-bench, else PATH)");
  app.add_option("--godot", o.godot_path, "godot-rtt: headless Godot 3 binary (default: godot3-server on PATH)");
  app.add_option("--godot-project", o.godot_project,
                 "godot-rtt: the benchmark's Godot project, with addons/kettle (default: tools/bench/godot of the "
                 "source tree kettle-bench was built from)");
  app.add_option("--server", o.server_path,
                 "kettle-server binary for login and p2p-* (default: the one built with kettle-bench)");
  app.add_option("--proxy", o.proxy_path, "kettle-proxy binary (default: the one built with kettle-bench)");
  app.add_flag("-v,--verbose", o.verbose, "progress from the endpoint processes on stderr");
  // Internal: how the parent starts its endpoint processes. Group "" hides them from --help.
  app.add_option("--role", role, "internal: run one endpoint")->check(CLI::IsMember({"sender", "receiver"}))->group("");
  app.add_option("--connect", o.connect, "internal: address the sender connects to (p2p: kettle-server's)")->group("");
  app.add_option("--server-key", o.server_key, "internal: p2p roles: kettle-server's public key")->group("");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return ParseOutcome{std::nullopt, 0, app.help()};
  } catch (const CLI::CallForAllHelp&) {
    return ParseOutcome{std::nullopt, 0, app.help("", CLI::AppFormatMode::All)};
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }

  // login and lobbies are left out: they measure the server, not the transport, and take a while.
  if (scenarios.empty()) scenarios = {"bulk", "small", "pingpong", "loss", "p2p-bulk", "p2p-relay-bulk", "p2p-connect"};
  for (const auto& s : scenarios) push_unique(o.scenarios, kScenarios.at(s));
  push_unique(o.impls, kImpls.at(impl));
  for (const auto& v : vs) push_unique(o.impls, kImpls.at(v));
  if (!o.json) o.table = true;

  if (o.enet_window_kb != 0 && o.enet_window_kb < 64) return usage_error("--enet-window-kb: 0 or at least 64");
  if (!role.empty()) {
    o.role = kRoles.at(role);
    if (o.scenarios.size() != 1) return usage_error("--role needs exactly one --scenario");
    if (!vs.empty()) return usage_error("--role runs one implementation; --vs is not allowed");
    if (o.scenarios[0] == Scenario::login || o.scenarios[0] == Scenario::lobbies ||
        o.scenarios[0] == Scenario::godot_rtt)
      return usage_error(std::string(scenario_name(o.scenarios[0])) + " has no --role");
    if (is_p2p(o.scenarios[0])) {
      if (o.scenarios[0] == Scenario::p2p_connect) return usage_error("p2p-connect has no --role");
      if (o.connect.empty() || o.server_key.empty())
        return usage_error("a p2p --role needs --connect SERVER_ADDRESS and --server-key HEX");
    } else if (o.role == Role::sender && o.connect.empty()) {
      return usage_error("--role sender needs --connect ADDRESS");
    }
  } else if (!o.connect.empty() || !o.server_key.empty()) {
    return usage_error("--connect and --server-key are only valid with --role");
  }
  return ParseOutcome{std::move(o), 0, {}};
}

std::size_t enet_window_bytes(const Options& o, Scenario s) noexcept {
  if (o.enet_window_kb != 0) return o.enet_window_kb * 1024;
  // Measured (release build, loopback): ENet's small-message rate falls as its outgoing command
  // list grows (~700k msgs/s at 128 KiB queued, ~100k at 4 MiB), while 1 MiB messages want a
  // couple of messages queued so its 64 KiB reliable window never runs dry.
  return s == Scenario::small ? 128u * 1024 : 2u << 20;
}

std::vector<std::string> child_args(const Options& o, Scenario scenario, Impl impl, Role role,
                                    const std::string& connect) {
  std::vector<std::string> a{"--role",
                             std::string(role_name(role)),
                             "--scenario",
                             std::string(scenario_name(scenario)),
                             "--impl",
                             std::string(impl_name(impl)),
                             "--seed",
                             std::to_string(o.seed),
                             "--duration",
                             fmt::format("{}", o.duration_s),
                             "--loss-duration",
                             fmt::format("{}", o.loss_duration_s),
                             "--pings",
                             std::to_string(o.pings),
                             "--timeout",
                             fmt::format("{}", o.timeout_s),
                             "--enet-window-kb",
                             std::to_string(o.enet_window_kb),
                             "--kettle-send-buffer-kb",
                             std::to_string(o.kettle_send_buffer_kb),
                             "--kettle-busy-poll-us",
                             std::to_string(o.kettle_busy_poll_us),
                             "--p2p-mib",
                             std::to_string(o.p2p_mib),
                             "--p2p-message-kb",
                             std::to_string(o.p2p_message_kb)};
  if (!connect.empty()) {
    a.push_back("--connect");
    a.push_back(connect);
  }
  if (o.verbose) a.push_back("--verbose");
  return a;
}

}  // namespace kettle::bench
