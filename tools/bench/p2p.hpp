// The P2P scenarios: a real kettle-server process (dev mode, fresh SQLite file, relay
// unthrottled) and kettle::Client players logged in to it over UDP on 127.0.0.1.
//   p2p-bulk, p2p-relay-bulk  two player processes (this binary with --role); the receiver
//                             pre-accepts the sender, which sends --p2p-mib MiB of reliable
//                             --p2p-message-kb KiB messages, verified byte for byte. The relay
//                             variant sets ClientConfig::p2p_relay_only on both players and
//                             also reports kettle-server's CPU and relay counters for the run.
//   p2p-relay-small           the same processes; 100-byte unreliable messages through the relay
//                             for --duration s (loss is reported, corruption fails the run).
//   p2p-connect               in this process: one sender and, per session, a fresh receiver
//                             that pre-accepts it; time from SendP2PPacket to the packet being
//                             readable at the receiver, direct and relayed (two Figures).
#pragma once

#include <vector>

#include "bench/options.hpp"
#include "bench/report.hpp"
#include "bench/runner.hpp"

namespace kettle::bench {

std::vector<Figures> run_p2p(const Options& o, Scenario s, const RunPaths& paths);

// The player process of p2p-bulk / p2p-relay-bulk / p2p-relay-small (`--role sender|receiver`). Exit status as
// run_role.
int run_p2p_role(const Options& o);

}  // namespace kettle::bench
