// A child process with its stdout on a pipe: spawn, read lines with a deadline, reap with
// wait4 for its CPU time and peak RSS. Optionally its stdin is a pipe too, for a parent that
// must hand it facts learned after the start (the p2p scenarios pass each player the other's
// SteamID). The destructor kills (SIGKILL) and reaps a child that
// is still running, so an early return never leaks a process.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace kettle::bench {

struct ExitInfo {
  int status = 0;  // as from wait4
  double cpu_s = 0;
  long max_rss_kb = 0;
  bool exited_ok() const noexcept;
  std::string describe() const;  // "exit 0", "exit 3", "killed by signal 9"
};

class ChildProcess {
 public:
  // Starts `path` with `args` (argv[0] is `path`). stdin is /dev/null (or a pipe written by
  // write_line when `stdin_pipe`), stderr is inherited. The environment is this process's plus
  // `extra_env` ("NAME=VALUE" entries, which replace variables of the same name).
  static Result<ChildProcess> spawn(const std::string& path, const std::vector<std::string>& args,
                                    bool stdin_pipe = false, const std::vector<std::string>& extra_env = {});

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  // The next stdout line without its newline. Errors: timed_out, closed (EOF), io.
  Result<std::string> read_line(Instant deadline);
  // Writes `line` and a newline to the child's stdin (spawned with stdin_pipe). Errors: io,
  // invalid_argument (no stdin pipe).
  Status write_line(std::string_view line);
  // user+sys CPU seconds the running child has used so far (/proc/PID/stat, clock-tick
  // resolution), for measuring a phase of a long-lived child such as kettle-server.
  Result<double> cpu_seconds_so_far() const;
  // Waits for exit until the deadline (then kills it). Errors: timed_out (killed), io.
  Result<ExitInfo> wait(Instant deadline);
  void kill() noexcept;
  pid_t pid() const noexcept { return pid_; }

 private:
  ChildProcess(pid_t pid, int out_fd, int pid_fd, int in_fd) noexcept
      : pid_(pid), out_fd_(out_fd), pid_fd_(pid_fd), in_fd_(in_fd) {}
  void release() noexcept;

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int pid_fd_ = -1;  // pidfd: becomes readable when the child exits, so wait() can time out
  int in_fd_ = -1;   // the child's stdin, when piped
  std::string buffered_;
  bool reaped_ = false;
};

// Absolute path of the running executable (/proc/self/exe).
Result<std::string> self_exe_path();

}  // namespace kettle::bench
