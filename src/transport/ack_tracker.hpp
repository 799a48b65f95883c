// Receiver-side acknowledgement state (docs/protocol.md §7.1): which packet
// numbers arrived, and when an ACK is owed. Policy:
//   * an ACK is sent immediately after 2 ack-eliciting packets, or when a packet
//     arrives out of order (a gap or a reordering: the sender's fast retransmit
//     needs to see it at once);
//   * otherwise within max_ack_delay = clamp(srtt / 4, 1 ms, 25 ms) of the first
//     unacknowledged ack-eliciting packet. 1 ms keeps loopback and LAN RTT samples
//     tight; the 25 ms cap is what the peer's PTO assumes (kMaxAckDelay);
//   * non-ack-eliciting packets (ACK-only) are acknowledged only by piggybacking.
// At most AckFrame::kMaxRanges ranges are remembered; older ones are forgotten
// (the sender will have declared those packets lost or acked long before).
#pragma once

#include <cstdint>

#include "core/time.hpp"
#include "transport/frames/frame.hpp"
#include "transport/range_set.hpp"

namespace kettle::transport {

inline constexpr Duration kMaxAckDelay = ms(25);
inline constexpr Duration kMinAckDelay = ms(1);

class AckTracker {
 public:
  static constexpr unsigned kAckElicitingThreshold = 2;

  void on_packet(std::uint64_t pn, bool ack_eliciting, Instant now, Duration max_ack_delay);

  // Something arrived that no ACK has covered yet.
  bool has_unacked() const noexcept { return unacked_; }
  // An ACK must go out now (threshold reached, reordering, or the delay timer expired).
  bool ack_due(Instant now) const noexcept { return unacked_ && (immediate_ || now >= deadline_); }
  Instant deadline() const noexcept { return unacked_ ? (immediate_ ? kInstantZero : deadline_) : kInstantNever; }

  // Builds the ACK frame for everything received; call on_ack_sent() once it is in a packet.
  AckFrame build(Instant now) const;
  void on_ack_sent() noexcept;

  const RangeSet& received() const noexcept { return received_; }

 private:
  RangeSet received_;
  std::uint64_t largest_ = 0;
  Instant largest_time_{};
  bool any_ = false;
  bool unacked_ = false;
  bool immediate_ = false;
  unsigned eliciting_since_ack_ = 0;
  Instant deadline_ = kInstantNever;
};

}  // namespace kettle::transport
