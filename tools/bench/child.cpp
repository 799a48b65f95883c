#include "bench/child.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace kettle::bench {
namespace {

Error errno_error(const char* what) { return make_error(Errc::io, fmt::format("{}: {}", what, std::strerror(errno))); }

int poll_timeout_ms(Instant deadline) {
  const auto left = deadline - monotonic_now();
  if (left <= Duration::zero()) return 0;
  return static_cast<int>(std::min<std::int64_t>(to_us(left) / 1000 + 1, 60'000));
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

bool ExitInfo::exited_ok() const noexcept { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

std::string ExitInfo::describe() const {
  if (WIFEXITED(status)) return fmt::format("exit {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return fmt::format("wait status {}", status);
}

Result<ChildProcess> ChildProcess::spawn(const std::string& path, const std::vector<std::string>& args, bool stdin_pipe,
                                         const std::vector<std::string>& extra_env) {
  // Everything the child touches is built before fork: only async-signal-safe calls after it.
  std::vector<std::string> storage;
  storage.reserve(args.size() + 1);
  storage.push_back(path);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage(extra_env);
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view var(*e);
    const auto name = var.substr(0, var.find('=') + 1);
    const bool replaced = std::any_of(extra_env.begin(), extra_env.end(),
                                      [&](const std::string& x) { return std::string_view(x).starts_with(name); });
    if (!replaced) env_storage.emplace_back(var);
  }
  std::vector<char*> envp;
  for (auto& s : env_storage) envp.push_back(s.data());
  envp.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return errno_error("pipe2");
  // in_fds[0] becomes the child's stdin: /dev/null, or the read end of a pipe we write to.
  int in_fds[2] = {-1, -1};
  if (stdin_pipe) {
    if (::pipe2(in_fds, O_CLOEXEC) != 0) {
      const Error e = errno_error("pipe2");
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
      return e;
    }
  } else {
    in_fds[0] = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  if (in_fds[0] < 0) {
    const Error e = errno_error("open /dev/null");
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return e;
  }
  const int devnull = in_fds[0];
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    const Error e = errno_error("fork");
    ::close(pipe_fds[1]);
    ::close(devnull);
    if (in_fds[1] >= 0) ::close(in_fds[1]);
    ::close(pipe_fds[0]);
    return e;
  }
  if (pid == 0) {
    // Die with the parent: an interrupted benchmark must not leave endpoints running.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(devnull, STDIN_FILENO);
    ::execve(path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  ::close(devnull);
  const int pid_fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pid_fd < 0) {
    const Error e = errno_error("pidfd_open");
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ::close(pipe_fds[0]);
    if (in_fds[1] >= 0) ::close(in_fds[1]);
    return e;
  }
  return ChildProcess(pid, pipe_fds[0], pid_fd, in_fds[1]);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      out_fd_(std::exchange(other.out_fd_, -1)),
      pid_fd_(std::exchange(other.pid_fd_, -1)),
      in_fd_(std::exchange(other.in_fd_, -1)),
      buffered_(std::move(other.buffered_)),
      reaped_(std::exchange(other.reaped_, true)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    out_fd_ = std::exchange(other.out_fd_, -1);
    pid_fd_ = std::exchange(other.pid_fd_, -1);
    in_fd_ = std::exchange(other.in_fd_, -1);
    buffered_ = std::move(other.buffered_);
    reaped_ = std::exchange(other.reaped_, true);
  }
  return *this;
}

ChildProcess::~ChildProcess() { release(); }

void ChildProcess::release() noexcept {
  if (pid_ > 0 && !reaped_) {
    kill();
    ::waitpid(pid_, nullptr, 0);
    reaped_ = true;
  }
  close_fd(out_fd_);
  close_fd(pid_fd_);
  close_fd(in_fd_);
}

void ChildProcess::kill() noexcept {
  if (pid_ <= 0 || reaped_) return;
  // pidfd_send_signal cannot hit a recycled pid; the child is ours until we reap it anyway.
  ::syscall(SYS_pidfd_send_signal, pid_fd_, SIGKILL, nullptr, 0);
}

Result<std::string> ChildProcess::read_line(Instant deadline) {
  for (;;) {
    if (const auto nl = buffered_.find('\n'); nl != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      return line;
    }
    if (out_fd_ < 0) return make_error(Errc::closed, "child stdout closed");
    pollfd p{out_fd_, POLLIN, 0};
    const int n = ::poll(&p, 1, poll_timeout_ms(deadline));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("poll");
    }
    if (n == 0) {
      if (monotonic_now() >= deadline) return make_error(Errc::timed_out, "no output from the child in time");
      continue;
    }
    char buf[4096];
    const ssize_t got = ::read(out_fd_, buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return errno_error("read");
    }
    if (got == 0) {
      close_fd(out_fd_);
      return make_error(Errc::closed, "child exited without printing the expected line");
    }
    buffered_.append(buf, static_cast<std::size_t>(got));
  }
}

Status ChildProcess::write_line(std::string_view line) {
  if (in_fd_ < 0) return make_error(Errc::invalid_argument, "the child's stdin is not a pipe");
  std::string data(line);
  data.push_back('\n');
  // A child that already exited must give EPIPE, not kill us with SIGPIPE: block it for the
  // write and discard the one it raised (the usual pattern for a library that cannot own the
  // process's signal dispositions).
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  std::size_t done = 0;
  int write_errno = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(in_fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      write_errno = errno;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (write_errno == EPIPE) {
    const timespec zero{};
    while (::sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  if (write_errno != 0) {
    errno = write_errno;
    return errno_error("write to child stdin");
  }
  return {};
}

Result<double> ChildProcess::cpu_seconds_so_far() const {
  if (pid_ <= 0 || reaped_) return make_error(Errc::invalid_argument, "no running child");
  const std::string path = fmt::format("/proc/{}/stat", pid_);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open /proc/PID/stat");
  char buf[1024];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return errno_error("read /proc/PID/stat");
  buf[n] = '\0';
  // Fields after the command name (which may contain spaces) start after the last ')':
  // state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15).
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return make_error(Errc::malformed, "unexpected /proc/PID/stat");
  unsigned long long utime = 0, stime = 0;
  if (std::sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
    return make_error(Errc::malformed, "unexpected /proc/PID/stat");
  const long hz = ::sysconf(_SC_CLK_TCK);
  return static_cast<double>(utime + stime) / static_cast<double>(hz > 0 ? hz : 100);
}

Result<ExitInfo> ChildProcess::wait(Instant deadline) {
  if (reaped_) return make_error(Errc::invalid_argument, "child already reaped");
  bool timed_out = false;
  for (;;) {
    pollfd p{pid_fd_, POLLIN, 0};
    const int n = ::poll(&p, 1, poll_timeout_ms(deadline));
    if (n < 0 && errno != EINTR) return errno_error("poll pidfd");
    if (n > 0) break;
    if (n == 0 && monotonic_now() >= deadline) {
      kill();  // then reap below; the timeout is reported
      timed_out = true;
      break;
    }
  }
  int status = 0;
  rusage ru{};
  pid_t r;
  do {
    r = ::wait4(pid_, &status, 0, &ru);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return errno_error("wait4");
  reaped_ = true;
  if (timed_out) return make_error(Errc::timed_out, "child did not exit in time and was killed");
  ExitInfo info;
  info.status = status;
  info.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  info.max_rss_kb = ru.ru_maxrss;  // Linux reports KiB
  return info;
}

Result<std::string> self_exe_path() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return errno_error("readlink /proc/self/exe");
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace kettle::bench
