// Time in Kettle. The transport never reads a clock: callers pass `Instant`s in.
// An Instant is microseconds since an arbitrary epoch (the process's steady clock
// for real I/O, zero for the simulator). Units live in the type names.
#pragma once

#include <chrono>
#include <cstdint>

namespace kettle {

using Duration = std::chrono::microseconds;
using Instant = std::chrono::time_point<struct KettleClockTag, Duration>;

inline constexpr Instant kInstantZero{};
inline constexpr Instant kInstantNever{Duration::max()};

constexpr Duration ms(std::int64_t v) { return std::chrono::milliseconds(v); }
constexpr Duration us(std::int64_t v) { return Duration(v); }
constexpr Duration secs(std::int64_t v) { return std::chrono::seconds(v); }
constexpr std::int64_t to_us(Duration d) { return d.count(); }
constexpr std::int64_t to_us(Instant t) { return t.time_since_epoch().count(); }

// The real monotonic clock, for the I/O layers only (src/net, tools).
Instant monotonic_now() noexcept;
// Wall-clock seconds since the Unix epoch, for certificate expiry.
std::uint64_t unix_now_s() noexcept;

}  // namespace kettle
