#include "bench/child.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace kettle::bench {
namespace {

TEST(ChildProcess, ReadsLinesAndReportsExitStatusAndRusage) {
  auto c = ChildProcess::spawn("/bin/sh", {"-c", "echo first; echo second; exit 3"});
  ASSERT_TRUE(c) << c.error().to_string();
  const Instant deadline = monotonic_now() + secs(30);
  auto a = c->read_line(deadline);
  auto b = c->read_line(deadline);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, "first");
  EXPECT_EQ(*b, "second");
  EXPECT_EQ(c->read_line(deadline).code(), Errc::closed);
  auto exit = c->wait(deadline);
  ASSERT_TRUE(exit) << exit.error().to_string();
  EXPECT_FALSE(exit->exited_ok());
  EXPECT_EQ(exit->describe(), "exit 3");
  EXPECT_GT(exit->max_rss_kb, 0);
}

TEST(ChildProcess, DeadlinesKillAHungChild) {
  auto c = ChildProcess::spawn("/bin/sh", {"-c", "exec sleep 600"});
  ASSERT_TRUE(c);
  // A deadline already in the past: read_line and wait must give up, not block for 600 s.
  EXPECT_EQ(c->read_line(monotonic_now()).code(), Errc::timed_out);
  EXPECT_EQ(c->wait(monotonic_now()).code(), Errc::timed_out);
}

// The godot-rtt scenario configures each Godot instance (and through it its agent) this way.
TEST(ChildProcess, ExtraEnvironmentIsAddedAndReplacesVariablesOfTheSameName) {
  ASSERT_EQ(::setenv("KETTLE_CHILD_TEST_KEEP", "kept", 1), 0);
  ASSERT_EQ(::setenv("KETTLE_CHILD_TEST_SWAP", "old", 1), 0);
  auto c = ChildProcess::spawn(
      "/bin/sh",
      {"-c",
       "echo \"$KETTLE_CHILD_TEST_KEEP $KETTLE_CHILD_TEST_SWAP $KETTLE_CHILD_TEST_NEW\"; env | grep -c "
       "'^KETTLE_CHILD_TEST_SWAP='"},
      false, {"KETTLE_CHILD_TEST_SWAP=new", "KETTLE_CHILD_TEST_NEW=added"});
  ASSERT_TRUE(c) << c.error().to_string();
  const Instant deadline = monotonic_now() + secs(30);
  auto values = c->read_line(deadline);
  auto count = c->read_line(deadline);
  ASSERT_TRUE(values && count);
  EXPECT_EQ(*values, "kept new added");
  EXPECT_EQ(*count, "1") << "the replaced variable appears once";
  auto exit = c->wait(deadline);
  ASSERT_TRUE(exit);
  EXPECT_TRUE(exit->exited_ok());
  ::unsetenv("KETTLE_CHILD_TEST_KEEP");
  ::unsetenv("KETTLE_CHILD_TEST_SWAP");
}

TEST(ChildProcess, MissingBinaryExitsWith127) {
  auto c = ChildProcess::spawn("/nonexistent/kettle-nothing", {});
  ASSERT_TRUE(c);
  auto exit = c->wait(monotonic_now() + secs(30));
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->describe(), "exit 127");
}

TEST(ChildProcess, StdinPipeCarriesLinesToTheChild) {
  // The child echoes what it reads, upper-cased, so the answer proves the line went through.
  auto c = ChildProcess::spawn("/bin/sh", {"-c", "read a; echo \"got $a\" | tr a-z A-Z; read b; echo \"$b\""},
                               /*stdin_pipe=*/true);
  ASSERT_TRUE(c) << c.error().to_string();
  const Instant deadline = monotonic_now() + secs(30);
  ASSERT_TRUE(c->write_line("peer 42"));
  auto a = c->read_line(deadline);
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(*a, "GOT PEER 42");
  ASSERT_TRUE(c->write_line("second"));
  auto b = c->read_line(deadline);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, "second");
  auto cpu = c->cpu_seconds_so_far();  // may have exited already (zombie): still readable until reaped
  ASSERT_TRUE(cpu) << cpu.error().to_string();
  EXPECT_GE(*cpu, 0.0);
  auto exit = c->wait(deadline);
  ASSERT_TRUE(exit);
  EXPECT_TRUE(exit->exited_ok());
  // After the child is gone, a write fails with an error instead of killing us with SIGPIPE.
  EXPECT_FALSE(c->write_line("nobody reads this"));
  EXPECT_EQ(c->cpu_seconds_so_far().code(), Errc::invalid_argument);
}

TEST(ChildProcess, WriteLineNeedsAStdinPipe) {
  auto c = ChildProcess::spawn("/bin/sh", {"-c", "exit 0"});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->write_line("x").code(), Errc::invalid_argument);
  EXPECT_TRUE(c->wait(monotonic_now() + secs(30)));
}

}  // namespace
}  // namespace kettle::bench
