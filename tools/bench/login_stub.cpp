// Built when kettle-server's library is not part of the build: the login scenario reports why.
#include "bench/login.hpp"

namespace kettle::bench {

Figures run_login(const Options&, const std::string&) {
  Figures f;
  f.scenario = Scenario::login;
  f.error = "this kettle-bench was built without kettle-server";
  return f;
}

}  // namespace kettle::bench
