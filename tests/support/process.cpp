#include "support/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

extern char** environ;

namespace kettle::test {
namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

Process::Process(const std::string& path, const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env, const std::string& stderr_file) {
  // Everything the child touches is built before fork: only async-signal-safe calls after it
  // (the test process has client I/O threads).
  std::vector<std::string> argv_s{path};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return;
  }
  if (stderr_file.empty()) {
    if (::pipe2(err, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2: " << std::strerror(errno);
      close_fd(out[0]);
      close_fd(out[1]);
      return;
    }
  } else {
    err[1] = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (err[1] < 0) {
      ADD_FAILURE() << "open " << stderr_file << ": " << std::strerror(errno);
      close_fd(out[0]);
      close_fd(out[1]);
      return;
    }
  }
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(devnull, STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::execve(path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  close_fd(out[1]);
  close_fd(err[1]);
  int dn = devnull;
  close_fd(dn);
  out_fd_ = out[0];
  err_fd_ = err[0];
  if (pid_ < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    close_fd(out_fd_);
    close_fd(err_fd_);
    return;
  }
  pid_fd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pid_fd_ < 0) ADD_FAILURE() << "pidfd_open: " << std::strerror(errno);
}

Process::~Process() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
  close_fd(out_fd_);
  close_fd(err_fd_);
  close_fd(pid_fd_);
}

void Process::signal(int sig) {
  // Not yet reaped: the pid is still ours even if the process has exited.
  if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
}

bool Process::running() {
  if (pid_ <= 0 || reaped_) return false;
  pollfd p{pid_fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

bool Process::pump(Clock::time_point deadline) {
  const auto now = Clock::now();
  if (now >= deadline) return false;
  const bool watch_exit = pid_ > 0 && !reaped_;
  pollfd fds[3] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}, {watch_exit ? pid_fd_ : -1, POLLIN, 0}};
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
  const int n = ::poll(fds, 3, static_cast<int>(left));
  if (n < 0 && errno != EINTR) {
    ADD_FAILURE() << "poll: " << std::strerror(errno);
    return false;
  }
  char buf[4096];
  int* fd_of[2] = {&out_fd_, &err_fd_};
  std::string* sink[2] = {&out_, &err_};
  for (int i = 0; i < 2; ++i) {
    if (*fd_of[i] < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    const ssize_t r = ::read(*fd_of[i], buf, sizeof buf);
    if (r > 0) {
      sink[i]->append(buf, static_cast<std::size_t>(r));
    } else if (r == 0 || errno != EINTR) {
      close_fd(*fd_of[i]);
    }
  }
  if (watch_exit && (fds[2].revents & POLLIN) != 0) {
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  }
  return true;
}

std::string Process::read_line(Clock::time_point deadline) {
  for (;;) {
    if (const auto nl = out_.find('\n', out_scanned_); nl != std::string::npos) {
      std::string line = out_.substr(out_scanned_, nl - out_scanned_);
      out_scanned_ = nl + 1;
      return line;
    }
    if (out_fd_ < 0 || !pump(deadline)) return "";
  }
}

std::string Process::read_line_starting_with(std::string_view prefix, Clock::time_point deadline) {
  for (;;) {
    for (auto nl = out_.find('\n', out_scanned_); nl != std::string::npos; nl = out_.find('\n', out_scanned_)) {
      std::string line = out_.substr(out_scanned_, nl - out_scanned_);
      out_scanned_ = nl + 1;
      if (line.starts_with(prefix)) return line;
    }
    if (out_fd_ < 0 || !pump(deadline)) return "";
  }
}

int Process::wait_exit(Clock::time_point deadline) {
  if (pid_ <= 0) return -1;
  while (!reaped_ || out_fd_ >= 0 || err_fd_ >= 0) {
    if (!pump(deadline)) {
      if (!reaped_) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status_, 0);
        reaped_ = true;
      }
      return -1;
    }
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

RunResult run_process(const std::string& path, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env, double timeout_s) {
  Process p(path, args, env);
  RunResult r;
  r.exit = p.wait_exit(in_secs(timeout_s));
  r.out = p.out();
  r.err = p.err();
  return r;
}

std::map<std::string, std::string> clean_environment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos || kv.starts_with("KETTLE_")) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}

}  // namespace kettle::test
