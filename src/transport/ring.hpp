// A growable FIFO ring over a power-of-two vector. Slots are reused, never
// destroyed on pop, so element-owned buffers (e.g. a Message's vector) keep their
// capacity and the steady state allocates nothing. O(1) push/pop/index.
#pragma once

#include <cassert>
#include <cstddef>
#include <utility>
#include <vector>

namespace kettle::transport {

template <class T>
class Ring {
 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  T& front() noexcept { return slots_[head_]; }
  const T& front() const noexcept { return slots_[head_]; }
  T& back() noexcept { return slots_[(head_ + size_ - 1) & mask()]; }
  T& operator[](std::size_t i) noexcept { return slots_[(head_ + i) & mask()]; }
  const T& operator[](std::size_t i) const noexcept { return slots_[(head_ + i) & mask()]; }

  // Returns the (reused) slot at the back; the caller overwrites every field it uses.
  T& push_back() {
    if (size_ == slots_.size()) grow();
    ++size_;
    return back();
  }
  void pop_front() noexcept {
    assert(size_ > 0);
    head_ = (head_ + 1) & mask();
    --size_;
  }
  void clear() noexcept {
    head_ = 0;
    size_ = 0;
  }

 private:
  std::size_t mask() const noexcept { return slots_.size() - 1; }
  void grow() {
    std::vector<T> next(slots_.empty() ? 16 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) std::swap(next[i], (*this)[i]);
    slots_.swap(next);
    head_ = 0;
  }

  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace kettle::transport
