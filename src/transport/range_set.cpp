#include "transport/range_set.hpp"

#include <algorithm>

namespace kettle::transport {

std::size_t RangeSet::first_ending_after(std::uint64_t v) const noexcept {
  // Fast path: appends and lookups near the end dominate.
  if (v_.empty() || v_.back().hi <= v) return v_.size();
  auto it = std::upper_bound(v_.begin(), v_.end(), v, [](std::uint64_t x, const Range& r) { return x < r.hi; });
  return static_cast<std::size_t>(it - v_.begin());
}

std::uint64_t RangeSet::insert(std::uint64_t lo, std::uint64_t hi) {
  if (lo >= hi) return 0;
  if (v_.empty() || v_.back().hi < lo) {  // append (the common case)
    v_.push_back({lo, hi});
    return hi - lo;
  }
  // Find the first range that touches or follows [lo, hi): hi >= lo.
  auto first = std::lower_bound(v_.begin(), v_.end(), lo, [](const Range& r, std::uint64_t x) { return r.hi < x; });
  auto last = first;
  std::uint64_t covered = 0;
  std::uint64_t nlo = lo, nhi = hi;
  while (last != v_.end() && last->lo <= hi) {
    const std::uint64_t olo = std::max(last->lo, lo), ohi = std::min(last->hi, hi);
    if (ohi > olo) covered += ohi - olo;
    nlo = std::min(nlo, last->lo);
    nhi = std::max(nhi, last->hi);
    ++last;
  }
  if (first == last) {
    v_.insert(first, Range{lo, hi});
    return hi - lo;
  }
  *first = Range{nlo, nhi};
  v_.erase(first + 1, last);
  return (hi - lo) - covered;
}

void RangeSet::erase(std::uint64_t lo, std::uint64_t hi) {
  if (lo >= hi || v_.empty()) return;
  std::size_t i = first_ending_after(lo);
  while (i < v_.size() && v_[i].lo < hi) {
    Range& r = v_[i];
    if (r.lo < lo && r.hi > hi) {  // split
      const Range tail{hi, r.hi};
      r.hi = lo;
      v_.insert(v_.begin() + static_cast<std::ptrdiff_t>(i) + 1, tail);
      return;
    }
    if (r.lo < lo) {
      r.hi = lo;
      ++i;
    } else if (r.hi > hi) {
      r.lo = hi;
      return;
    } else {
      v_.erase(v_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
}

bool RangeSet::contains(std::uint64_t v) const noexcept {
  const std::size_t i = first_ending_after(v);
  return i < v_.size() && v_[i].lo <= v;
}

}  // namespace kettle::transport
