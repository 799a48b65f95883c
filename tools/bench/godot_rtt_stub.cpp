// Built when kettle-server's library is not part of the build: the godot-rtt scenario reports why.
#include "bench/godot_rtt.hpp"

namespace kettle::bench {

Figures run_godot_rtt(const Options&, const RunPaths&) {
  Figures f;
  f.scenario = Scenario::godot_rtt;
  f.error = "this kettle-bench was built without kettle-server";
  return f;
}

}  // namespace kettle::bench
