#include "bench/child.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
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

Result<ChildProcess> ChildProcess::spawn(const std::string& path, const std::vector<std::string>& args) {
  // Everything the child touches is built before fork: only async-signal-safe calls after it.
  std::vector<std::string> storage;
  storage.reserve(args.size() + 1);
  storage.push_back(path);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return errno_error("pipe2");
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return errno_error("open /dev/null");
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    ::close(devnull);
    return errno_error("fork");
  }
  if (pid == 0) {
    // Die with the parent: an interrupted benchmark must not leave endpoints running.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(devnull, STDIN_FILENO);
    ::execv(path.c_str(), argv.data());
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
    return e;
  }
  return ChildProcess(pid, pipe_fds[0], pid_fd);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      out_fd_(std::exchange(other.out_fd_, -1)),
      pid_fd_(std::exchange(other.pid_fd_, -1)),
      buffered_(std::move(other.buffered_)),
      reaped_(std::exchange(other.reaped_, true)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    out_fd_ = std::exchange(other.out_fd_, -1);
    pid_fd_ = std::exchange(other.pid_fd_, -1);
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
