// kettle-cli's commands as a library, so tests can run them in-process as well as through the
// binary.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kettle::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;
inline constexpr int kExitUnreachable = 2;  // cannot reach the server or log in
inline constexpr int kExitFailure = 3;

// `send --to STEAMID [--type 0-3] [--channel N] (--text T | --file F | --bytes N) [--count K]
// [--timeout S]`
struct SendOptions {
  std::string to;
  int type = 2;  // EP2PSend: 0 unreliable, 1 unreliable no-delay, 2 reliable, 3 reliable buffered
  int channel = 0;
  std::optional<std::string> text;
  std::optional<std::string> file;
  std::optional<std::uint64_t> bytes;  // that many bytes of pattern_byte(i)
  std::uint64_t count = 1;             // the payload is sent this many times
  double interval_s = 0;               // between two of those sends (a game's tick; 0: back to back)
  double timeout_s = 30;               // for the whole send, acknowledgement included
};

// `listen [--channel N] [--count N] [--accept all|none] [--json] [--timeout S]`
struct ListenOptions {
  int channel = 0;
  std::uint64_t count = 1;  // 0: until the timeout or a signal
  std::string accept = "all";
  bool json = false;
  double timeout_s = 300;  // 0: no limit
};

// `lobby ACTION [ARGS] [OPTIONS]` (tools/cli/README.md "lobby"). Which options an action takes is
// main.cpp's business; check_lobby checks the values.
struct LobbyOptions {
  std::string action;             // create | join | watch | list | chat | members
  std::vector<std::string> args;  // join, watch, members: ID; chat: ID TEXT
  std::string type = "public";    // create: private | friends | public | invisible
  int max_members = 250;          // create: 1-250
  std::vector<std::string> data;  // create: KEY=VALUE lobby data, on the server before the id is printed
  std::vector<std::string> filter, filter_not, near, numeric;  // list: KEY=VALUE, KEY=VALUE, KEY=N, KEY<op>N
  int slots = 0;                                               // list: free slots at least (0: any)
  int count = 0;                                               // list: at most this many (0: the server's 50)
  double for_s = 0;  // create, join, watch: stay this long, then end as on a signal (0: until a signal)
};

struct Options {
  std::string server;
  std::string server_key;
  bool embedded = false;
  std::string name;
  std::string password_env;
  std::string token_env;
  std::uint32_t app_id = 480;
  double timeout_s = 10;
  bool relay_only = false;                  // ClientConfig::p2p_relay_only
  std::optional<double> connect_timeout_s;  // ClientConfig::p2p_connect_timeout_s
  std::string command;
  std::vector<std::string> args;
  SendOptions send;
  ListenOptions listen;
  LobbyOptions lobby;
};

struct Outcome {
  int exit_code = kExitFailure;
  std::string json;   // stdout (the last line for commands that stream)
  std::string error;  // stderr, one line
  // End the process without logging off (`lobby join`): the server notices the silence after its
  // backend_liveness and tells the lobby DISCONNECTED, as for a crashed game.
  bool disconnect = false;
};

// Where streaming commands (listen) put their lines as they happen, and how a caller stops them.
struct Io {
  // One stdout line (no '\n'), written and flushed at once. Unset: lines collect in Outcome::json,
  // one per line.
  std::function<void(const std::string&)> line;
  // Set (by a signal handler) to end `listen` early; it then reports what it has.
  const std::atomic<bool>* stop = nullptr;
  // How an Outcome with `disconnect` ends: print it and end the process at once, with no logoff
  // and no destructors (main.cpp: std::_Exit). Unset (in-process callers): the client logs off,
  // so the lobby sees LEFT instead.
  std::function<void(const Outcome&)> exit_without_logoff;
};

// Byte i of the `send --bytes N` payload: i mod 251 (a prime, so the pattern does not line up
// with power-of-two boundaries a bug might hide behind).
inline std::uint8_t pattern_byte(std::uint64_t i) { return static_cast<std::uint8_t>(i % 251); }

Outcome run(const Options& o, const Io& io = {});

}  // namespace kettle::cli
