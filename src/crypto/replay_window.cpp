#include "crypto/replay_window.hpp"

#include <algorithm>

namespace kettle::crypto {

static_assert(ReplayWindow::kSize % 64 == 0, "the bitmap is whole 64-bit words");

// Bit pn % kSize stands for packet `pn`; within [largest - kSize + 1, largest]
// that mapping is unique, and bits for numbers ahead of `largest` are cleared as
// the window slides over them.

bool ReplayWindow::is_fresh(std::uint64_t pn) const noexcept {
  if (!any_ || pn > largest_) return true;
  if (largest_ - pn >= kSize) return false;  // too old to tell: treat as a replay
  const std::uint64_t i = pn % kSize;
  return (bits_[i / 64] & (std::uint64_t{1} << (i % 64))) == 0;
}

void ReplayWindow::mark(std::uint64_t pn) noexcept {
  if (!any_) {
    bits_.fill(0);
    any_ = true;
    largest_ = pn;
  } else if (pn > largest_) {
    const std::uint64_t gap = pn - largest_;
    if (gap >= kSize) {
      bits_.fill(0);
    } else {
      // Clear the slots of largest+1 .. pn, a word at a time where possible.
      std::uint64_t from = largest_ + 1;
      std::uint64_t n = gap;
      while (n > 0) {
        const std::uint64_t i = from % kSize;
        const std::uint64_t bit = i % 64;
        const std::uint64_t take = std::min<std::uint64_t>(64 - bit, n);
        const std::uint64_t mask = take == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << take) - 1) << bit;
        bits_[i / 64] &= ~mask;
        from += take;
        n -= take;
      }
    }
    largest_ = pn;
  } else if (largest_ - pn >= kSize) {
    return;  // violates the precondition; marking would alias a newer packet's bit
  }
  const std::uint64_t i = pn % kSize;
  bits_[i / 64] |= std::uint64_t{1} << (i % 64);
}

}  // namespace kettle::crypto
