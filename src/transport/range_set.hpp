// A set of disjoint half-open ranges [lo, hi) of u64, kept sorted in a vector.
// Used for received packet numbers (ACK ranges), acked/lost stream bytes on the
// sender and out-of-order stream bytes on the receiver. Inserts almost always
// land at or near the end, so the vector's memmove is short in practice; a hostile
// peer is bounded by the callers' caps (ranges per ACK, receive window).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kettle::transport {

struct Range {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;  // exclusive
  std::uint64_t size() const noexcept { return hi - lo; }
  friend bool operator==(const Range&, const Range&) = default;
};

class RangeSet {
 public:
  bool empty() const noexcept { return v_.empty(); }
  std::size_t count() const noexcept { return v_.size(); }
  const Range& operator[](std::size_t i) const noexcept { return v_[i]; }
  const Range& front() const noexcept { return v_.front(); }
  const Range& back() const noexcept { return v_.back(); }
  const std::vector<Range>& ranges() const noexcept { return v_; }

  // Adds [lo, hi), merging neighbours. Returns the number of values newly covered.
  std::uint64_t insert(std::uint64_t lo, std::uint64_t hi);
  // Removes [lo, hi).
  void erase(std::uint64_t lo, std::uint64_t hi);
  // Removes everything below `v`.
  void erase_below(std::uint64_t v) { erase(0, v); }
  void pop_front() { v_.erase(v_.begin()); }
  bool contains(std::uint64_t v) const noexcept;
  // Calls f(lo, hi) for each maximal sub-range of [lo, hi) NOT in the set, in order.
  template <class F>
  void for_each_gap(std::uint64_t lo, std::uint64_t hi, F&& f) const {
    std::size_t i = first_ending_after(lo);
    std::uint64_t cur = lo;
    for (; i < v_.size() && v_[i].lo < hi && cur < hi; ++i) {
      if (v_[i].lo > cur) f(cur, v_[i].lo);
      if (v_[i].hi > cur) cur = v_[i].hi;
    }
    if (cur < hi) f(cur, hi);
  }
  void clear() noexcept { v_.clear(); }

 private:
  // Index of the first range with hi > v (binary search).
  std::size_t first_ending_after(std::uint64_t v) const noexcept;
  std::vector<Range> v_;
};

}  // namespace kettle::transport
