// Token-bucket pacer (docs/protocol.md §8.3). Tokens refill at the congestion
// controller's pacing rate up to a burst of clamp(rate × 1 ms, 2 datagrams, 1 MiB):
// never more than 1 ms of data at once, which on a WAN is a few packets (queues stay
// short) and on loopback or a LAN is large enough that timer wake-up latency, not
// the link, would otherwise cap the rate. A sender waiting for tokens wakes when a
// quantum of min(burst, 32 datagrams) is available, so fast links are paced in
// GSO-sized batches rather than one syscall per packet.
#pragma once

#include <algorithm>
#include <cstddef>

#include "core/time.hpp"

namespace kettle::transport {

class Pacer {
 public:
  static constexpr double kMaxBurstBytes = 1024 * 1024;
  static constexpr std::size_t kQuantumDatagrams = 32;

  void refill(Instant now, double rate_bytes_per_s, std::size_t datagram_size) noexcept {
    burst_ = std::clamp(rate_bytes_per_s * 1e-3, 2.0 * static_cast<double>(datagram_size), kMaxBurstBytes);
    if (!started_) {
      tokens_ = burst_;
      last_ = now;
      started_ = true;
    }
    if (now > last_) {
      tokens_ = std::min(burst_, tokens_ + rate_bytes_per_s * 1e-6 * static_cast<double>(to_us(now - last_)));
      last_ = now;
    }
    rate_ = rate_bytes_per_s;
  }
  bool can_send(std::size_t bytes) const noexcept { return tokens_ >= static_cast<double>(bytes); }
  void on_sent(std::size_t bytes) noexcept { tokens_ -= static_cast<double>(bytes); }
  // Bytes worth waking up for: one GSO-sized batch, or the whole burst if smaller.
  std::size_t quantum(std::size_t datagram_size) const noexcept {
    return static_cast<std::size_t>(std::max(static_cast<double>(datagram_size),
                                             std::min(burst_, static_cast<double>(kQuantumDatagrams * datagram_size))));
  }
  // When `bytes` worth of tokens will be available (after the last refill).
  Instant next_send_time(std::size_t bytes) const noexcept {
    const double need = static_cast<double>(bytes) - tokens_;
    if (need <= 0 || rate_ <= 0) return last_;
    return last_ + us(static_cast<std::int64_t>(need / rate_ * 1e6) + 1);
  }

 private:
  double tokens_ = 0;
  double burst_ = 0;
  double rate_ = 0;
  Instant last_{};
  bool started_ = false;
};

}  // namespace kettle::transport
