// kettle-bench command line. One Options value drives both the parent (which runs scenarios
// and prints results) and the child roles it spawns (`--role sender|receiver`), so a child is
// just the parent's configuration plus a role and an address.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kettle::bench {

enum class Scenario {
  bulk,
  small,
  pingpong,
  loss,
  login,
  p2p_bulk,
  p2p_relay_bulk,
  p2p_relay_small,
  p2p_connect,
  lobbies,
  godot_rtt
};
enum class Impl { kettle, enet };
enum class Role { none, sender, receiver };

std::string_view scenario_name(Scenario s) noexcept;
std::string_view impl_name(Impl i) noexcept;
std::string_view role_name(Role r) noexcept;
// The scenarios that run kettle-server and kettle::Client players (no ENet counterpart).
bool is_p2p(Scenario s) noexcept;
// Whether a scenario has an ENet counterpart (--vs enet runs it for these only).
bool has_enet(Scenario s) noexcept;

inline constexpr std::size_t kBulkMessageSize = 1u << 20;  // 1 MiB, the largest reliable message
inline constexpr std::size_t kSmallMessageSize = 64;
inline constexpr std::size_t kPingMessageSize = 64;
inline constexpr std::size_t kP2PSmallMessageSize = 100;  // p2p-relay-small: unreliable

struct Options {
  std::vector<Scenario> scenarios;  // in run order, no duplicates
  std::vector<Impl> impls;          // in run order, no duplicates
  bool json = false;
  bool table = false;
  double duration_s = 3.0;       // send phase of bulk, small, p2p-relay-small; lobbies' mix
  double loss_duration_s = 5.0;  // send phase of loss
  int pings = 10000;             // round trips in pingpong
  double loss_pct = 5.0;         // loss scenario: loss each way
  int rtt_ms = 50;               // loss scenario: added round-trip time (half each way)
  std::uint64_t seed = 1;
  double timeout_s = 40.0;                // hard limit for one scenario run of one implementation
  std::size_t enet_window_kb = 0;         // ENet sender: bound on queued+unacked KiB; 0 = per scenario
  std::size_t kettle_send_buffer_kb = 0;  // Kettle Config::max_send_buffer_bytes in KiB; 0 = default
  int kettle_busy_poll_us = -1;           // Kettle net::LoopOptions::busy_poll; -1 = default
  std::string proxy_path;                 // kettle-proxy binary for `loss`
  std::string server_path;                // kettle-server binary for `login`
  int login_clients = 1000;               // login: clients that log in (each stays online)
  int login_concurrency = 64;             // login: logins in flight at once (closed loop)
  int lobby_clients = 2000;               // lobbies: clients in this process, one session each
  int lobby_concurrency = 256;            // lobbies: operations in flight at once (closed loop)
  int lobby_threads = 1;                  // lobbies: client threads (each its own sockets and clients)
  std::size_t p2p_mib = 64;               // p2p-bulk, p2p-relay-bulk: MiB sent
  std::size_t p2p_message_kb = 256;       // p2p-bulk, p2p-relay-bulk: KiB per reliable message
  int p2p_sessions = 20;                  // p2p-connect: sessions timed per path
  std::string agent_path;                 // godot-rtt: kettle-agent (default: built alongside / PATH)
  std::string godot_path;                 // godot-rtt: Godot 3 binary (default: godot3-server on PATH)
  std::string godot_project;              // godot-rtt: the bench project (default: tools/bench/godot)
  int godot_pings = 2000;                 // godot-rtt: timed round trips (each side: Godot and C++)
  int godot_warmup = 100;                 // godot-rtt: untimed round trips first
  bool verbose = false;                   // children print progress on stderr

  // Child-only (hidden) options.
  Role role = Role::none;
  std::string connect;     // sender: the receiver's (or proxy's) address; p2p roles: kettle-server's
  std::string server_key;  // p2p roles: kettle-server's public key (64 hex)
};

struct ParseOutcome {
  std::optional<Options> options;  // set when the program should run
  int exit_code = 0;               // when options is empty: 0 for --help, 2 for bad arguments
  std::string message;             // help text or the error, for the caller to print
};

ParseOutcome parse_args(int argc, const char* const* argv);

// The message size and whether the scenario's data is reliable.
std::size_t scenario_message_size(Scenario s) noexcept;

// The ENet sender's send window for a scenario: --enet-window-kb, or the value that measured
// best for ENet on loopback (small messages: 128 KiB; 1 MiB messages: 2 MiB).
std::size_t enet_window_bytes(const Options& o, Scenario s) noexcept;

// Arguments for a child process running `role` of `scenario` with `impl` (argv[0] excluded).
std::vector<std::string> child_args(const Options& o, Scenario scenario, Impl impl, Role role,
                                    const std::string& connect);

}  // namespace kettle::bench
