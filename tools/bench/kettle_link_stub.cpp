// Used when the build has no Kettle transport/net layer yet: kettle runs report "unsupported".
#include "bench/link.hpp"

namespace kettle::bench {

Result<std::unique_ptr<Link>> make_kettle_link(const LinkOptions&) {
  return make_error(Errc::unsupported, "this build has no Kettle transport (src/transport, src/net)");
}

}  // namespace kettle::bench
