// kettle-cli: one-shot commands against a kettle-server (or the embedded one).
//
//   kettle-cli [--server HOST:PORT --server-key KEY | --embedded] --name NAME [--password-env VAR]
//              [--token-env VAR] [--app-id N] [--timeout S] [--relay-only] [--connect-timeout S]
//              COMMAND [ARGS]
//   COMMAND: whoami | set-name NEW | lookup STEAMID | online | send ... | listen ... | doctor
//
// Output is JSON on stdout (listen: one line per packet). Exit codes: 0 ok, 1 usage error, 2
// cannot reach the server or log in (the message says which), 3 any other failure.
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

// send/listen/doctor options come after the command word (their --timeout is not the login's).
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
    std::fprintf(stderr, "kettle-cli: %s: %s\n", o.command.c_str(), e.what());
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
                 "whoami | set-name NEW | lookup STEAMID | online | send ... | listen ... | doctor")
      ->required();
  app.add_option("args", o.args, "command arguments");

  // The P2P commands have options of their own after the command word; the identity commands
  // keep the old parse (options anywhere) so nothing that worked before changes.
  const int at = command_index(argc, argv);
  const std::string word = at < argc ? argv[at] : "";
  const bool own_options = word == "send" || word == "listen" || word == "doctor";
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
  if (o.command == "listen") {
    // SIGINT/SIGTERM end a listener cleanly: the lines so far are complete and the final
    // summary follows. Other commands keep the default (die at once).
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
