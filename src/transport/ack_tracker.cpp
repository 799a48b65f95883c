#include "transport/ack_tracker.hpp"

#include <algorithm>

namespace kettle::transport {

void AckTracker::on_packet(std::uint64_t pn, bool ack_eliciting, Instant now, Duration max_ack_delay) {
  const bool in_order = !any_ || pn == largest_ + 1;
  received_.insert(pn, pn + 1);
  while (received_.count() > AckFrame::kMaxRanges) received_.pop_front();
  if (!any_ || pn > largest_) {
    largest_ = pn;
    largest_time_ = now;
    any_ = true;
  }
  unacked_ = true;
  if (!ack_eliciting) return;
  if (!in_order) immediate_ = true;
  if (++eliciting_since_ack_ >= kAckElicitingThreshold) immediate_ = true;
  if (deadline_ == kInstantNever) deadline_ = now + max_ack_delay;
}

AckFrame AckTracker::build(Instant now) const {
  AckFrame f;
  const auto& rs = received_.ranges();
  const std::size_t n = std::min<std::size_t>(rs.size(), AckFrame::kMaxRanges);
  for (std::size_t i = 0; i < n; ++i) {
    const Range& r = rs[rs.size() - 1 - i];
    f.ranges[i] = {r.lo, r.hi - 1};
  }
  f.range_count = n;
  f.ack_delay_us = static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_us(now - largest_time_)));
  return f;
}

void AckTracker::on_ack_sent() noexcept {
  unacked_ = false;
  immediate_ = false;
  eliciting_since_ack_ = 0;
  deadline_ = kInstantNever;
}

}  // namespace kettle::transport
