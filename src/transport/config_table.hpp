// The Config option table (config.cpp): name, unit, range, why. Exposed so docs
// and tools can print it; validate() is the only consumer inside the engine.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "transport/config.hpp"

namespace kettle::transport {

struct ConfigOption {
  const char* name;
  const char* unit;  // "us" for durations (Duration is microseconds)
  std::int64_t min;
  std::int64_t max;
  const char* why;
  std::int64_t (*get)(const Config&);
};

inline constexpr std::size_t kConfigOptionCount = 12;
const std::array<ConfigOption, kConfigOptionCount>& config_options();

}  // namespace kettle::transport
