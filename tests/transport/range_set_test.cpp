// RangeSet against a bitmap model under random insert/erase sequences.
#include "transport/range_set.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/rng.hpp"

namespace kettle::transport {
namespace {

void check_against(const RangeSet& s, const std::vector<bool>& model, std::uint64_t seed) {
  std::vector<bool> got(model.size(), false);
  std::uint64_t prev_hi = 0;
  for (std::size_t i = 0; i < s.count(); ++i) {
    const Range& r = s[i];
    ASSERT_LT(r.lo, r.hi) << "seed " << seed;
    if (i > 0) {
      ASSERT_GT(r.lo, prev_hi) << "ranges must be disjoint and non-adjacent, seed " << seed;
    }
    prev_hi = r.hi;
    for (auto v = r.lo; v < r.hi; ++v) {
      got[v] = true;
    }
  }
  ASSERT_EQ(got, model) << "seed " << seed;
}

TEST(RangeSet, RandomOperationsMatchModel) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    Rng rng(seed);
    RangeSet s;
    std::vector<bool> model(300, false);
    for (int op = 0; op < 300; ++op) {
      const std::uint64_t lo = rng.below(290), hi = lo + 1 + rng.below(10);
      if (rng.below(4) == 0) {
        s.erase(lo, hi);
        for (auto v = lo; v < hi; ++v) model[v] = false;
      } else {
        std::uint64_t fresh = 0;
        for (auto v = lo; v < hi; ++v) fresh += !model[v];
        EXPECT_EQ(s.insert(lo, hi), fresh) << "seed " << seed;
        for (auto v = lo; v < hi; ++v) model[v] = true;
      }
      check_against(s, model, seed);
      const std::uint64_t probe = rng.below(300);
      EXPECT_EQ(s.contains(probe), model[probe]) << "seed " << seed;
    }
    // Gaps are exactly the complement.
    std::vector<bool> gaps(model.size(), false);
    s.for_each_gap(10, 250, [&](std::uint64_t a, std::uint64_t b) {
      for (auto v = a; v < b; ++v) gaps[v] = true;
    });
    for (std::uint64_t v = 10; v < 250; ++v) EXPECT_EQ(gaps[v], !model[v]) << "seed " << seed << " v " << v;
  }
}

}  // namespace
}  // namespace kettle::transport
