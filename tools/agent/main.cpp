// kettle-agent: the process behind the Godot `Steam` autoload (docs/godot.md, docs/protocol.md §16).
// The game starts it; it serves that one game over loopback and exits when the game goes.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "agent/agent.hpp"
#include "core/log.hpp"

namespace {

// Secrets and test knobs come from the environment so they never show in `ps`.
void from_env(const char* name, std::string& out) {
  if (const char* v = std::getenv(name); v != nullptr && *v != '\0') out = v;
}
bool from_env(const char* name, double& out) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return true;
  char* end = nullptr;
  const double d = std::strtod(v, &end);
  if (end == v || *end != '\0' || !(d > 0) || d > 86400) {
    std::fprintf(stderr, "kettle-agent: %s=%s is not a number of seconds (0 < s <= 86400)\n", name, v);
    return false;
  }
  out = d;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  kettle::agent::AgentOptions o;
  auto& c = o.config;
  int dialect = 3;
  std::string log_level = "warn";
  CLI::App app{
      "kettle-agent: serves one Godot game (the Steam autoload) over loopback. The game starts it; "
      "see docs/godot.md."};
  app.add_option("--handshake-file", o.handshake_file, "where to write ports and token for the game (mode 0600)")
      ->required();
  app.add_option("--dialect", dialect, "Godot major version of the game's Variant encoding")
      ->check(CLI::IsMember({3, 4}))
      ->capture_default_str();
  app.add_option("--server", c.server, "kettle-server HOST:PORT, or 'embedded' (an in-process dev server)")
      ->capture_default_str();
  app.add_option("--server-key", c.server_key, "the server's public key (64 hex chars)");
  app.add_option("--name", c.login_name, "login name (dev-mode login)");
  app.add_option("--app-id", c.app_id, "Steam-style app ID")->capture_default_str()->check(CLI::Range(1u, 0xFFFFFFFFu));
  app.add_option("--login-timeout", c.login_timeout_s, "seconds steamInit waits for the server")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--game-timeout", o.game_connect_timeout_s, "exit if no game connects within this many seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  (void)dialect;  // the hello carries the dialect the game really speaks
  kettle::set_log_level(log_level);

  from_env("KETTLE_PASSWORD", c.password);
  from_env("KETTLE_TOKEN", c.token);
  if (!from_env("KETTLE_P2P_CONNECT_TIMEOUT", c.p2p_connect_timeout_s) ||
      !from_env("KETTLE_P2P_PENDING_HOLD", c.p2p_pending_hold_s) ||
      !from_env("KETTLE_P2P_LIVENESS", c.p2p_liveness_timeout_s) ||
      !from_env("KETTLE_BACKEND_LIVENESS", c.backend_liveness_s)) {
    return 2;
  }

  kettle::agent::Agent agent(std::move(o));
  if (auto s = agent.start(); !s) {
    std::fprintf(stderr, "kettle-agent: %s\n", s.error().message.c_str());
    return 1;
  }
  return agent.run();
}
