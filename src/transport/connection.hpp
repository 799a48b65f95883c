// One connection's protocol state machine (docs/protocol.md §9). Sans-IO like
// the Endpoint that owns it: every input carries `now`, output is pulled with
// build_datagram(). Split by concern, like quinn's connection/:
//   connection.cpp           lifecycle, handshake glue, API (send/close), timers, stats
//   connection_recv.cpp      DATA packet checks (§10) and frame handling
//   connection_send.cpp      the scheduler and packet builder
//   connection_recovery.cpp  sent-packet bookkeeping, ACK processing, loss detection, PTO
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/address.hpp"
#include "core/rng.hpp"
#include "crypto/handshake.hpp"
#include "crypto/replay_window.hpp"
#include "transport/ack_tracker.hpp"
#include "transport/congestion.hpp"
#include "transport/delivery_rate.hpp"
#include "transport/endpoint.hpp"
#include "transport/pacer.hpp"
#include "transport/recv_stream.hpp"
#include "transport/ring.hpp"
#include "transport/rtt.hpp"
#include "transport/send_stream.hpp"

namespace kettle::transport {

// What a connection needs from its endpoint.
struct EndpointContext {
  const Config& config;
  const crypto::Identity& identity;
  EndpointStats& stats;
  Ring<Message>& messages;
  std::deque<Event>& events;
};

struct SentPacket {
  enum class State : std::uint8_t { outstanding, acked, lost, done };
  std::uint64_t pn = 0;
  Instant time_sent{};
  std::uint64_t stream_first = 0;  // absolute index of its first StreamRecord
  std::uint32_t size = 0;
  std::uint16_t stream_count = 0;
  bool ack_eliciting = false;
  bool has_window = false;  // carried a WINDOW frame
  State state = State::done;
  DeliverySnapshot delivery;
};

struct StreamRecord {
  std::uint64_t offset = 0;
  std::uint32_t len = 0;
  std::uint8_t channel = 0;
};

class Connection final : private MessageSink {
 public:
  enum class State : std::uint8_t {
    connecting,  // initiator: HELLO sent, waiting for WELCOME
    accepted,    // responder: WELCOME sent, waiting for the first DATA packet
    established,
    closing,   // close() called: lingering until queued reliable data is acked
    draining,  // CLOSE sent or received; answers with CLOSE, then disappears
    closed,    // ready to be removed by the endpoint
  };

  Connection(EndpointContext& ctx, ConnectionId local_id, const Address& peer, bool incoming, Instant now,
             std::uint64_t seed);
  ~Connection();

  // ---- handshake ----
  void start_connect(Instant now);
  void on_handshake_reply(Bytes datagram, Instant now, std::uint64_t unix_s);
  void start_accepted(crypto::HandshakeResponder::Accept&& accept, Bytes welcome, Instant now);
  bool is_same_hello(const std::uint8_t* ephemeral32) const noexcept;
  Bytes welcome() const noexcept { return welcome_; }
  std::uint32_t initiator_conn_id() const noexcept { return initiator_conn_id_; }
  const Address& hello_from() const noexcept { return hello_from_; }  // responder: where the HELLO came from

  // ---- inputs ----
  // A DATA datagram routed here (size and type already checked); decrypted in place.
  void on_data(MutBytes datagram, const Address& from, Instant now);
  void on_timer(Instant now);
  Status send(int channel, SendType type, Bytes payload, Instant now);
  Status close(std::uint16_t app_code, std::string_view message, Instant now);
  Status migrate(const Address& to, Instant now);                        // see Endpoint::migrate
  void set_read_paused(bool paused) noexcept { read_paused_ = paused; }  // see Endpoint::set_read_paused
  // Ends a close() linger now (see Endpoint::finish_close).
  void finish_close(Instant now);

  // ---- outputs ----
  // Writes at most one datagram into buf (≥ max_datagram_size bytes); 0 if nothing to send now.
  std::size_t build_datagram(Instant now, MutBytes buf);
  Instant next_deadline() const noexcept;

  // ---- queries ----
  ConnectionId id() const noexcept { return id_; }
  State state() const noexcept { return state_; }
  const Address& peer_address() const noexcept { return peer_addr_; }
  bool is_dead() const noexcept { return state_ == State::closed; }
  ConnectionStats stats() const;
  // The application took a message of `bytes` from the endpoint's queue (poll_message).
  void on_message_polled(std::size_t bytes) noexcept {
    undelivered_bytes_ -= std::min<std::uint64_t>(undelivered_bytes_, bytes);
  }

 private:
  // Delivered-but-unpolled bytes at or above max_recv_buffer_bytes: new DATAGRAMs are dropped
  // (counted) and new STREAM frames refused (packet unacked, resent later), so an application
  // that stops polling bounds its queue at the limit plus one message and one packet.
  bool delivery_queue_full() const noexcept {
    return read_paused_ || undelivered_bytes_ >= ctx_.config.max_recv_buffer_bytes;
  }

  struct Channel {
    explicit Channel(int ch) : recv(ch) {}
    SendStream send;
    RecvStream recv;
  };
  struct QueuedDatagram {
    std::uint8_t channel = 0;
    std::vector<std::uint8_t> data;
  };
  enum class Timer : std::uint8_t {
    handshake_resend,
    handshake_timeout,
    ack,
    loss_detection,
    pacing,
    nagle,
    keepalive,
    idle,
    linger,
    drain,
    close_resend,
    count
  };

  // connection.cpp
  Instant timer_deadline(Timer t) const noexcept;
  void on_established(Instant now);
  void enter_draining(CloseReason reason, std::uint16_t app_code, std::string_view message, bool by_peer,
                      bool send_close, Instant now);
  void close_silently(CloseReason reason, Instant now);
  void drop_queued_datagrams();
  void flush_nagle() noexcept;
  void maybe_finish_linger(Instant now);
  Channel& channel(int ch);
  std::uint64_t buffered_send_bytes() const noexcept { return unacked_reliable_ + queued_dgram_bytes_; }
  bool can_send_soon(std::size_t bytes) const noexcept;
  Duration max_ack_delay() const noexcept;
  Duration pto_base() const noexcept;

  // connection_recv.cpp
  bool frames_parse(Bytes plaintext) const;
  void deliver(int channel, Bytes message) override;
  void deliver_owned(int channel, std::vector<std::uint8_t>& message) override;

  // connection_send.cpp
  std::size_t build_hello(Instant now, MutBytes buf);
  std::size_t build_close(Instant now, MutBytes buf);
  std::size_t seal_and_record(Instant now, MutBytes buf, std::size_t plaintext_len, bool ack_eliciting,
                              std::uint64_t stream_first, std::uint16_t stream_count, bool retransmission,
                              bool has_window = false);
  bool fill_streams(ByteWriter& w, bool& retransmission);
  bool has_sendable_data() const noexcept;
  void mark_active(int ch);
  std::uint64_t flow_allowance() const noexcept;

  // connection_recovery.cpp
  Status on_ack_frame(const AckFrame& f, Instant now);
  void on_packet_acked(SentPacket& p, Instant now);
  void requeue_streams(const SentPacket& p);
  void detect_lost(Instant now);
  void on_loss_timer(Instant now);
  Instant loss_detection_deadline() const noexcept;
  void pop_resolved();
  SentPacket* find_sent(std::uint64_t pn) noexcept;

  EndpointContext& ctx_;
  const ConnectionId id_;
  Address peer_addr_;
  bool read_paused_ = false;  // the application's own queue is full: flow control as when delivery_queue_full
  const bool incoming_;
  State state_;
  Rng rng_;

  // Handshake.
  std::unique_ptr<crypto::HandshakeInitiator> initiator_;
  std::optional<crypto::SessionKeys> keys_;
  crypto::Certificate peer_cert_;
  std::uint32_t peer_conn_id_ = 0;
  std::vector<std::uint8_t> welcome_;
  std::array<std::uint8_t, 32> initiator_ephemeral_{};
  std::uint32_t initiator_conn_id_ = 0;
  Address hello_from_;
  unsigned hellos_sent_ = 0;
  Instant first_hello_at_{};
  Instant next_hello_at_ = kInstantNever;
  Instant handshake_deadline_ = kInstantNever;
  Instant welcome_at_{};

  // Receive side.
  crypto::ReplayWindow replay_;
  AckTracker acks_;
  std::uint64_t recv_span_total_ = 0;  // Σ RecvStream::span() over channels
  // Out-of-order ranges held over all channels, bounded so a peer can't make every insert
  // shift millions of entries. 4096 covers the gaps of a full 8 MiB window at ~60% loss
  // (8 MiB / 1300 B ≈ 6450 packets in flight); beyond it a packet is refused, not fatal.
  static constexpr std::size_t kMaxRecvGaps = 4096;
  std::size_t recv_gaps_total_ = 0;
  std::uint64_t undelivered_bytes_ = 0;  // queued for poll_message, not yet taken

  // Send side.
  std::vector<std::unique_ptr<Channel>> channels_;
  std::vector<std::uint8_t> active_;  // channels that may have sendable stream data
  std::bitset<256> is_active_;
  std::size_t rr_cursor_ = 0;
  std::vector<std::uint8_t> held_;  // channels with Nagle-held bytes
  std::bitset<256> is_held_;
  std::uint64_t nagle_held_bytes_ = 0;
  Instant nagle_since_ = kInstantNever;
  std::uint64_t unacked_reliable_ = 0;  // Σ SendStream::unacked_bytes()
  std::uint64_t flow_used_ = 0;         // Σ (next_new − base): the flow window in use (§7.6)
  Ring<QueuedDatagram> datagrams_;
  std::uint64_t queued_dgram_bytes_ = 0;
  bool ping_pending_ = false;
  bool window_acked_ = false;  // the peer has acknowledged our WINDOW frame
  // The peer's max_recv_buffer_bytes (§7.6); until its WINDOW frame arrives, the
  // smallest window any valid Config has.
  std::uint64_t peer_window_ = 64 * 1024;
  unsigned probes_pending_ = 0;

  // Recovery.
  Ring<SentPacket> sent_;
  Ring<StreamRecord> stream_records_;
  std::uint64_t stream_base_ = 0;  // absolute index of stream_records_.front()
  std::uint64_t next_pn_ = 0;
  std::uint64_t largest_acked_ = 0;
  bool any_acked_ = false;
  std::uint64_t scan_from_ = 0;
  Instant loss_time_ = kInstantNever;
  unsigned pto_count_ = 0;
  Instant last_eliciting_sent_{};
  std::uint64_t bytes_in_flight_ = 0;
  std::uint64_t eliciting_in_flight_ = 0;
  RttEstimator rtt_;
  std::unique_ptr<CongestionController> cc_;
  DeliveryRateEstimator rate_;
  Pacer pacer_;
  double loss_rate_ = 0;

  // Liveness and close.
  Instant last_received_{};
  Instant linger_deadline_ = kInstantNever;
  Instant drain_deadline_ = kInstantNever;
  bool close_pending_ = false;       // put a CLOSE frame in the next packet
  unsigned close_resends_left_ = 0;  // CLOSE repeats left (timer or packets received while draining)
  Instant close_resend_at_ = kInstantNever;
  bool closed_by_peer_ = false;
  CloseReason close_reason_ = CloseReason::application;
  std::uint16_t close_app_code_ = 0;
  std::string close_message_;

  ConnectionStats stats_;
};

}  // namespace kettle::transport
