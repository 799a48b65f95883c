// Congestion control behind a small interface (docs/protocol.md §8), so the
// controller can be swapped. The connection feeds it sends, per-ACK delivery
// rate samples (delivery_rate.hpp) and losses; it answers with a window and a
// pacing rate. The only implementation is BBR-like (bbr.cpp): loss-based
// controllers collapse on random loss, which is what game links see.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/time.hpp"

namespace kettle::transport {

// One delivery-rate sample per ACK frame (draft-cheng-iccrg-delivery-rate-estimation).
struct RateSample {
  double delivery_rate_bytes_per_s = 0;  // 0: no valid sample in this ACK
  bool app_limited = false;              // the sender had nothing to send when the sampled packet left
  std::uint64_t prior_delivered = 0;     // `delivered` when the sampled packet was sent
  std::uint64_t prior_in_flight = 0;     // bytes in flight before this ACK
};

struct AckEvent {
  Instant now{};
  std::uint64_t bytes_acked = 0;      // newly acknowledged in-flight bytes
  std::uint64_t bytes_in_flight = 0;  // after removing them
  std::uint64_t delivered = 0;        // total bytes delivered so far on the connection
  Duration latest_rtt{0};             // RTT sample of this ACK (0 if none)
  RateSample rate;
};

class CongestionController {
 public:
  virtual ~CongestionController() = default;
  virtual std::string_view name() const noexcept = 0;
  // The handshake's RTT measurement, used before any ACK.
  virtual void set_initial_rtt(Duration rtt) noexcept = 0;
  virtual void on_packet_sent(Instant now, std::size_t bytes, std::uint64_t bytes_in_flight) noexcept = 0;
  virtual void on_ack(const AckEvent& ev) noexcept = 0;
  virtual void on_loss(Instant now, std::uint64_t lost_bytes, std::uint64_t bytes_in_flight) noexcept = 0;
  virtual std::uint64_t cwnd_bytes() const noexcept = 0;
  virtual double pacing_rate_bytes_per_s() const noexcept = 0;
  virtual double bandwidth_bytes_per_s() const noexcept = 0;  // the estimate shown in stats
};

// `seed` picks the starting PROBE_BW phase (BBR randomises it to desynchronise flows).
std::unique_ptr<CongestionController> make_bbr(std::size_t datagram_size, std::uint64_t seed);

}  // namespace kettle::transport
