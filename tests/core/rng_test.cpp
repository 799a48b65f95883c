#include "core/rng.hpp"

#include <gtest/gtest.h>

namespace kettle {
namespace {

TEST(Rng, SameSeedSameSequenceDifferentSeedDiffers) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    EXPECT_EQ(x, b.next());
    differs |= (x != c.next());
  }
  EXPECT_TRUE(differs);
}

TEST(Rng, BelowStaysInRangeAndCoversIt) {
  Rng r(1);
  int seen[10] = {};
  for (int i = 0; i < 10000; ++i) {
    const auto v = r.below(10);
    ASSERT_LT(v, 10u);
    ++seen[v];
  }
  for (int s : seen) EXPECT_GT(s, 800);  // ~1000 each
}

TEST(Rng, ChanceMatchesProbability) {
  Rng r(3);
  int hits = 0;
  for (int i = 0; i < 100000; ++i) hits += r.chance(0.2);
  EXPECT_NEAR(hits / 100000.0, 0.2, 0.01);
  EXPECT_FALSE(r.chance(0.0));
}

}  // namespace
}  // namespace kettle
