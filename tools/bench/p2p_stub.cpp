// Built when kettle-server's library is not part of the build: the p2p scenarios report why.
#include "bench/p2p.hpp"

namespace kettle::bench {

std::vector<Figures> run_p2p(const Options&, Scenario s, const RunPaths&) {
  Figures f;
  f.scenario = s;
  f.error = "this kettle-bench was built without kettle-server";
  return {f};
}

int run_p2p_role(const Options&) { return 1; }

}  // namespace kettle::bench
