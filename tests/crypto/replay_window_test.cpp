#include "crypto/replay_window.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/rng.hpp"

namespace kettle::crypto {
namespace {

constexpr std::uint64_t N = ReplayWindow::kSize;

TEST(ReplayWindow, FirstPacketMayBeZero) {
  ReplayWindow w;
  EXPECT_FALSE(w.any());
  EXPECT_TRUE(w.is_fresh(0));
  w.mark(0);
  EXPECT_TRUE(w.any());
  EXPECT_FALSE(w.is_fresh(0));
  EXPECT_TRUE(w.is_fresh(1));
}

TEST(ReplayWindow, DuplicatesAndReorderingInsideTheWindow) {
  ReplayWindow w;
  w.mark(10);
  EXPECT_TRUE(w.is_fresh(5));
  w.mark(5);
  EXPECT_FALSE(w.is_fresh(5));
  EXPECT_FALSE(w.is_fresh(10));
  EXPECT_TRUE(w.is_fresh(9));
  EXPECT_EQ(w.largest(), 10u);
}

TEST(ReplayWindow, WindowEdgeBothSides) {
  ReplayWindow w;
  w.mark(N + 100);
  EXPECT_TRUE(w.is_fresh(101));   // largest - (N - 1): oldest slot still tracked
  EXPECT_FALSE(w.is_fresh(100));  // largest - N: too old
  w.mark(101);
  EXPECT_FALSE(w.is_fresh(101));
  EXPECT_FALSE(w.is_fresh(100));
}

TEST(ReplayWindow, BigJumpClearsEverything) {
  ReplayWindow w;
  for (std::uint64_t pn = 0; pn < 100; ++pn) w.mark(pn);
  const std::uint64_t far = 100 + 10 * N + 3;
  w.mark(far);
  EXPECT_EQ(w.largest(), far);
  // Slots that aliased the old packets are free again for packets inside the new window.
  for (std::uint64_t pn = far - N + 1; pn < far; pn += 97) EXPECT_TRUE(w.is_fresh(pn)) << pn;
  EXPECT_FALSE(w.is_fresh(99));
}

TEST(ReplayWindow, SlideClearsAliasedSlots) {
  ReplayWindow w;
  w.mark(0);
  w.mark(1);
  w.mark(N);                       // slot of 0
  EXPECT_FALSE(w.is_fresh(0));     // too old now
  EXPECT_TRUE(w.is_fresh(N - 1));  // never seen
  EXPECT_FALSE(w.is_fresh(1));     // still inside and seen
  w.mark(N + 1);                   // slot of 1 recycled
  EXPECT_FALSE(w.is_fresh(N + 1));
  EXPECT_TRUE(w.is_fresh(N + 2));
}

TEST(ReplayWindow, MarkingAnOldPacketIsIgnored) {
  ReplayWindow w;
  w.mark(2 * N);
  w.mark(N);  // precondition violated: must not poison slot (2N) % N shared with 2N itself or others
  EXPECT_TRUE(w.is_fresh(2 * N - 1));
  EXPECT_TRUE(w.is_fresh(2 * N + 1));
  EXPECT_FALSE(w.is_fresh(2 * N));
}

// Random operation sequences against a std::set model.
TEST(ReplayWindow, MatchesSetModel) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rng rng(seed);
    ReplayWindow w;
    std::set<std::uint64_t> seen;
    std::uint64_t largest = 0;
    std::uint64_t frontier = rng.below(3);
    for (int op = 0; op < 20000; ++op) {
      std::uint64_t pn;
      const auto kind = rng.below(10);
      if (kind < 5) {
        pn = frontier + rng.below(8);  // mostly in order
      } else if (kind < 8) {
        pn = frontier > 2 * N ? frontier - rng.below(2 * N) : rng.below(frontier + 1);  // old / reordered
      } else if (kind < 9) {
        pn = frontier + rng.below(3 * N);  // jump
      } else {
        pn = seen.empty()
                 ? 0
                 : *std::next(seen.begin(), static_cast<long>(rng.below(std::min<std::uint64_t>(seen.size(), 50))));
      }
      const bool model_fresh = !seen.count(pn) && (seen.empty() || pn + N > largest);
      ASSERT_EQ(w.is_fresh(pn), model_fresh) << "op " << op << " pn " << pn << " largest " << largest;
      if (model_fresh && rng.chance(0.9)) {  // sometimes a fresh packet fails the AEAD and is not marked
        w.mark(pn);
        seen.insert(pn);
        largest = std::max(largest, pn);
        frontier = std::max(frontier, pn + 1);
        ASSERT_EQ(w.largest(), largest);
      }
      // Keep the model small: packets this far behind are rejected by the age rule anyway.
      while (!seen.empty() && *seen.begin() + 4 * N < largest) seen.erase(seen.begin());
    }
  }
}

}  // namespace
}  // namespace kettle::crypto
