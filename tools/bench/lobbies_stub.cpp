// Built when kettle-server's library is not part of the build: the lobbies scenario reports why.
#include "bench/lobbies.hpp"

namespace kettle::bench {

Figures run_lobbies(const Options&, const std::string&) {
  Figures f;
  f.scenario = Scenario::lobbies;
  f.error = "this kettle-bench was built without kettle-server";
  return f;
}

}  // namespace kettle::bench
