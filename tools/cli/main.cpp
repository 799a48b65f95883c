// kettle-cli: one-shot identity commands against a kettle-server (or the embedded one).
//
//   kettle-cli [--server HOST:PORT --server-key KEY | --embedded] --name NAME [--password-env VAR]
//              [--token-env VAR] [--app-id N] [--timeout S] COMMAND [ARGS]
//   COMMAND: whoami | set-name NEW | lookup STEAMID | online
//
// Output is one JSON document on stdout. Exit codes: 0 ok, 1 usage error, 2 cannot reach the
// server or log in (the message says which), 3 any other failure.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  kettle::cli::Options o;
  CLI::App app{
      "kettle-cli: identity commands against a kettle-server.\n"
      "Exit status: 0 ok, 1 usage error, 2 cannot reach the server or log in, 3 other failure."};
  app.add_option("--server", o.server, "kettle-server UDP address HOST:PORT");
  app.add_option("--server-key", o.server_key, "the server's public key (64 hex, kettle-server --print-public-key)");
  app.add_flag("--embedded", o.embedded, "start an in-process dev-mode server instead (for trying things out)");
  app.add_option("--name", o.name, "login name")->required();
  app.add_option("--password-env", o.password_env, "environment variable holding the password");
  app.add_option("--token-env", o.token_env, "environment variable holding an access token");
  app.add_option("--app-id", o.app_id, "app id to log in to")->capture_default_str();
  app.add_option("--timeout", o.timeout_s, "seconds to wait for the server")
      ->check(CLI::Range(0.1, 600.0))
      ->capture_default_str();
  app.add_option("command", o.command, "whoami | set-name NEW | lookup STEAMID | online")->required();
  app.add_option("args", o.args, "command arguments");
  app.require_subcommand(0);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kettle::cli::kExitUsage;
  }
  const kettle::cli::Outcome out = kettle::cli::run(o);
  if (!out.json.empty()) std::printf("%s\n", out.json.c_str());
  if (!out.error.empty()) std::fprintf(stderr, "kettle-cli: %s\n", out.error.c_str());
  return out.exit_code;
}
