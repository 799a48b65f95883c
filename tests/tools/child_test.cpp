#include "bench/child.hpp"

#include <gtest/gtest.h>

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

TEST(ChildProcess, MissingBinaryExitsWith127) {
  auto c = ChildProcess::spawn("/nonexistent/kettle-nothing", {});
  ASSERT_TRUE(c);
  auto exit = c->wait(monotonic_now() + secs(30));
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->describe(), "exit 127");
}

}  // namespace
}  // namespace kettle::bench
