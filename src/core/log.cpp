#include "core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <mutex>
#include <string>

namespace kettle {
namespace {

spdlog::level::level_enum env_level() {
  const char* v = std::getenv("KETTLE_LOG");
  if (v == nullptr || *v == '\0') return spdlog::level::warn;
  return spdlog::level::from_str(v);
}

std::mutex g_mu;

}  // namespace

std::shared_ptr<spdlog::logger> logger(std::string_view layer) {
  std::lock_guard lock(g_mu);
  const std::string name{layer};
  if (auto l = spdlog::get(name)) return l;
  auto l = spdlog::stderr_color_mt(name);
  l->set_level(env_level());
  return l;
}

void set_log_level(std::string_view level) {
  std::lock_guard lock(g_mu);
  const auto lvl = spdlog::level::from_str(std::string{level});
  spdlog::apply_all([lvl](const std::shared_ptr<spdlog::logger>& l) { l->set_level(lvl); });
}

}  // namespace kettle
