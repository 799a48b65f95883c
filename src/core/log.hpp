// Logging through spdlog. One named logger per layer keeps output greppable;
// level comes from KETTLE_LOG (trace|debug|info|warn|error|off), default warn so
// tests and benchmarks stay quiet. Never log secrets: keys, tokens, passwords.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

namespace kettle {

// Logger for a layer ("transport", "net", ...), created on first use.
std::shared_ptr<spdlog::logger> logger(std::string_view layer);
// Re-read KETTLE_LOG (or set explicitly) for every logger.
void set_log_level(std::string_view level);

}  // namespace kettle
