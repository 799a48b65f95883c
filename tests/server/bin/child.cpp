#include "child.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace kettle::test {

namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

Child::Child(const std::string& path, const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
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
  const int rc = posix_spawn(&pid_, path.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  ::close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << path << ": " << std::strerror(rc);
    pid_ = -1;
    close_fd(out_fd_);
    close_fd(err_fd_);
    return;
  }
  pid_fd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pid_fd_ < 0) ADD_FAILURE() << "pidfd_open: " << std::strerror(errno);
}

Child::~Child() {
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  close_fd(out_fd_);
  close_fd(err_fd_);
  close_fd(pid_fd_);
}

void Child::signal(int sig) {
  if (pid_ > 0 && !exited_) ::kill(pid_, sig);
}

bool Child::pump(Clock::time_point deadline) {
  const auto now = Clock::now();
  if (now >= deadline) return false;
  pollfd fds[3] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}, {exited_ ? -1 : pid_fd_, POLLIN, 0}};
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
  if (!exited_ && (fds[2].revents & POLLIN) != 0) {
    if (waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
  }
  return true;
}

std::string Child::wait_for_line(const std::string& prefix, Clock::time_point deadline) {
  while (true) {
    std::size_t nl;
    while ((nl = out_.find('\n', out_scanned_)) != std::string::npos) {
      std::string line = out_.substr(out_scanned_, nl - out_scanned_);
      out_scanned_ = nl + 1;
      if (line.starts_with(prefix)) return line;
    }
    if (out_fd_ < 0 || !pump(deadline)) return "";
  }
}

int Child::wait_exit(Clock::time_point deadline) {
  if (pid_ <= 0) return -1;
  while (!exited_ || out_fd_ >= 0 || err_fd_ >= 0) {
    if (!pump(deadline)) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status_, 0);
      exited_ = true;
      return -1;
    }
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

std::map<std::string, std::string> clean_environment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos || kv.starts_with("KETTLE_")) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}

}  // namespace kettle::test
