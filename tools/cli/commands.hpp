// kettle-cli's commands as a library, so tests can run them in-process as well as through the
// binary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kettle::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;
inline constexpr int kExitUnreachable = 2;  // cannot reach the server or log in
inline constexpr int kExitFailure = 3;

struct Options {
  std::string server;
  std::string server_key;
  bool embedded = false;
  std::string name;
  std::string password_env;
  std::string token_env;
  std::uint32_t app_id = 480;
  double timeout_s = 10;
  std::string command;
  std::vector<std::string> args;
};

struct Outcome {
  int exit_code = kExitFailure;
  std::string json;   // stdout
  std::string error;  // stderr, one line
};

Outcome run(const Options& o);

}  // namespace kettle::cli
