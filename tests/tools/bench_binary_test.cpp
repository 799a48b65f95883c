// The kettle-bench executable's argument handling as a process (no benchmark is run).
#include <gtest/gtest.h>

#include "bench/child.hpp"

namespace kettle::bench {
namespace {

ExitInfo run(const std::vector<std::string>& args, std::string* first_line = nullptr) {
  auto c = ChildProcess::spawn(KETTLE_BENCH_PATH, args);
  EXPECT_TRUE(c.ok());
  const Instant deadline = monotonic_now() + secs(30);
  if (first_line != nullptr) {
    auto line = c->read_line(deadline);
    if (line) *first_line = *line;
  }
  auto exit = c->wait(deadline);
  EXPECT_TRUE(exit.ok());
  return exit.ok() ? *exit : ExitInfo{};
}

TEST(KettleBenchBinary, BadFlagsExitTwo) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--scenario", "nope"}, {"--loss", "-3"}, {"--no-such-flag"}, {"--vs", "tcp"}}) {
    EXPECT_EQ(run(args).describe(), "exit 2") << args[0];
  }
}

TEST(KettleBenchBinary, HelpExitsZeroOnStdout) {
  std::string first;
  EXPECT_EQ(run({"--help"}, &first).describe(), "exit 0");
  EXPECT_NE(first.find("kettle-bench"), std::string::npos);
}

}  // namespace
}  // namespace kettle::bench
