// kettle-server: accounts, login, presence and peer signalling for Kettle clients.
//
//   kettle-server --dev                      # development: any name logs in, every app open
//   kettle-server --config /etc/kettle/server.json
//   kettle-server --print-public-key         # the 64-hex key clients pin (last stdout line)
//   kettle-server account add alice --password-env ALICE_PW
//   kettle-server account passwd alice --password-env ALICE_PW
//   kettle-server account token alice        # prints a new access token once
//   kettle-server account list
//   kettle-server app add 480 --name Spacewar [--closed] [--grant alice]
//
// stdout carries only machine-readable lines (the "listening" line, the public key, admin
// output); logs go to stderr. SIGINT/SIGTERM stop the server gracefully (clients get CLOSE).
// Exit codes: 0 success or clean shutdown; 1 runtime failure (port in use, database corrupt
// or unreadable, key file unreadable); 2 usage or configuration error (bad flag or value, bad
// config file, invalid options, key file readable by others).
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "admin.hpp"
#include "core/log.hpp"
#include "server/config/server_config.hpp"
#include "server/server.hpp"

extern char** environ;

namespace {

using kettle::Errc;
using kettle::Error;
namespace server = kettle::server;

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

std::atomic<server::Server*> g_server{nullptr};  // for the signal handler

extern "C" void on_signal(int) {
  // Server::stop() is async-signal-safe.
  if (server::Server* s = g_server.load()) s->stop();
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a vanished HTTP client must not kill the server
}

int fail(const Error& e) {
  std::fprintf(stderr, "kettle-server: %s\n", e.message.empty() ? e.to_string().c_str() : e.message.c_str());
  return e.code == Errc::invalid_argument ? kExitUsage : kExitRuntime;
}

void setup_logging(const server::ServerConfig& cfg) {
  // Loggers created later read KETTLE_LOG; existing ones are updated now.
  setenv("KETTLE_LOG", cfg.log_level.c_str(), 1);
  kettle::set_log_level(cfg.log_level);
  if (cfg.log_format == "logfmt") {
    spdlog::set_pattern("ts=%Y-%m-%dT%H:%M:%S.%e%z level=%l logger=%n %v");
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %-5l %n: %v");
  }
}

int print_public_key(const server::ServerConfig& cfg) {
  auto key = server::load_or_create_key(cfg.key_path);
  if (!key) return fail(key.error());
  std::printf("%s\n", server::public_key_hex(key->pub).c_str());
  return 0;
}

int serve(server::ServerConfig cfg) {
  auto log = kettle::logger("server");
  auto key = server::load_or_create_key(cfg.key_path);
  if (!key) return fail(key.error());
  cfg.options.key = std::move(*key);

  auto created = server::Server::create(cfg.options);
  if (!created) return fail(created.error());
  std::unique_ptr<server::Server> s = std::move(*created);

  // Handlers go in before the "listening" line: a parent may signal as soon as it reads it.
  // A stop() that lands before run() makes run() return at once.
  g_server.store(s.get());
  install_signal_handlers();

  const auto http = s->http_address();
  const std::string key_hex = server::public_key_hex(s->public_key());
  const auto relay = s->relay_address();
  std::printf("kettle-server listening udp=%s relay=%s http=%s key=%s dev=%s\n", s->udp_address().to_string().c_str(),
              relay ? relay->to_string().c_str() : "off", http ? http->to_string().c_str() : "off", key_hex.c_str(),
              cfg.options.dev ? "true" : "false");
  std::fflush(stdout);
  log->info("config file={} apps={} log_level={}", cfg.config_file.value_or("-"), cfg.options.apps.size(),
            cfg.log_level);
  if (cfg.options.dev) log->warn("dev_mode=true note=\"any name logs in without a password; every app is open\"");

  auto st = s->run();
  g_server.store(nullptr);
  if (!st) {
    log->error("exit reason=\"{}\"", st.error().to_string());
    return fail(st.error());
  }
  log->info("exit reason=signal");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = server::parse_server_config(args, server::kettle_environment(environ));
  if (!parsed) {
    std::fprintf(stderr, "kettle-server: %s\n", parsed.error().message.c_str());
    std::fprintf(stderr, "Run with --help for usage.\n");
    return kExitUsage;
  }
  server::ServerConfig& cfg = *parsed;
  setup_logging(cfg);

  switch (cfg.command) {
    case server::Command::help:
      std::fputs(cfg.help_text.c_str(), stdout);
      return 0;
    case server::Command::print_public_key:
      return print_public_key(cfg);
    case server::Command::serve:
      return serve(std::move(cfg));
    default: {
      auto st = kettle::server_tool::run_admin(cfg, stdout);
      return st ? 0 : fail(st.error());
    }
  }
}
