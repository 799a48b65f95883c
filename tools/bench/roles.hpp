// The two endpoint processes of a benchmark run (`kettle-bench --role sender|receiver`).
// Each prints, on stdout: the receiver first `listening 127.0.0.1:PORT`, and both finally one
// JSON object with their measurements (see runner.cpp for how the parent combines them).
#pragma once

#include "bench/options.hpp"

namespace kettle::bench {

// Runs options.role for options.scenarios[0] with options.impls[0]. Returns the exit status:
// 0 verified, 1 verification failure or run error.
int run_role(const Options& options);

}  // namespace kettle::bench
