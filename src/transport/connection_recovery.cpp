// Sent-packet bookkeeping, ACK processing, loss detection and PTO
// (docs/protocol.md §7, RFC 9002 §6). Sent packets live in a ring indexed by
// packet number (numbers are consecutive), so lookups are O(1); resolved packets
// leave from the front. A scan cursor makes loss detection amortised O(1) per packet.
#include <algorithm>

#include "transport/connection.hpp"

namespace kettle::transport {

namespace {
constexpr std::uint64_t kPacketThreshold = 3;  // RFC 9002 kPacketThreshold
constexpr double kTimeThreshold = 9.0 / 8.0;   // RFC 9002 kTimeThreshold
constexpr unsigned kMaxPtoBackoffShift = 6;    // PTO backoff stops doubling at 64×
constexpr double kLossEwmaWeight = 1.0 / 256;  // loss_rate covers roughly the last 256 packets
}  // namespace

SentPacket* Connection::find_sent(std::uint64_t pn) noexcept {
  if (sent_.empty()) return nullptr;
  const std::uint64_t base = sent_.front().pn;
  if (pn < base || pn - base >= sent_.size()) return nullptr;
  return &sent_[static_cast<std::size_t>(pn - base)];
}

void Connection::pop_resolved() {
  while (!sent_.empty() && sent_.front().state != SentPacket::State::outstanding) {
    const SentPacket& p = sent_.front();
    const std::uint64_t end = p.stream_first + p.stream_count;
    while (stream_base_ < end && !stream_records_.empty()) {
      stream_records_.pop_front();
      ++stream_base_;
    }
    sent_.pop_front();
  }
}

void Connection::on_packet_acked(SentPacket& p, Instant now) {
  const bool was_outstanding = p.state == SentPacket::State::outstanding;
  p.state = SentPacket::State::acked;
  if (p.has_window) window_acked_ = true;
  if (was_outstanding) {
    bytes_in_flight_ -= p.size;
    --eliciting_in_flight_;
    rate_.on_acked(p.delivery, p.time_sent, p.size, now);
    loss_rate_ *= 1 - kLossEwmaWeight;
  }
  for (std::uint64_t i = p.stream_first; i < p.stream_first + p.stream_count; ++i) {
    if (i < stream_base_) continue;
    const StreamRecord& r = stream_records_[static_cast<std::size_t>(i - stream_base_)];
    const std::uint64_t freed = channels_[r.channel]->send.on_acked(r.offset, r.len);
    unacked_reliable_ -= freed;
    flow_used_ -= freed;
  }
}

void Connection::requeue_streams(const SentPacket& p) {
  for (std::uint64_t i = p.stream_first; i < p.stream_first + p.stream_count; ++i) {
    if (i < stream_base_) continue;
    const StreamRecord& r = stream_records_[static_cast<std::size_t>(i - stream_base_)];
    channels_[r.channel]->send.on_lost(r.offset, r.len);
    mark_active(r.channel);
  }
}

Status Connection::on_ack_frame(const AckFrame& f, Instant now) {
  if (f.largest() >= next_pn_) return make_error(Errc::malformed, "ACK: acknowledges a packet never sent");
  const std::uint64_t prior_in_flight = bytes_in_flight_;
  const std::uint64_t delivered_before = rate_.delivered();
  Duration latest_rtt{0};
  bool newly_acked = false;
  const std::uint64_t base = sent_.empty() ? next_pn_ : sent_.front().pn;
  for (std::size_t i = 0; i < f.range_count; ++i) {
    const AckFrame::Range& r = f.ranges[i];
    if (r.largest < base) break;  // descending: the rest are older still
    for (std::uint64_t pn = std::max(r.smallest, base); pn <= r.largest; ++pn) {
      SentPacket& p = sent_[static_cast<std::size_t>(pn - base)];
      if (p.state == SentPacket::State::acked || p.state == SentPacket::State::done) continue;
      if (p.state == SentPacket::State::outstanding) newly_acked = true;
      // A packet declared lost too early (its ACK was only delayed) still gives a valid
      // sample; without it a growing queue makes every loss spurious and the RTT estimate
      // never catches up.
      if (pn == f.largest()) latest_rtt = now - p.time_sent;
      on_packet_acked(p, now);
    }
  }
  if (!any_acked_ || f.largest() > largest_acked_) {
    largest_acked_ = f.largest();
    any_acked_ = true;
  }
  if (latest_rtt > Duration{0}) {
    rtt_.on_sample(
        latest_rtt,
        std::min(us(static_cast<std::int64_t>(std::min<std::uint64_t>(f.ack_delay_us, 1u << 30))), kMaxAckDelay));
  }
  if (newly_acked) {
    pto_count_ = 0;
    detect_lost(now);
    AckEvent ev;
    ev.now = now;
    ev.bytes_acked = rate_.delivered() - delivered_before;
    ev.bytes_in_flight = bytes_in_flight_;
    ev.delivered = rate_.delivered();
    ev.latest_rtt = latest_rtt;
    ev.rate = rate_.take_sample(rtt_.min(), prior_in_flight);
    cc_->on_ack(ev);
  }
  pop_resolved();
  maybe_finish_linger(now);
  return {};
}

void Connection::detect_lost(Instant now) {
  loss_time_ = kInstantNever;
  if (!any_acked_ || sent_.empty()) return;
  const Duration loss_delay =
      std::max(Duration(static_cast<std::int64_t>(
                   kTimeThreshold * static_cast<double>(to_us(std::max(rtt_.latest(), rtt_.smoothed()))))),
               RttEstimator::kGranularity);
  const std::uint64_t base = sent_.front().pn;
  std::uint64_t pn = std::max(scan_from_, base);
  std::uint64_t next_scan = largest_acked_;
  bool waiting = false;
  std::uint64_t lost_bytes = 0;
  for (; pn < largest_acked_; ++pn) {
    SentPacket& p = sent_[static_cast<std::size_t>(pn - base)];
    if (p.state != SentPacket::State::outstanding) continue;
    if (largest_acked_ >= pn + kPacketThreshold || p.time_sent + loss_delay <= now) {
      p.state = SentPacket::State::lost;
      bytes_in_flight_ -= p.size;
      --eliciting_in_flight_;
      lost_bytes += p.size;
      ++stats_.packets_lost;
      loss_rate_ = loss_rate_ * (1 - kLossEwmaWeight) + kLossEwmaWeight;
      requeue_streams(p);
    } else {
      if (!waiting) next_scan = pn;
      waiting = true;
      loss_time_ = std::min(loss_time_, p.time_sent + loss_delay);
    }
  }
  scan_from_ = next_scan;
  if (lost_bytes > 0) cc_->on_loss(now, lost_bytes, bytes_in_flight_);
}

Instant Connection::loss_detection_deadline() const noexcept {
  if (loss_time_ != kInstantNever) return loss_time_;
  if (eliciting_in_flight_ == 0) return kInstantNever;
  return last_eliciting_sent_ + pto_base() * (1 << std::min(pto_count_, kMaxPtoBackoffShift));
}

void Connection::on_loss_timer(Instant now) {
  if (loss_time_ != kInstantNever) {
    detect_lost(now);
    pop_resolved();
    return;
  }
  if (eliciting_in_flight_ == 0) return;
  // PTO: probe with a PING plus the oldest outstanding data, sent even if the
  // window is full. The packet itself stays outstanding (it may yet be acked).
  ++pto_count_;
  probes_pending_ = 1;
  for (std::size_t i = 0; i < sent_.size(); ++i) {
    if (sent_[i].state == SentPacket::State::outstanding) {
      requeue_streams(sent_[i]);
      break;
    }
  }
  last_eliciting_sent_ = now;  // the backed-off PTO counts from the probe
}

}  // namespace kettle::transport
