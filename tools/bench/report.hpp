// Benchmark figures and their two presentations: JSON lines (machine-readable, the
// acceptance format) and a human table. MB = 10^6 bytes throughout.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench/options.hpp"

namespace kettle::bench {

// What one implementation achieved in one scenario.
struct Figures {
  Scenario scenario = Scenario::bulk;
  Impl impl = Impl::kettle;
  std::string error;                  // non-empty: the run failed (timeout, crash, connect failure)
  std::uint64_t verify_failures = 0;  // messages that arrived wrong, out of order, or duplicated
  std::uint64_t messages = 0;         // verified data messages (round trips for pingpong)
  std::uint64_t bytes = 0;            // verified payload bytes
  double elapsed_s = 0;
  std::optional<double> goodput_MBps;  // bulk, small, loss
  std::optional<double> msgs_per_s;    // small (and bulk/loss for reference)
  std::optional<double> rtt_p50_us;    // pingpong; godot-rtt: between the two Godot instances
  std::optional<double> rtt_p99_us;
  std::uint64_t pings_lost = 0;          // pingpong, godot-rtt round trips that timed out
  std::optional<double> cpp_rtt_p50_us;  // godot-rtt: the same round trip between two C++ clients
  std::optional<double> cpp_rtt_p99_us;
  std::optional<double> logins_per_s;  // login: completed logins / elapsed
  std::optional<double> login_p50_us;  // login: connect() to LoginOk
  std::optional<double> login_p99_us;
  std::string path;                      // p2p-connect: "direct" or "relay" (one row each)
  std::optional<double> connect_p50_us;  // p2p-connect: SendP2PPacket to readable at the peer
  std::optional<double> connect_p99_us;
  std::optional<double> ops_per_s;  // lobbies: lobby operations completed per second, all types
  std::optional<double> op_p50_us;  // lobbies: request to completion, all types
  std::optional<double> op_p99_us;
  nlohmann::json ops = nlohmann::json::object();    // lobbies: per type {count, ops_per_s, p50_us, p99_us, ...}
  double cpu_s = 0;                                 // user + sys of both endpoint processes
  long max_rss_kb = 0;                              // the larger of the two endpoint processes
  nlohmann::json extra = nlohmann::json::object();  // implementation counters (retransmits, ...)

  bool ok() const noexcept { return error.empty() && verify_failures == 0; }
  // Verified MB per CPU-second of both endpoints: on a shared machine, where wall-clock
  // goodput swings with how much CPU the run got, this is the steadier efficiency figure.
  std::optional<double> mb_per_cpu_s() const noexcept;
};

// p2p-relay-bulk against p2p-bulk: CPU seconds per verified MB, relay / direct, of the two
// players alone and (`with_server`) including kettle-server's CPU during the run (the
// relay's own cost; the direct run's server CPU is ~0). Empty unless both ran and verified.
struct RelayCost {
  double endpoint_ratio = 0;
  double with_server_ratio = 0;
};
std::optional<RelayCost> relay_vs_direct(const Figures& direct, const Figures& relay);
nlohmann::json relay_cost_json(std::optional<RelayCost> cost);

// godot-rtt's goal: each of the four kettle-agent hops of a round trip (the game's send into
// its agent, the agent's push to the game, on both sides) adds less than this at p50.
inline constexpr double kAgentHopGoalUs = 100.0;

// godot-rtt: (Godot p50 - C++ p50) / 4, the latency one agent hop adds. Empty unless the run
// verified and has both figures.
std::optional<double> agent_hop_added_us(const Figures& f);

// Kettle relative to ENet, oriented so that > 1 means Kettle is better: goodput or msgs/s
// ratio kettle/enet; pingpong enet_p50 / kettle_p50. Empty if either run lacks the figure.
std::optional<double> kettle_vs_enet_ratio(const Figures& kettle, const Figures& enet);

nlohmann::json figures_json(const Figures& f);
nlohmann::json ratio_json(Scenario s, std::optional<double> ratio);

// Percentile (0..100) by nearest rank of an unsorted sample; sorts in place. Empty → 0.
double percentile(std::vector<double>& samples, double pct);

// The table for all figures gathered so far, with a ratio row after each scenario that ran both.
std::string format_table(const std::vector<Figures>& all);

}  // namespace kettle::bench
