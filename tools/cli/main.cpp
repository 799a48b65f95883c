// kettle-cli: one-shot commands against a kettle-server (or the embedded one).
//
//   kettle-cli [--server HOST:PORT --server-key KEY | --embedded] --name NAME [--password-env VAR]
//              [--token-env VAR] [--app-id N] [--timeout S] [--relay-only] [--connect-timeout S]
//              COMMAND [ARGS]
//   COMMAND: whoami | set-name NEW | lookup STEAMID | online | send ... | listen ... | doctor |
//            lobby ACTION ...
//
// Output is JSON on stdout (listen: one line per packet; lobby streams: one line per event). Exit codes: 0 ok, 1 usage
// error, 2 cannot reach the server or log in (the message says which), 3 any other failure.
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }

// The global flags that take no value; every other option takes one (unless written --opt=value).
bool is_global_flag(const std::string& a) {
  return a == "--embedded" || a == "--relay-only" || a == "-h" || a == "--help";
}

// Index of the command word in argv (the first word that is neither an option nor an option's
// value), or argc.
int command_index(int argc, char** argv) {
  int i = 1;
  while (i < argc) {
    const std::string a = argv[i];
    if (a.empty() || a[0] != '-') return i;
    i += (is_global_flag(a) || a.find('=') != std::string::npos) ? 1 : 2;
  }
  return argc;
}

// send/listen/doctor/lobby options come after the command word (their --timeout is not the login's).
// Parses argv[from..] into `o`; returns an exit code when parsing ends the run (help, error).
std::optional<int> parse_command_options(kettle::cli::Options& o, int argc, char** argv, int from) {
  CLI::App cmd{"kettle-cli " + o.command};
  cmd.name("kettle-cli " + o.command);
  auto& s = o.send;
  auto& l = o.listen;
  if (o.command == "send") {
    cmd.description("Send P2P packets to a user, wait until they are acknowledged, print the session.");
    cmd.add_option("--to", s.to, "recipient SteamID64")->required();
    cmd.add_option("--type", s.type, "0 unreliable, 1 unreliable no-delay, 2 reliable, 3 reliable buffered")
        ->capture_default_str();
    cmd.add_option("--channel", s.channel, "channel 0-255")->capture_default_str();
    auto* text = cmd.add_option_function<std::string>(
        "--text", [&](const std::string& v) { s.text = v; }, "payload: this text (UTF-8 bytes, no terminator)");
    auto* file = cmd.add_option_function<std::string>(
        "--file", [&](const std::string& v) { s.file = v; }, "payload: this file's bytes");
    auto* bytes = cmd.add_option_function<std::uint64_t>(
        "--bytes", [&](std::uint64_t v) { s.bytes = v; }, "payload: N bytes of the pattern i mod 251");
    text->excludes(file)->excludes(bytes);
    file->excludes(bytes);
    cmd.add_option("--count", s.count, "send the payload this many times")->capture_default_str();
    cmd.add_option("--interval", s.interval_s, "seconds between two sends of --count (a game's tick)")
        ->check(CLI::Range(0.0, 60.0))
        ->capture_default_str();
    cmd.add_option("--timeout", s.timeout_s, "seconds for the whole send, acknowledgement included")
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str();
  } else if (o.command == "listen") {
    cmd.description("Accept P2P sessions and print one line per packet received.");
    cmd.add_option("--channel", l.channel, "channel 0-255")->capture_default_str();
    cmd.add_option("--count", l.count, "exit 0 after this many packets (0: until --timeout or a signal)")
        ->capture_default_str();
    cmd.add_option("--accept", l.accept, "all: accept every session request; none: ignore them")
        ->check(CLI::IsMember({"all", "none"}))
        ->capture_default_str();
    cmd.add_flag("--json", l.json, "JSON lines instead of text");
    cmd.add_option("--timeout", l.timeout_s, "give up after this many seconds (0: no limit)")
        ->check(CLI::Range(0.0, 86400.0))
        ->capture_default_str();
  } else if (o.command == "lobby") {
    // The action word picks the options, so one an action does not take is a usage error.
    auto& lo = o.lobby;
    if (from < argc && argv[from][0] != '-') lo.action = argv[from++];
    cmd.name("kettle-cli lobby " + lo.action);
    cmd.description("Lobbies: create | join ID | watch ID | list | chat ID TEXT | members ID (tools/cli/README.md).");
    const std::string& a = lo.action;
    const std::size_t positionals = a == "chat" ? 2 : (a == "join" || a == "watch" || a == "members") ? 1 : 0;
    if (positionals > 0) {
      // The count is check_lobby's (its message names the action).
      cmd.add_option("args", lo.args, a == "chat" ? "ID TEXT" : "ID: the lobby's SteamID64 (decimal)");
    }
    if (a == "create") {
      cmd.add_option("--type", lo.type, "private | friends | public | invisible")->capture_default_str();
      cmd.add_option("--max", lo.max_members, "member limit, 1-250")->capture_default_str();
      cmd.add_option("--data", lo.data, "KEY=VALUE lobby data (repeatable), set before the id is printed");
    }
    if (a == "create" || a == "join" || a == "watch") {
      cmd.add_option("--for", lo.for_s, "stay this many seconds, then end as on SIGTERM (0: until a signal)")
          ->capture_default_str();
    }
    if (a == "list") {
      cmd.add_option("--filter", lo.filter, "KEY=VALUE: lobby data equal to VALUE (repeatable)");
      cmd.add_option("--filter-not", lo.filter_not, "KEY=VALUE: lobby data not equal to VALUE (repeatable)");
      cmd.add_option("--numeric", lo.numeric, "KEY<op>N, op one of < <= = >= > != (repeatable)");
      cmd.add_option("--near", lo.near, "KEY=N: closest to N first (repeatable; earlier ones first)");
      cmd.add_option("--slots", lo.slots, "at least this many free slots");
      cmd.add_option("--count", lo.count, "at most this many lobbies, 1-500 (default 50)");
    }
  } else {
    cmd.description("Report this machine's network as a P2P session would see it.");
  }
  std::vector<std::string> rest;
  for (int i = argc - 1; i >= from; --i) rest.emplace_back(argv[i]);  // CLI11 wants them reversed
  try {
    cmd.parse(rest);
  } catch (const CLI::CallForHelp& e) {
    return cmd.exit(e);
  } catch (const CLI::ParseError& e) {
    const std::string what = o.command == "lobby" ? "lobby " + o.lobby.action : o.command;
    std::fprintf(stderr, "kettle-cli: %s: %s\n", what.c_str(), e.what());
    return kettle::cli::kExitUsage;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  kettle::cli::Options o;
  CLI::App app{
      "kettle-cli: commands against a kettle-server.\n"
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
  app.add_flag("--relay-only", o.relay_only, "P2P only through the server's relay (peers never see this IP)");
  app.add_option_function<double>(
         "--connect-timeout", [&](double v) { o.connect_timeout_s = v; },
         "seconds a P2P session may take to become active (default 20)")
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("command", o.command,
                 "whoami | set-name NEW | lookup STEAMID | online | send ... | listen ... | doctor | lobby ...")
      ->required();
  app.add_option("args", o.args, "command arguments");

  // The P2P commands have options of their own after the command word; the identity commands
  // keep the old parse (options anywhere) so nothing that worked before changes.
  const int at = command_index(argc, argv);
  const std::string word = at < argc ? argv[at] : "";
  const bool own_options = word == "send" || word == "listen" || word == "doctor" || word == "lobby";
  try {
    app.parse(own_options ? at + 1 : argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kettle::cli::kExitUsage;
  }
  if (own_options) {
    if (auto rc = parse_command_options(o, argc, argv, at + 1)) return *rc;
  }

  kettle::cli::Io io;
  io.line = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);  // a reader (a script, a test) sees every packet as it arrives
  };
  io.exit_without_logoff = [](const kettle::cli::Outcome& out) {
    if (!out.json.empty()) std::printf("%s\n", out.json.c_str());
    if (!out.error.empty()) std::fprintf(stderr, "kettle-cli: %s\n", out.error.c_str());
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(out.exit_code);  // no destructors: the client must not say goodbye to the server
  };
  if (o.command == "listen" || o.command == "lobby") {
    // SIGINT/SIGTERM end a listener or a lobby stream cleanly: the lines so far are complete and
    // the command ends its own way (listen: the summary; lobby: README). Other commands keep the
    // default (die at once).
    io.stop = &g_stop;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
  }

  const kettle::cli::Outcome out = kettle::cli::run(o, io);
  if (!out.json.empty()) std::printf("%s\n", out.json.c_str());
  if (!out.error.empty()) std::fprintf(stderr, "kettle-cli: %s\n", out.error.c_str());
  return out.exit_code;
}
