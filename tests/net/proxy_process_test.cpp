// kettle-proxy as a process: the first stdout line carries the bound port, traffic flows, and
// SIGTERM ends it with exit code 0 and a one-line stats summary.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "net_test_util.hpp"

extern char** environ;

namespace kettle::net {
namespace {

struct Child {
  pid_t pid = -1;
  int out = -1;  // read end of the child's stdout
  std::string buffered;

  // Reads one line, waiting on the pipe (the limit is an upper bound for a failing test).
  bool read_line(std::string& line) {
    for (;;) {
      if (auto nl = buffered.find('\n'); nl != std::string::npos) {
        line = buffered.substr(0, nl);
        buffered.erase(0, nl + 1);
        return true;
      }
      pollfd p{out, POLLIN, 0};
      if (::poll(&p, 1, test::kWaitLimitMs) != 1) return false;
      char buf[512];
      const ssize_t n = ::read(out, buf, sizeof buf);
      if (n <= 0) return false;
      buffered.append(buf, static_cast<std::size_t>(n));
    }
  }
};

Child spawn(const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Child c;
  if (posix_spawn(&c.pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) c.pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  c.out = fds[0];
  return c;
}

TEST(KettleProxyProcess, PrintsPortForwardsAndExitsCleanlyOnSigterm) {
  auto server = test::bind_loopback();
  auto client = test::bind_loopback();
  Child px = spawn({KETTLE_PROXY_PATH, "--listen", "127.0.0.1:0", "--upstream", server.local_address().to_string(),
                    "--up", "latency=2ms", "--down", "latency=2ms", "--seed", "7"});
  ASSERT_GT(px.pid, 0);
  std::string line;
  ASSERT_TRUE(px.read_line(line));
  ASSERT_EQ(line.rfind("listening ", 0), 0u) << line;
  auto addr = Address::parse(line.substr(10));
  ASSERT_TRUE(addr.ok()) << line;
  EXPECT_NE(addr->port, 0);

  ASSERT_TRUE(client.send_to(as_bytes("ping"), *addr).ok());
  auto at_server = test::receive(server, 1);
  ASSERT_EQ(at_server.size(), 1u);
  ASSERT_TRUE(server.send_to(as_bytes("pong"), at_server[0].from).ok());
  auto at_client = test::receive(client, 1);
  ASSERT_EQ(at_client.size(), 1u);
  EXPECT_EQ(std::string(at_client[0].data.begin(), at_client[0].data.end()), "pong");
  EXPECT_EQ(at_client[0].from, *addr);

  ASSERT_EQ(::kill(px.pid, SIGTERM), 0);
  ASSERT_TRUE(px.read_line(line));
  EXPECT_NE(line.find("up: passed=1 "), std::string::npos) << line;
  EXPECT_NE(line.find("down: passed=1 "), std::string::npos) << line;
  int status = 0;
  ASSERT_EQ(::waitpid(px.pid, &status, 0), px.pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ::close(px.out);
}

TEST(KettleProxyProcess, BadSpecExitsWithUsageError) {
  Child px = spawn({KETTLE_PROXY_PATH, "--upstream", "127.0.0.1:9", "--up", "loss=200%"});
  ASSERT_GT(px.pid, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(px.pid, &status, 0), px.pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  ::close(px.out);
}

}  // namespace
}  // namespace kettle::net
