// A child process for tests that run the project's binaries (tests/integration,
// tests/server/bin): stdout on a pipe (read line by line with a
// deadline), stderr on a pipe or appended to a file (a server's log can grow without bound, and
// a full pipe nobody reads would stall the server), an explicit environment, and every wait
// bounded by a pidfd deadline. The child gets SIGKILL when the thread that started it exits
// (PR_SET_PDEATHSIG), so a crashed test never leaves a server behind; start children from the
// test's main thread. The destructor kills and reaps a child that is still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kettle::test {

using Clock = std::chrono::steady_clock;

inline Clock::time_point in_secs(double s) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

class Process {
 public:
  // `env` replaces the environment. `stderr_file` empty: stderr is a pipe, read by wait_exit.
  // Spawn failures are reported with ADD_FAILURE; running() is then false.
  Process(const std::string& path, const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
          const std::string& stderr_file = "");
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // The next stdout line (without '\n'); "" on deadline or EOF.
  std::string read_line(Clock::time_point deadline);
  // The next stdout line starting with `prefix`, skipping others; "" on deadline or EOF.
  std::string read_line_starting_with(std::string_view prefix, Clock::time_point deadline);
  // Reads the rest of the output and reaps. Exit code, 128+signal if killed by a signal, or -1 if
  // it had not ended by the deadline (it is then killed).
  int wait_exit(Clock::time_point deadline);
  void signal(int sig);
  // Still running (not exited, or exited but not yet reaped counts as exited).
  bool running();

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }
  pid_t pid() const { return pid_; }

 private:
  bool pump(Clock::time_point deadline);  // one poll round; false once the deadline passed

  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1, pid_fd_ = -1;
  std::string out_, err_;
  std::size_t out_scanned_ = 0;
  bool reaped_ = false;
  int status_ = 0;
};

struct RunResult {
  int exit = -1;
  std::string out, err;
};

// Runs a short-lived command to completion (deadline: killed, exit -1).
RunResult run_process(const std::string& path, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env, double timeout_s = 60);

// The current environment minus KETTLE_* variables (a developer's shell must not change a test),
// plus `extra`.
std::map<std::string, std::string> clean_environment(const std::map<std::string, std::string>& extra = {});

}  // namespace kettle::test
