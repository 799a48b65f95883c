// Delivery-rate estimation (draft-cheng-iccrg-delivery-rate-estimation): each
// sent packet snapshots how much had been delivered and when; when it is acked,
// (delivered now − delivered then) / elapsed is the rate the path sustained.
// The sample of an ACK comes from the most recently sent packet it acknowledges.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/time.hpp"
#include "transport/congestion.hpp"

namespace kettle::transport {

struct DeliverySnapshot {
  std::uint64_t delivered = 0;
  Instant delivered_time{};
  Instant first_sent_time{};
  bool app_limited = false;
};

class DeliveryRateEstimator {
 public:
  DeliverySnapshot on_sent(Instant now, std::uint64_t bytes_in_flight_before) noexcept {
    if (bytes_in_flight_before == 0) first_sent_time_ = delivered_time_ = now;
    return {delivered_, delivered_time_, first_sent_time_, app_limited_until_ != 0};
  }
  // The sender ran out of data with window to spare: samples until these bytes
  // are delivered understate the path and must not lower the bandwidth estimate.
  void on_app_limited(std::uint64_t bytes_in_flight) noexcept {
    app_limited_until_ = std::max<std::uint64_t>(delivered_ + bytes_in_flight, 1);
  }
  void on_acked(const DeliverySnapshot& p, Instant sent_time, std::size_t bytes, Instant now) noexcept {
    delivered_ += bytes;
    delivered_time_ = now;
    if (app_limited_until_ != 0 && delivered_ > app_limited_until_) app_limited_until_ = 0;
    if (!have_ || p.delivered >= best_.delivered) {
      best_ = p;
      best_sent_ = sent_time;
      have_ = true;
      first_sent_time_ = sent_time;
    }
  }
  // Finishes the sample for one ACK frame. Intervals shorter than min_rtt are
  // discarded: they measure ack compression, not the path.
  RateSample take_sample(Duration min_rtt, std::uint64_t prior_in_flight) noexcept {
    RateSample rs;
    rs.prior_in_flight = prior_in_flight;
    if (!have_) return rs;
    have_ = false;
    rs.prior_delivered = best_.delivered;
    rs.app_limited = best_.app_limited;
    const Duration send_elapsed = best_sent_ - best_.first_sent_time;
    const Duration ack_elapsed = delivered_time_ - best_.delivered_time;
    const Duration interval = std::max(send_elapsed, ack_elapsed);
    if (interval <= Duration{0} || interval < min_rtt) return rs;
    rs.delivery_rate_bytes_per_s =
        static_cast<double>(delivered_ - best_.delivered) * 1e6 / static_cast<double>(to_us(interval));
    return rs;
  }
  std::uint64_t delivered() const noexcept { return delivered_; }

 private:
  std::uint64_t delivered_ = 0;
  Instant delivered_time_{};
  Instant first_sent_time_{};
  std::uint64_t app_limited_until_ = 0;
  bool have_ = false;
  DeliverySnapshot best_{};
  Instant best_sent_{};
};

}  // namespace kettle::transport
