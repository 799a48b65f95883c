// The parent side of kettle-bench: for one scenario and implementation, start the receiver
// process, (for `loss`) a kettle-proxy in front of it, then the sender; collect both JSON
// results and both processes' rusage into Figures.
#pragma once

#include <string>

#include "bench/options.hpp"
#include "bench/report.hpp"

namespace kettle::bench {

struct RunPaths {
  std::string self;    // this executable, started again with --role
  std::string proxy;   // kettle-proxy; empty if not found
  std::string server;  // kettle-server (login); empty if not found
};

Figures run_scenario(const Options& o, Scenario s, Impl impl, const RunPaths& paths);

// Combines the two role results (as printed by run_role) and the processes' resources.
// Exposed for tests: no processes involved.
Figures combine_results(Scenario s, Impl impl, const nlohmann::json& sender, const nlohmann::json& receiver);

}  // namespace kettle::bench
