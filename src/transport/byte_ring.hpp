// Bytes addressed by absolute stream offset, stored in a power-of-two ring.
// The send stream keeps [acked base, write end) here; the receive stream keeps
// out-of-order bytes at [contiguous end, contiguous end + window). Growing
// re-maps the live window once (amortised O(1) per byte).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/bytes.hpp"

namespace kettle::transport {

class ByteRing {
 public:
  std::size_t capacity() const noexcept { return buf_.size(); }

  // Make offsets [base, base + span) addressable, keeping the bytes of [base, base + live) intact.
  void reserve(std::uint64_t base, std::size_t live, std::size_t span) {
    if (span <= buf_.size()) return;
    std::size_t cap = buf_.empty() ? 4096 : buf_.size();
    while (cap < span) cap *= 2;
    std::vector<std::uint8_t> next(cap);
    for (std::size_t done = 0; done < live;) {  // copy the old window piecewise
      const std::uint64_t off = base + done;
      const std::size_t n = contiguous(off, live - done);
      const std::size_t dst = static_cast<std::size_t>(off & (cap - 1));
      const std::size_t n2 = std::min(n, cap - dst);
      std::memcpy(next.data() + dst, ptr(off), n2);
      if (n2 < n) std::memcpy(next.data(), ptr(off) + n2, n - n2);
      done += n;
    }
    buf_.swap(next);
  }

  void write(std::uint64_t offset, Bytes data) noexcept {
    std::size_t done = 0;
    while (done < data.size()) {
      const std::size_t n = contiguous(offset + done, data.size() - done);
      std::memcpy(ptr(offset + done), data.data() + done, n);
      done += n;
    }
  }
  void read(std::uint64_t offset, std::uint8_t* out, std::size_t len) const noexcept {
    std::size_t done = 0;
    while (done < len) {
      const std::size_t n = contiguous(offset + done, len - done);
      std::memcpy(out + done, ptr(offset + done), n);
      done += n;
    }
  }
  // The longest run starting at `offset` (≤ len) that does not wrap.
  std::size_t contiguous(std::uint64_t offset, std::size_t len) const noexcept {
    const std::size_t pos = static_cast<std::size_t>(offset & (buf_.size() - 1));
    return std::min(len, buf_.size() - pos);
  }
  const std::uint8_t* ptr(std::uint64_t offset) const noexcept {
    return buf_.data() + static_cast<std::size_t>(offset & (buf_.size() - 1));
  }
  std::uint8_t* ptr(std::uint64_t offset) noexcept {
    return buf_.data() + static_cast<std::size_t>(offset & (buf_.size() - 1));
  }

 private:
  std::vector<std::uint8_t> buf_;
};

}  // namespace kettle::transport
