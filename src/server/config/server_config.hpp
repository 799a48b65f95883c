// kettle-server's configuration: command line, environment and an optional JSON file, merged
// with the precedence  flags > environment > config file > defaults  field by field.
//
//   auto cfg = parse_server_config({"--dev", "--udp", "127.0.0.1:0"}, {{"KETTLE_DB", "x.db"}});
//
// A pure function of its arguments (it reads the config file, nothing else), so every rule is
// testable without touching the process environment. Ranges that ServerOptions::validate()
// checks (lifetimes, thread counts) are left to it; this layer checks syntax and types and
// names the source of a bad value: "--udp: ...", "KETTLE_UDP: ...", "config file F: apps[1]...".
//
// Environment variables (each the same syntax as its flag):
//   KETTLE_CONFIG KETTLE_UDP KETTLE_HTTP KETTLE_DB KETTLE_DEV KETTLE_KEY KETTLE_LOG_LEVEL
//   KETTLE_LOG_FORMAT KETTLE_CERTIFICATE_LIFETIME_S KETTLE_BACKEND_LIVENESS_S KETTLE_AUTH_THREADS
//   KETTLE_MAX_CLIENTS KETTLE_ALLOW_LIST_ONLINE KETTLE_RELAY KETTLE_RELAY_RATE_BYTES
//   KETTLE_RELAY_IDLE_TIMEOUT_S KETTLE_RELAY_MAX_ALLOCATIONS
// Booleans (KETTLE_DEV, KETTLE_ALLOW_LIST_ONLINE) take 1/0, true/false, yes/no, on/off.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "server/server.hpp"

namespace kettle::server {

// What the invocation asks kettle-server to do.
enum class Command {
  serve,             // run the server (default)
  print_public_key,  // --print-public-key: load/create the key, print its public half, exit
  help,              // --help: print ServerConfig::help_text, exit 0
  account_add,       // account add NAME [--password-env VAR]
  account_token,     // account token NAME
  account_passwd,    // account passwd NAME --password-env VAR
  account_list,      // account list
  app_add,           // app add APP_ID [--name N] [--closed] [--grant NAME]...
};

// Arguments of the admin subcommands (which operate on the --db file directly).
struct AdminArgs {
  std::string name;                         // account add/token
  std::optional<std::string> password_env;  // account add: variable holding the password
  std::uint32_t app_id = 0;                 // app add
  std::optional<std::string> app_name;      // app add --name
  bool closed = false;                      // app add --closed
  std::vector<std::string> grants;          // app add --grant (login names)
};

struct ServerConfig {
  ServerOptions options;  // everything but options.key, which main loads from key_path
  std::string key_path = "kettle-server.key";
  std::optional<std::string> config_file;  // the file that was read, if any
  std::string log_level = "info";          // trace|debug|info|warn|error|off
  std::string log_format = "text";         // text (human) | logfmt (key=value per line)
  Command command = Command::serve;
  AdminArgs admin;
  std::string help_text;  // for Command::help
};

using Environment = std::map<std::string, std::string>;

// `args` excludes the program name. Errors: invalid_argument with one precise line
// ("--udp: 'abc' is not HOST:PORT ...", "config file F: line 3, column 5: ...",
// "config file F: unknown key 'foo'", "config file F: apps[1].app_id must be 1..4294967295").
// A config file that cannot be read is also invalid_argument (a usage problem, exit 2).
Result<ServerConfig> parse_server_config(const std::vector<std::string>& args, const Environment& env);

// The process environment as an Environment (only KETTLE_* variables are kept).
Environment kettle_environment(char** envp);

}  // namespace kettle::server
