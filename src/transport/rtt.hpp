// RTT estimation exactly as RFC 9002 §5: min_rtt over the connection, smoothed
// RTT and variance as EWMAs (1/8, 1/4), the peer's ack delay subtracted when
// that does not take the sample below min_rtt.
#pragma once

#include <algorithm>

#include "core/time.hpp"

namespace kettle::transport {

class RttEstimator {
 public:
  static constexpr Duration kInitialRtt = ms(100);  // before any sample (RFC 9002 says 333 ms; games are closer)
  static constexpr Duration kGranularity = ms(1);

  void on_sample(Duration latest, Duration ack_delay) noexcept {
    if (latest <= Duration{0}) latest = us(1);
    latest_ = latest;
    if (!has_sample_) {
      min_ = smoothed_ = latest;
      var_ = latest / 2;
      has_sample_ = true;
      return;
    }
    min_ = std::min(min_, latest);
    Duration adjusted = latest;
    if (latest >= min_ + ack_delay) adjusted = latest - ack_delay;
    const Duration diff = smoothed_ > adjusted ? smoothed_ - adjusted : adjusted - smoothed_;
    var_ = (var_ * 3 + diff) / 4;
    smoothed_ = (smoothed_ * 7 + adjusted) / 8;
  }

  bool has_sample() const noexcept { return has_sample_; }
  Duration latest() const noexcept { return has_sample_ ? latest_ : kInitialRtt; }
  Duration smoothed() const noexcept { return has_sample_ ? smoothed_ : kInitialRtt; }
  Duration variance() const noexcept { return has_sample_ ? var_ : kInitialRtt / 2; }
  Duration min() const noexcept { return has_sample_ ? min_ : kInitialRtt; }
  // Probe timeout before backoff (RFC 9002 §6.2.1).
  Duration pto(Duration peer_max_ack_delay) const noexcept {
    return smoothed() + std::max(variance() * 4, kGranularity) + peer_max_ack_delay;
  }

 private:
  Duration latest_{0}, smoothed_{0}, var_{0}, min_{0};
  bool has_sample_ = false;
};

}  // namespace kettle::transport
