// The scheduler and packet builder (docs/protocol.md §6.8). Per packet, in order:
// ACK (if owed, or piggybacked), CLOSE, PING, queued DATAGRAMs, then STREAM data
// round-robin across channels, retransmissions before new bytes on each channel.
// Datagrams and ACKs therefore never wait behind bulk reliable data.
#include <algorithm>

#include "transport/connection.hpp"
#include "transport/packet.hpp"

namespace kettle::transport {

namespace {
// HELLO retransmission: 250 ms, doubling, capped at 4 s (§9.1).
constexpr Duration kFirstHelloRetry = ms(250);
constexpr Duration kMaxHelloRetry = secs(4);
// A packet with less room than this left is padded to full size, so GSO batches
// (equal-sized segments) keep going; a STREAM frame needs ~8 bytes of header.
constexpr std::size_t kPadBelow = 16;
}  // namespace

void Connection::mark_active(int ch) {
  const auto i = static_cast<std::size_t>(ch);
  if (is_active_[i]) return;
  is_active_.set(i);
  active_.push_back(static_cast<std::uint8_t>(ch));
}

std::uint64_t Connection::flow_allowance() const noexcept {
  const std::uint64_t window = peer_window_;
  return flow_used_ >= window ? 0 : window - flow_used_;
}

bool Connection::has_sendable_data() const noexcept {
  if (!datagrams_.empty()) return true;
  const std::uint64_t allow = flow_allowance();
  for (std::uint8_t ch : active_) {
    if (channels_[ch] && channels_[ch]->send.has_sendable(allow)) return true;
  }
  return false;
}

std::size_t Connection::build_hello(Instant now, MutBytes buf) {
  if (now < next_hello_at_) return 0;
  auto n = initiator_->write_hello(buf);
  if (!n) return 0;
  if (hellos_sent_ == 0) first_hello_at_ = now;
  const Duration backoff = std::min(kMaxHelloRetry, kFirstHelloRetry * (1 << std::min(hellos_sent_, 8u)));
  ++hellos_sent_;
  next_hello_at_ = now + backoff;
  ++stats_.packets_sent;
  stats_.bytes_sent += *n;
  return *n;
}

std::size_t Connection::build_close(Instant now, MutBytes buf) {
  ByteWriter w(buf.subspan(kDataHeaderSize, buf.size() - kPacketOverhead));
  encode(CloseFrame{static_cast<std::uint16_t>(close_reason_), close_app_code_, close_message_}, w);
  close_pending_ = false;
  // Repeat after a PTO (a lost CLOSE must not leave the peer waiting for its idle
  // timeout); packets arriving meanwhile trigger a repeat sooner.
  close_resend_at_ = close_resends_left_ > 0 ? now + pto_base() : kInstantNever;
  if (close_resends_left_ > 0) --close_resends_left_;
  return seal_and_record(Instant{}, buf, w.size(), false, 0, 0, false);
}

bool Connection::fill_streams(ByteWriter& w, bool& retransmission) {
  bool wrote = false;
  std::size_t visited = 0;
  while (!active_.empty() && visited < active_.size() && w.remaining() > kPadBelow) {
    if (rr_cursor_ >= active_.size()) rr_cursor_ = 0;
    const std::uint8_t ch = active_[rr_cursor_];
    SendStream& s = channels_[ch]->send;
    const std::uint64_t allow = flow_allowance();
    if (!s.has_sendable(allow)) {
      // Nothing more on this channel: leave the active list (swap-remove keeps it O(1)).
      if (s.held_bytes() == s.end() - s.next_new()) {  // next_new == flush end
        is_active_.reset(ch);
        active_[rr_cursor_] = active_.back();
        active_.pop_back();
      } else {
        ++rr_cursor_;  // blocked by the flow window only: stays active
        ++visited;
      }
      continue;
    }
    // Reserve the worst-case header for the largest chunk we could write.
    const std::size_t room = w.remaining();
    const std::size_t hdr = stream_header_size(s.next_new() + room, room);
    if (room <= hdr) break;
    auto c = s.next_chunk(room - hdr, allow);
    if (!c) {
      ++rr_cursor_;
      ++visited;
      continue;
    }
    encode_stream_header(ch, c->offset, c->len, w);
    const std::size_t at = w.skip(c->len);
    s.copy(c->offset, c->len, w.at(at, c->len).data());
    StreamRecord& rec = stream_records_.push_back();
    rec.offset = c->offset;
    rec.len = static_cast<std::uint32_t>(c->len);
    rec.channel = ch;
    if (c->retransmission) {
      retransmission = true;
      stats_.retransmitted_bytes += c->len;
    } else {
      flow_used_ += c->len;
    }
    wrote = true;
    ++rr_cursor_;  // next chunk comes from the next channel: channels share packets fairly
    visited = 0;
  }
  return wrote;
}

std::size_t Connection::build_datagram(Instant now, MutBytes buf) {
  const std::size_t mds = std::min(buf.size(), ctx_.config.max_datagram_size);
  buf = buf.first(mds);
  switch (state_) {
    case State::connecting:
      return initiator_ ? build_hello(now, buf) : 0;
    case State::accepted:
    case State::closed:
      return 0;
    case State::draining:
      return close_pending_ ? build_close(now, buf) : 0;
    case State::established:
    case State::closing:
      break;
  }

  pacer_.refill(now, cc_->pacing_rate_bytes_per_s(), ctx_.config.max_datagram_size);
  const bool probe = probes_pending_ > 0;
  const bool cwnd_ok = bytes_in_flight_ + mds <= cc_->cwnd_bytes();
  const bool may_send = probe || (cwnd_ok && pacer_.can_send(mds));
  const bool want_data = ping_pending_ || probe || has_sendable_data();

  ByteWriter w(buf.subspan(kDataHeaderSize, mds - kPacketOverhead));
  bool ack_written = false;
  bool eliciting = false;
  if (acks_.ack_due(now) || (acks_.has_unacked() && may_send && want_data)) {
    encode(acks_.build(now), w);
    acks_.on_ack_sent();
    ack_written = true;
  }
  bool retransmission = false;
  const std::uint64_t stream_first = stream_base_ + stream_records_.size();
  bool has_window = false;
  if (!window_acked_ && (ack_written || (may_send && want_data))) {
    // Repeated until a packet carrying it is acknowledged (§6.8); it makes the packet ack-eliciting.
    encode(WindowFrame{ctx_.config.max_recv_buffer_bytes}, w);
    has_window = eliciting = true;
  }
  if (may_send && want_data) {
    if (ping_pending_ || probe) {
      encode(PingFrame{}, w);
      ping_pending_ = false;
      eliciting = true;
    }
    while (!datagrams_.empty()) {
      QueuedDatagram& q = datagrams_.front();
      const std::size_t need = datagram_header_size(q.data.size()) + q.data.size();
      if (need > w.remaining()) break;  // next packet: it always fits an empty one
      encode_datagram_header(q.channel, q.data.size(), w);
      w.bytes(q.data);
      queued_dgram_bytes_ -= q.data.size();
      datagrams_.pop_front();
      eliciting = true;
    }
    if (fill_streams(w, retransmission)) eliciting = true;
    if (!eliciting && cwnd_ok && !has_sendable_data()) rate_.on_app_limited(bytes_in_flight_);
  }
  if (!eliciting && !ack_written) return 0;
  if (eliciting && w.remaining() < kPadBelow) encode(PaddingFrame{w.remaining()}, w);
  if (probe && eliciting) --probes_pending_;
  const auto stream_count = static_cast<std::uint16_t>(stream_base_ + stream_records_.size() - stream_first);
  return seal_and_record(now, buf, w.size(), eliciting, stream_first, stream_count, retransmission, has_window);
}

std::size_t Connection::seal_and_record(Instant now, MutBytes buf, std::size_t plaintext_len, bool eliciting,
                                        std::uint64_t stream_first, std::uint16_t stream_count, bool retransmission,
                                        bool has_window) {
  const std::uint64_t pn = next_pn_++;
  write_data_header(buf.data(), DataHeader{peer_conn_id_, pn});
  const std::size_t ct =
      keys_->tx.seal(pn, Bytes(buf.data(), kDataHeaderSize), buf.subspan(kDataHeaderSize), plaintext_len);
  const std::size_t total = kDataHeaderSize + ct;
  SentPacket& p = sent_.push_back();
  p.pn = pn;
  p.time_sent = now;
  p.size = static_cast<std::uint32_t>(total);
  p.stream_first = stream_first;
  p.stream_count = stream_count;
  p.ack_eliciting = eliciting;
  p.has_window = has_window;
  p.state = eliciting ? SentPacket::State::outstanding : SentPacket::State::done;
  if (eliciting) {
    p.delivery = rate_.on_sent(now, bytes_in_flight_);
    bytes_in_flight_ += total;
    ++eliciting_in_flight_;
    last_eliciting_sent_ = now;
    cc_->on_packet_sent(now, total, bytes_in_flight_);
    pacer_.on_sent(total);
  }
  if (retransmission) ++stats_.retransmitted_packets;
  ++stats_.packets_sent;
  stats_.bytes_sent += total;
  pop_resolved();
  return total;
}

}  // namespace kettle::transport
