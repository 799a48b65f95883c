// Connection lifecycle, handshake glue, the send/close API, timers and stats
// (docs/protocol.md §9).
#include "transport/connection.hpp"

#include <algorithm>

#include "transport/packet.hpp"

namespace kettle::transport {

namespace {
// would_block is back-pressure a sender may hit in a tight loop: a message short
// enough for std::string's small-buffer optimisation keeps it allocation-free.
constexpr const char* kBufferFull = "buffer full";
constexpr Duration kNoDelayHorizon = ms(200);  // type-1 sends that would wait longer are dropped (§6.8)
constexpr unsigned kCloseResends = 3;          // CLOSE answers while draining
}  // namespace

Connection::Connection(EndpointContext& ctx, ConnectionId local_id, const Address& peer, bool incoming, Instant now,
                       std::uint64_t seed)
    : ctx_(ctx),
      id_(local_id),
      peer_addr_(peer),
      incoming_(incoming),
      state_(incoming ? State::accepted : State::connecting),
      rng_(seed),
      cc_(make_bbr(ctx.config.max_datagram_size, seed ^ 0x626272ULL)),
      last_received_(now) {
  channels_.resize(static_cast<std::size_t>(ctx.config.channels));
  handshake_deadline_ = now + ctx.config.handshake_timeout;
}

Connection::~Connection() = default;

// ---------------------------------------------------------------- handshake

void Connection::start_connect(Instant now) {
  initiator_ = std::make_unique<crypto::HandshakeInitiator>(ctx_.identity, id_);
  next_hello_at_ = now;
}

void Connection::on_handshake_reply(Bytes d, Instant now, std::uint64_t unix_s) {
  if (state_ != State::connecting || !initiator_) {
    ++ctx_.stats.dropped_handshake;
    return;
  }
  auto r = initiator_->on_reply(d, unix_s);
  if (!r) {
    if (r.code() == Errc::unsupported) {
      ++ctx_.stats.dropped_handshake;
      close_silently(CloseReason::version_mismatch, now);
      return;
    }
    // A forged or stale reply must not kill the attempt: ignore it (§9.1).
    if (r.code() == Errc::auth_failed || r.code() == Errc::expired) {
      ++ctx_.stats.dropped_auth_failed;
    } else {
      ++ctx_.stats.dropped_handshake;
    }
    return;
  }
  if (std::holds_alternative<crypto::HandshakeInitiator::Retry>(*r)) {
    next_hello_at_ = now;  // resend the HELLO, now with the cookie
    return;
  }
  auto& est = std::get<crypto::Established>(*r);
  keys_.emplace(std::move(est.keys));
  peer_cert_ = est.peer;
  peer_conn_id_ = est.peer_conn_id;
  if (hellos_sent_ == 1) {  // unambiguous sample only (Karn)
    rtt_.on_sample(now - first_hello_at_, Duration{0});
    cc_->set_initial_rtt(rtt_.smoothed());
  }
  initiator_.reset();
  ping_pending_ = true;  // the responder becomes established on our first DATA packet
  on_established(now);
}

void Connection::start_accepted(crypto::HandshakeResponder::Accept&& a, Bytes welcome, Instant now) {
  keys_.emplace(std::move(a.session.keys));
  peer_cert_ = a.session.peer;
  peer_conn_id_ = a.session.peer_conn_id;
  initiator_conn_id_ = a.initiator_conn_id;
  hello_from_ = peer_addr_;
  initiator_ephemeral_ = a.initiator_ephemeral;
  welcome_.assign(welcome.begin(), welcome.end());
  welcome_at_ = now;
}

bool Connection::is_same_hello(const std::uint8_t* eph) const noexcept {
  return std::equal(initiator_ephemeral_.begin(), initiator_ephemeral_.end(), eph);
}

void Connection::on_established(Instant now) {
  state_ = State::established;
  handshake_deadline_ = kInstantNever;
  next_hello_at_ = kInstantNever;
  last_received_ = now;
  last_eliciting_sent_ = now;
  ++ctx_.stats.handshakes_completed;
  ctx_.events.emplace_back(Connected{id_, peer_cert_, peer_addr_, incoming_});
}

// ---------------------------------------------------------------- API

Connection::Channel& Connection::channel(int ch) {
  auto& slot = channels_[static_cast<std::size_t>(ch)];
  if (!slot) slot = std::make_unique<Channel>(ch);
  return *slot;
}

bool Connection::can_send_soon(std::size_t bytes) const noexcept {
  if (state_ != State::established) return false;
  double wait_s = static_cast<double>(queued_dgram_bytes_ + bytes) / std::max(1.0, cc_->pacing_rate_bytes_per_s());
  if (bytes_in_flight_ + ctx_.config.max_datagram_size > cc_->cwnd_bytes()) {
    wait_s += static_cast<double>(to_us(rtt_.smoothed())) * 1e-6;  // must wait for ACKs to open the window
  }
  return wait_s * 1e6 <= static_cast<double>(to_us(kNoDelayHorizon));
}

Status Connection::send(int ch, SendType type, Bytes payload, Instant now) {
  if (state_ == State::closing || state_ == State::draining || state_ == State::closed) {
    return make_error(Errc::closed, "send: connection is closing or closed");
  }
  const bool unreliable = type == SendType::unreliable || type == SendType::unreliable_no_delay;
  if (unreliable) {
    if (payload.size() > kMaxUnreliableSize) {
      return make_error(Errc::too_large,
                        "send: unreliable message of " + std::to_string(payload.size()) + " bytes exceeds 1200");
    }
    if (type == SendType::unreliable_no_delay && !can_send_soon(payload.size())) {
      ++stats_.unreliable_dropped_no_delay;
      return {};
    }
    if (buffered_send_bytes() + payload.size() > ctx_.config.max_send_buffer_bytes) {
      if (type == SendType::unreliable_no_delay) {
        ++stats_.unreliable_dropped_no_delay;
        return {};
      }
      return make_error(Errc::would_block, kBufferFull);
    }
    QueuedDatagram& q = datagrams_.push_back();
    q.channel = static_cast<std::uint8_t>(ch);
    q.data.assign(payload.begin(), payload.end());
    queued_dgram_bytes_ += payload.size();
    ++stats_.messages_sent;
    return {};
  }
  if (payload.size() > kMaxReliableSize) {
    return make_error(Errc::too_large,
                      "send: reliable message of " + std::to_string(payload.size()) + " bytes exceeds 1 MiB");
  }
  const std::size_t framed = payload.size() + ByteWriter::varint_size(payload.size());
  if (buffered_send_bytes() + framed > ctx_.config.max_send_buffer_bytes) {
    return make_error(Errc::would_block, kBufferFull);
  }
  Channel& c = channel(ch);
  const bool flush = type == SendType::reliable || ctx_.config.nagle_delay == Duration{0};
  c.send.write_message(payload, flush);
  unacked_reliable_ += framed;
  ++stats_.messages_sent;
  if (flush) {
    flush_nagle();  // a type-2 send flushes everything buffered before it (Steam's rule)
  } else {
    if (nagle_held_bytes_ == 0) nagle_since_ = now;
    nagle_held_bytes_ += framed;
    if (!is_held_[static_cast<std::size_t>(ch)]) {
      is_held_.set(static_cast<std::size_t>(ch));
      held_.push_back(static_cast<std::uint8_t>(ch));
    }
    // A full packet's worth is buffered: no reason to wait longer.
    if (nagle_held_bytes_ >= ctx_.config.max_datagram_size - kPacketOverhead) flush_nagle();
  }
  mark_active(ch);
  return {};
}

void Connection::flush_nagle() noexcept {
  for (std::uint8_t ch : held_) {
    channels_[ch]->send.flush();
    is_held_.reset(ch);
    mark_active(ch);
  }
  held_.clear();
  nagle_held_bytes_ = 0;
  nagle_since_ = kInstantNever;
}

Status Connection::close(std::uint16_t app_code, std::string_view message, Instant now) {
  if (state_ == State::closing || state_ == State::draining || state_ == State::closed) {
    return make_error(Errc::closed, "close: already closing");
  }
  if (message.size() > CloseFrame::kMaxMessageSize) message = message.substr(0, CloseFrame::kMaxMessageSize);
  close_app_code_ = app_code;
  close_message_.assign(message);
  // Keep the message valid UTF-8 after truncation: drop a cut multi-byte tail.
  while (!close_message_.empty() && (static_cast<std::uint8_t>(close_message_.back()) & 0x80)) {
    const std::size_t n = close_message_.size();
    std::size_t start = n - 1;
    while (start > 0 && (static_cast<std::uint8_t>(close_message_[start]) & 0xC0) == 0x80) --start;
    const auto lead = static_cast<std::uint8_t>(close_message_[start]);
    const std::size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n - start == want) break;
    close_message_.resize(start);
  }
  if (state_ == State::connecting || state_ == State::accepted) {
    close_silently(CloseReason::application, now);
    return {};
  }
  state_ = State::closing;
  close_reason_ = CloseReason::application;
  linger_deadline_ = now + ctx_.config.close_linger;
  flush_nagle();
  maybe_finish_linger(now);
  return {};
}

Status Connection::migrate(const Address& to, Instant now) {
  if (state_ != State::established) return make_error(Errc::closed, "migrate: connection is not established");
  if (to == peer_addr_) return {};
  peer_addr_ = to;
  // The peer moves its side on our next authentic packet (roaming, §10): send one now rather
  // than wait for data or the keepalive.
  ping_pending_ = true;
  (void)now;
  return {};
}

void Connection::finish_close(Instant now) {
  if (state_ != State::closing) return;
  enter_draining(close_reason_, close_app_code_, close_message_, false, true, now);
}

void Connection::maybe_finish_linger(Instant now) {
  if (state_ != State::closing) return;
  if (unacked_reliable_ == 0 || now >= linger_deadline_) {
    enter_draining(close_reason_, close_app_code_, close_message_, false, true, now);
  }
}

void Connection::enter_draining(CloseReason reason, std::uint16_t app_code, std::string_view message, bool by_peer,
                                bool send_close, Instant now) {
  if (state_ == State::draining || state_ == State::closed) return;
  const bool was_visible = state_ != State::connecting && state_ != State::accepted;
  state_ = State::draining;
  closed_by_peer_ = by_peer;
  close_reason_ = reason;
  close_app_code_ = app_code;
  close_message_.assign(message);
  close_pending_ = send_close;
  close_resends_left_ = send_close ? kCloseResends : 0;
  drain_deadline_ = now + pto_base() * 3;
  linger_deadline_ = kInstantNever;
  drop_queued_datagrams();
  if (was_visible) {
    ctx_.events.emplace_back(Closed{id_, reason, app_code, std::string(message), by_peer});
  }
}

void Connection::close_silently(CloseReason reason, Instant) {
  const bool was_visible = state_ != State::accepted && state_ != State::closed;
  drop_queued_datagrams();
  state_ = State::closed;
  if (was_visible) ctx_.events.emplace_back(Closed{id_, reason, 0, {}, false});
}

void Connection::drop_queued_datagrams() {
  while (!datagrams_.empty()) {
    ++stats_.unreliable_dropped_on_close;
    ++ctx_.stats.unreliable_dropped_on_close;
    datagrams_.pop_front();
  }
  queued_dgram_bytes_ = 0;
}

// ---------------------------------------------------------------- timers

Duration Connection::max_ack_delay() const noexcept {
  return std::clamp(rtt_.smoothed() / 4, kMinAckDelay, kMaxAckDelay);
}

Duration Connection::pto_base() const noexcept { return rtt_.pto(kMaxAckDelay); }

Instant Connection::timer_deadline(Timer t) const noexcept {
  switch (t) {
    case Timer::handshake_resend:
      return state_ == State::connecting ? next_hello_at_ : kInstantNever;
    case Timer::handshake_timeout:
      return (state_ == State::connecting || state_ == State::accepted) ? handshake_deadline_ : kInstantNever;
    case Timer::ack:
      return (state_ == State::established || state_ == State::closing) ? acks_.deadline() : kInstantNever;
    case Timer::loss_detection:
      return (state_ == State::established || state_ == State::closing) ? loss_detection_deadline() : kInstantNever;
    case Timer::pacing:
      if ((state_ != State::established && state_ != State::closing) || !has_sendable_data()) return kInstantNever;
      if (bytes_in_flight_ + ctx_.config.max_datagram_size > cc_->cwnd_bytes()) return kInstantNever;
      return pacer_.next_send_time(pacer_.quantum(ctx_.config.max_datagram_size));
    case Timer::nagle:
      return nagle_held_bytes_ > 0 ? nagle_since_ + ctx_.config.nagle_delay : kInstantNever;
    case Timer::keepalive:  // disarmed while a PING waits (e.g. for window), so it cannot spin
      return state_ == State::established && !ping_pending_ ? last_eliciting_sent_ + ctx_.config.keepalive_interval
                                                            : kInstantNever;
    case Timer::idle:
      return (state_ == State::established || state_ == State::closing) ? last_received_ + ctx_.config.idle_timeout
                                                                        : kInstantNever;
    case Timer::linger:
      return state_ == State::closing ? linger_deadline_ : kInstantNever;
    case Timer::close_resend:
      return state_ == State::draining && !close_pending_ ? close_resend_at_ : kInstantNever;
    case Timer::drain:
      return state_ == State::draining ? drain_deadline_ : kInstantNever;
    case Timer::count:
      break;
  }
  return kInstantNever;
}

Instant Connection::next_deadline() const noexcept {
  Instant t = kInstantNever;
  for (std::uint8_t i = 0; i < static_cast<std::uint8_t>(Timer::count); ++i) {
    t = std::min(t, timer_deadline(static_cast<Timer>(i)));
  }
  return t;
}

void Connection::on_timer(Instant now) {
  if (now >= timer_deadline(Timer::handshake_timeout)) {
    close_silently(CloseReason::handshake_timeout, now);
    return;
  }
  if (now >= timer_deadline(Timer::idle)) {
    close_silently(CloseReason::idle_timeout, now);
    return;
  }
  if (now >= timer_deadline(Timer::drain)) {
    state_ = State::closed;
    return;
  }
  if (now >= timer_deadline(Timer::close_resend)) close_pending_ = true;
  if (now >= timer_deadline(Timer::linger)) maybe_finish_linger(now);
  if (now >= timer_deadline(Timer::nagle)) flush_nagle();
  if (now >= timer_deadline(Timer::loss_detection)) on_loss_timer(now);
  if (now >= timer_deadline(Timer::keepalive)) ping_pending_ = true;
  // handshake_resend, ack and pacing need no action here: build_datagram sends when they are due.
}

// ---------------------------------------------------------------- stats

ConnectionStats Connection::stats() const {
  ConnectionStats s = stats_;
  s.rtt_smoothed = rtt_.smoothed();
  s.rtt_min = rtt_.min();
  s.rtt_variance = rtt_.variance();
  s.loss_rate = loss_rate_;
  s.peer_address = peer_addr_;
  s.send_rate_bytes_per_s = cc_->bandwidth_bytes_per_s();
  s.pacing_rate_bytes_per_s = cc_->pacing_rate_bytes_per_s();
  s.cwnd_bytes = cc_->cwnd_bytes();
  s.bytes_in_flight = bytes_in_flight_;
  s.queued_reliable_bytes = unacked_reliable_;
  s.queued_unreliable_bytes = queued_dgram_bytes_;
  s.undelivered_bytes = undelivered_bytes_;
  return s;
}

}  // namespace kettle::transport
