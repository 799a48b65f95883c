#include "core/time.hpp"

namespace kettle {

Instant monotonic_now() noexcept {
  const auto d = std::chrono::steady_clock::now().time_since_epoch();
  return Instant{std::chrono::duration_cast<Duration>(d)};
}

std::uint64_t unix_now_s() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace kettle
