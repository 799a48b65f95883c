// Sliding replay window over 64-bit packet numbers (the netcode/IPsec scheme):
// check before decrypting (cheap reject), mark only after the AEAD tag verified,
// so forged packets can't move the window.
#pragma once

#include <array>
#include <cstdint>

namespace kettle::crypto {

class ReplayWindow {
 public:
  static constexpr std::uint64_t kSize = 4096;  // packets; ~3 ms of traffic at 1.5 M pkt/s reordering slack

  // True if `pn` was never marked and is not older than largest - kSize.
  bool is_fresh(std::uint64_t pn) const noexcept;
  // Record `pn` as received. Precondition: is_fresh(pn).
  void mark(std::uint64_t pn) noexcept;
  std::uint64_t largest() const noexcept { return largest_; }
  bool any() const noexcept { return any_; }

 private:
  std::array<std::uint64_t, kSize / 64> bits_{};
  std::uint64_t largest_ = 0;
  bool any_ = false;
};

}  // namespace kettle::crypto
