// The `godot-rtt` scenario (opt-in): what kettle-agent and the `Steam` autoload add to a round
// trip. A real kettle-server (dev mode) and, in one run:
//   godot  two headless Godot 3 instances (--godot, default godot3-server) of the project in
//          tools/bench/godot (copied with addons/kettle resolved into a temporary directory),
//          each with the addon as autoload `Steam` and so its own kettle-agent (--agent); one
//          pings, one echoes 64-byte unreliable packets, busy-polling getAvailableP2PPacketSize /
//          readP2PPacket, timed with OS.get_ticks_usec() (bench.gd);
//   cpp    the same round trip between two kettle::Client in this process, one thread each,
//          busy-polling IsP2PPacketAvailable / ReadP2PPacket.
// Figures: Godot RTT p50/p99 (rtt_p50_us/rtt_p99_us), C++ RTT p50/p99 (cpp_rtt_*), and the
// per-hop cost (Godot p50 - C++ p50) / 4 against the < 100 us goal (reported, not enforced).
#pragma once

#include "bench/options.hpp"
#include "bench/report.hpp"
#include "bench/runner.hpp"

namespace kettle::bench {

Figures run_godot_rtt(const Options& o, const RunPaths& paths);

}  // namespace kettle::bench
