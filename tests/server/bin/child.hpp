// A child process for binary tests: stdout and stderr on separate pipes, an explicit
// environment, and every wait bounded by a deadline (pidfd + poll, never sleeps). The
// destructor kills (SIGKILL) and reaps a child that is still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace kettle::test {

class Child {
 public:
  using Clock = std::chrono::steady_clock;

  // `env` replaces the environment entirely. Aborts the test on spawn failure (EXPECT).
  Child(const std::string& path, const std::vector<std::string>& args, const std::map<std::string, std::string>& env);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Reads output until a complete stdout line starting with `prefix` arrives; returns it (without
  // the newline), or "" on deadline or EOF.
  std::string wait_for_line(const std::string& prefix, Clock::time_point deadline);
  // Reads all output and reaps the child. Exit status, or 128+signal if killed by a signal, or -1
  // if it did not end by the deadline (it is then killed).
  int wait_exit(Clock::time_point deadline);
  void signal(int sig);

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }
  pid_t pid() const { return pid_; }

 private:
  // One poll round: reads what is ready; returns false once the deadline passes.
  bool pump(Clock::time_point deadline);

  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1, pid_fd_ = -1;
  std::string out_, err_;
  std::size_t out_scanned_ = 0;  // wait_for_line: lines before this offset were already returned
  bool exited_ = false;
  int status_ = 0;
};

// The current environment minus KETTLE_* variables (so the developer's shell cannot change a
// test), plus `extra`.
std::map<std::string, std::string> clean_environment(const std::map<std::string, std::string>& extra = {});

}  // namespace kettle::test
