// Receiving DATA packets: the ordered checks of docs/protocol.md §10 (the
// endpoint did size, type and connection id), then frame handling.
#include <algorithm>

#include "transport/connection.hpp"
#include "transport/packet.hpp"

namespace kettle::transport {

bool Connection::frames_parse(Bytes plaintext) const {
  if (plaintext.empty()) return false;
  ByteReader r(plaintext);
  while (!r.empty()) {
    if (!decode_frame(r).ok()) return false;
  }
  return r.ok();
}

void Connection::on_data(MutBytes d, const Address& from, Instant now) {
  if (!keys_ || state_ == State::closed) {  // an initiator still waiting for WELCOME has no keys
    ++ctx_.stats.dropped_unknown_connection;
    return;
  }
  const DataHeader h = read_data_header(d.data());
  // §10 step 4: the replay check is cheap and comes before the AEAD.
  if (!replay_.is_fresh(h.packet_number)) {
    ++ctx_.stats.dropped_replayed;
    return;
  }
  auto opened = keys_->rx.open(h.packet_number, d.first(kDataHeaderSize), d.subspan(kDataHeaderSize));
  if (!opened) {
    ++ctx_.stats.dropped_auth_failed;
    return;
  }
  // Only an authentic packet may move the window (§10 step 6).
  replay_.mark(h.packet_number);
  const Bytes plain = Bytes(d).subspan(kDataHeaderSize, *opened);
  if (!frames_parse(plain)) {
    ++ctx_.stats.dropped_malformed;
    return;
  }
  ++stats_.packets_received;
  stats_.bytes_received += d.size();
  last_received_ = now;
  // Roaming: an authentic packet that is the newest yet moves the peer's address (§10).
  if (from != peer_addr_ && h.packet_number == replay_.largest()) peer_addr_ = from;

  if (state_ == State::draining) {
    if (close_resends_left_ > 0) close_pending_ = true;
    return;
  }
  if (state_ == State::accepted) {
    rtt_.on_sample(now - welcome_at_, Duration{0});
    cc_->set_initial_rtt(rtt_.smoothed());
    on_established(now);
  }

  bool ack_eliciting = false;
  bool refused = false;
  Status violation;
  CloseReason violation_reason = CloseReason::protocol_violation;
  ByteReader r(plain);
  while (!r.empty() && violation.ok()) {
    auto fr = decode_frame(r);  // cannot fail: frames_parse succeeded
    if (!fr) break;
    if (auto* ack = std::get_if<AckFrame>(&*fr)) {
      violation = on_ack_frame(*ack, now);
    } else if (auto* cl = std::get_if<CloseFrame>(&*fr)) {
      const auto reason = cl->reason <= static_cast<std::uint16_t>(CloseReason::resource_limit)
                              ? static_cast<CloseReason>(cl->reason)
                              : CloseReason::protocol_violation;
      enter_draining(reason, cl->app_code, cl->message, true, false, now);
      return;
    } else if (auto* dg = std::get_if<DatagramFrame>(&*fr)) {
      ack_eliciting = true;
      if (dg->channel >= ctx_.config.channels) {
        violation = make_error(Errc::malformed, "DATAGRAM: channel out of range");
        break;
      }
      if (delivery_queue_full()) {
        ++stats_.unreliable_dropped_unread;
        continue;
      }
      Message& m = ctx_.messages.push_back();
      m.conn = id_;
      m.channel = dg->channel;
      m.reliable = false;
      m.data.assign(dg->data.begin(), dg->data.end());
      undelivered_bytes_ += m.data.size();
      ++stats_.messages_received;
    } else if (auto* sf = std::get_if<StreamFrame>(&*fr)) {
      ack_eliciting = true;
      if (sf->channel >= ctx_.config.channels) {
        violation = make_error(Errc::malformed, "STREAM: channel out of range");
        break;
      }
      if (delivery_queue_full()) {
        refused = true;  // flow control (§7.6): not acknowledged, the peer resends later
        continue;
      }
      RecvStream& rs = channel(sf->channel).recv;
      const std::uint64_t before = rs.span();
      const std::size_t gaps_before = rs.gap_count();
      const std::uint64_t allowance = ctx_.config.max_recv_buffer_bytes - recv_span_total_;
      const std::size_t gap_allowance = kMaxRecvGaps - std::min(kMaxRecvGaps, recv_gaps_total_);
      auto out = rs.on_data(sf->offset, sf->data, allowance, gap_allowance, *this);
      recv_span_total_ = recv_span_total_ - before + rs.span();
      recv_gaps_total_ = recv_gaps_total_ - gaps_before + rs.gap_count();
      if (!out) {
        violation = std::move(out).error();
      } else if (*out == RecvStream::Outcome::refused_window) {
        // The peer overran the flow window (§7.6): don't ack, it will resend.
        refused = true;
      }
    } else if (auto* wf = std::get_if<WindowFrame>(&*fr)) {
      ack_eliciting = true;
      peer_window_ = wf->max_recv_buffer_bytes;
    } else if (std::holds_alternative<PingFrame>(*fr)) {
      ack_eliciting = true;
    }
  }
  if (!violation.ok()) {
    enter_draining(violation_reason, 0, violation.error().message, false, true, now);
    return;
  }
  if (!refused) acks_.on_packet(h.packet_number, ack_eliciting, now, max_ack_delay());
  maybe_finish_linger(now);
}

void Connection::deliver(int ch, Bytes message) {
  Message& m = ctx_.messages.push_back();
  m.conn = id_;
  m.channel = ch;
  m.reliable = true;
  m.data.assign(message.begin(), message.end());
  undelivered_bytes_ += m.data.size();
  ++stats_.messages_received;
}

void Connection::deliver_owned(int ch, std::vector<std::uint8_t>& message) {
  Message& m = ctx_.messages.push_back();
  m.conn = id_;
  m.channel = ch;
  m.reliable = true;
  m.data.swap(message);
  undelivered_bytes_ += m.data.size();
  ++stats_.messages_received;
}

}  // namespace kettle::transport
