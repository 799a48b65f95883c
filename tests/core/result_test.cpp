#include "core/result.hpp"

#include <gtest/gtest.h>

namespace kettle {
namespace {

Result<int> half(int v) {
  if (v % 2 != 0) return {Errc::invalid_argument, "odd"};
  return v / 2;
}

Result<int> quarter(int v) {
  auto h = half(v);
  KETTLE_TRY(h);
  return half(*h);
}

TEST(Result, ValueAndErrorPaths) {
  auto ok = quarter(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  auto bad = quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), Errc::invalid_argument);
  EXPECT_EQ(bad.error().to_string(), "invalid_argument: odd");
}

TEST(Result, VoidStatus) {
  Status s;
  EXPECT_TRUE(s.ok());
  Status e{Errc::too_large, "1201 > 1200"};
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.code(), Errc::too_large);
  EXPECT_EQ(errc_name(Errc::timed_out), "timed_out");
}

}  // namespace
}  // namespace kettle
