// Endpoint: routing and handshake dispatch (docs/protocol.md §10 steps 1–3).
// Connections run the protocol; the endpoint owns them, routes datagrams by
// connection id, answers HELLOs through the stateless responder and hands out
// events and messages.
#include "transport/endpoint.hpp"

#include <algorithm>
#include <deque>
#include <set>
#include <unordered_map>

#include "transport/connection.hpp"
#include "transport/packet.hpp"

namespace kettle::transport {

std::string_view close_reason_name(CloseReason r) noexcept {
  switch (r) {
    case CloseReason::application:
      return "application";
    case CloseReason::idle_timeout:
      return "idle_timeout";
    case CloseReason::handshake_timeout:
      return "handshake_timeout";
    case CloseReason::auth_failed:
      return "auth_failed";
    case CloseReason::version_mismatch:
      return "version_mismatch";
    case CloseReason::protocol_violation:
      return "protocol_violation";
    case CloseReason::endpoint_shutdown:
      return "endpoint_shutdown";
    case CloseReason::resource_limit:
      return "resource_limit";
  }
  return "unknown";
}

namespace {

constexpr std::size_t kHelloEphemeralOffset = 7;  // type, version, conn id u32, suites u8 (§4)
constexpr std::size_t kMaxPendingReplies = 1024;  // queued COOKIE/WELCOME/VERSION_MISMATCH datagrams
constexpr std::size_t kMaxGsoSegments = 64;       // Linux UDP_MAX_SEGMENTS
constexpr std::size_t kMaxGsoBytes = 65000;       // below the 64 KiB UDP length limit

struct HelloKey {
  Address from;
  std::uint32_t initiator_conn_id;
  friend bool operator==(const HelloKey&, const HelloKey&) = default;
};
struct HelloKeyHash {
  std::size_t operator()(const HelloKey& k) const noexcept {
    return std::hash<Address>{}(k.from) ^ (static_cast<std::size_t>(k.initiator_conn_id) * 0x9e3779b97f4a7c15ULL);
  }
};

struct PendingReply {
  Address to;
  std::array<std::uint8_t, crypto::kWelcomeSize> bytes{};
  std::size_t size = 0;
};

class EndpointImpl final : public Endpoint {
  // Per connection: the engine plus the endpoint's scheduling state, so timers and
  // output cost O(log n) per event instead of a walk over every connection.
  struct Entry {
    std::unique_ptr<Connection> conn;
    Instant deadline = kInstantNever;  // as filed in deadlines_
    bool ready = false;                // queued in ready_
    bool accepted = false;             // counted in accepted_count_ (cookie policy)
  };

 public:
  EndpointImpl(const Config& config, const crypto::Identity& identity, std::uint64_t seed)
      : config_(config),
        identity_(identity),
        rng_(seed),
        ctx_{config_, identity_, stats_, messages_, events_},
        responder_(identity_, config.accept_anonymous_peers),
        unix_base_s_(unix_now_s()) {
    reply_buf_.resize(crypto::kHelloSize);
    scratch_.resize(2048);
  }

  void set_identity(const crypto::Identity& identity) override { identity_ = identity; }

  void on_datagram(Bytes d, const Address& from, Instant now) override {
    note_time(now);
    ++stats_.datagrams_received;
    if (d.empty()) {
      ++stats_.dropped_too_short;
      return;
    }
    switch (d[0]) {
      case static_cast<std::uint8_t>(crypto::PacketType::hello):
        return on_hello(d, from, now);
      case static_cast<std::uint8_t>(crypto::PacketType::cookie):
      case static_cast<std::uint8_t>(crypto::PacketType::welcome):
      case static_cast<std::uint8_t>(crypto::PacketType::version_mismatch): {
        if (d.size() < crypto::kReplyConnIdOffset + 4) {
          ++stats_.dropped_too_short;
          return;
        }
        Connection* c = find(load_le32(d.data() + crypto::kReplyConnIdOffset));
        if (!c || c->state() != Connection::State::connecting) {
          ++stats_.dropped_unknown_connection;
          return;
        }
        c->on_handshake_reply(d, now, unix_s(now));
        return after_call(c);
      }
      case kDataType: {
        if (d.size() < kMinDataPacketSize || d.size() > scratch_.size()) {
          ++(d.size() < kMinDataPacketSize ? stats_.dropped_too_short : stats_.dropped_malformed);
          return;
        }
        Connection* c = find(load_le32(d.data() + 1));
        if (!c) {
          ++stats_.dropped_unknown_connection;
          return;
        }
        // Decryption is in place and the caller's bytes are const: one copy.
        std::copy(d.begin(), d.end(), scratch_.begin());
        c->on_data(MutBytes(scratch_.data(), d.size()), from, now);
        return after_call(c);
      }
      default:
        ++stats_.dropped_unknown_type;
    }
  }

  // Only connections whose cached deadline is due are visited: O(due · log n).
  void on_timer(Instant now) override {
    note_time(now);
    due_.clear();
    for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now; ++it) due_.push_back(it->second);
    for (ConnectionId id : due_) {
      if (Connection* c = find(id)) {
        c->on_timer(now);
        after_call(c);
      }
    }
  }

  Result<ConnectionId> connect(const Address& to, Instant now) override {
    note_time(now);
    if (conns_.size() >= config_.max_connections) {
      return make_error(Errc::would_block, "connect: max_connections reached");
    }
    const ConnectionId id = new_conn_id();
    auto c = std::make_unique<Connection>(ctx_, id, to, false, now, rng_.next());
    c->start_connect(now);
    add(std::move(c));
    return id;
  }

  Status send(ConnectionId conn, int channel, SendType type, Bytes payload, Instant now) override {
    note_time(now);
    Connection* c = find(conn);
    if (!c) return make_error(Errc::not_connected, "send: unknown connection " + std::to_string(conn));
    if (channel < 0 || channel >= config_.channels) {
      return make_error(Errc::invalid_argument, "send: channel " + std::to_string(channel) + " outside [0, " +
                                                    std::to_string(config_.channels) + ")");
    }
    if (static_cast<std::uint8_t>(type) > static_cast<std::uint8_t>(SendType::reliable_buffered)) {
      return make_error(Errc::invalid_argument, "send: unknown send type " + std::to_string(static_cast<int>(type)));
    }
    if (payload.empty()) return make_error(Errc::invalid_argument, "send: empty payload");
    Status st = c->send(channel, type, payload, now);
    after_call(c);
    return st;
  }

  Status close(ConnectionId conn, std::uint16_t app_code, std::string_view message, Instant now) override {
    note_time(now);
    Connection* c = find(conn);
    if (!c) return make_error(Errc::not_connected, "close: unknown connection " + std::to_string(conn));
    Status s = c->close(app_code, message, now);
    after_call(c);
    return s;
  }

  Status migrate(ConnectionId conn, const Address& to, Instant now) override {
    note_time(now);
    Connection* c = find(conn);
    if (!c) return make_error(Errc::not_connected, "migrate: unknown connection " + std::to_string(conn));
    Status s = c->migrate(to, now);
    after_call(c);
    return s;
  }

  Status set_read_paused(ConnectionId conn, bool paused, Instant now) override {
    note_time(now);
    Connection* c = find(conn);
    if (!c) return make_error(Errc::not_connected, "set_read_paused: unknown connection " + std::to_string(conn));
    c->set_read_paused(paused);
    return {};
  }

  Status finish_close(ConnectionId conn, Instant now) override {
    note_time(now);
    Connection* c = find(conn);
    if (!c) return make_error(Errc::not_connected, "finish_close: unknown connection " + std::to_string(conn));
    c->finish_close(now);
    after_call(c);
    return {};
  }

  std::optional<Transmit> poll_transmit(Instant now, MutBytes buf) override {
    note_time(now);
    if (buf.size() < config_.max_datagram_size) return std::nullopt;
    if (!replies_.empty()) {
      const PendingReply& r = replies_.front();
      std::copy_n(r.bytes.begin(), r.size, buf.begin());
      Transmit t{r.to, r.size, r.size};
      replies_.pop_front();
      ++stats_.datagrams_sent;
      return t;
    }
    const std::size_t mds = config_.max_datagram_size;
    // Only connections touched since they last had nothing to send can have output.
    while (!ready_.empty()) {
      const ConnectionId id = ready_.front();
      ready_.pop_front();
      auto it = conns_.find(id);
      if (it == conns_.end()) continue;
      Entry& e = it->second;
      Connection* c = e.conn.get();
      std::size_t size = c->build_datagram(now, buf);
      if (size == 0) {
        e.ready = false;
        refresh(id, e);
        continue;
      }
      // GSO: keep filling equal-sized segments while the previous one was full.
      std::size_t total = size, segments = 1;
      while (size == mds && segments < kMaxGsoSegments && total + mds <= std::min(buf.size(), kMaxGsoBytes)) {
        size = c->build_datagram(now, buf.subspan(total, mds));
        if (size == 0) break;
        total += size;
        ++segments;
      }
      ready_.push_back() = id;  // still ready; to the back, so connections take turns
      stats_.datagrams_sent += segments;
      Transmit t{c->peer_address(), total, segments > 1 ? mds : total};
      refresh(id, e);
      return t;
    }
    return std::nullopt;
  }

  Instant next_deadline() const override { return deadlines_.empty() ? kInstantNever : deadlines_.begin()->first; }

  std::optional<Event> poll_event() override {
    if (events_.empty()) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
  }

  bool poll_message(Message& out) override {
    if (messages_.empty()) return false;
    Message& m = messages_.front();
    out.conn = m.conn;
    out.channel = m.channel;
    out.reliable = m.reliable;
    out.data.swap(m.data);  // the slot keeps the caller's old buffer for reuse
    messages_.pop_front();
    if (auto it = conns_.find(out.conn); it != conns_.end()) it->second.conn->on_message_polled(out.data.size());
    return true;
  }

  Result<ConnectionStats> connection_stats(ConnectionId conn) const override {
    auto it = conns_.find(conn);
    if (it == conns_.end()) return make_error(Errc::not_connected, "connection_stats: unknown connection");
    return it->second.conn->stats();
  }

  const EndpointStats& stats() const override { return stats_; }

 private:
  void note_time(Instant now) {
    if (!have_time_) {
      first_now_ = now;
      have_time_ = true;
    }
  }
  // Certificates expire in wall-clock time, which the engine never reads after
  // construction: unix time = wall clock at create() + elapsed engine time.
  std::uint64_t unix_s(Instant now) const {
    return unix_base_s_ + static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_us(now - first_now_)) / 1000000);
  }

  Connection* find(ConnectionId id) {
    auto it = conns_.find(id);
    return it == conns_.end() ? nullptr : it->second.conn.get();
  }

  ConnectionId new_conn_id() {
    for (;;) {
      const auto id = static_cast<ConnectionId>(rng_.next());
      if (id != 0 && !conns_.contains(id)) return id;
    }
  }

  void add(std::unique_ptr<Connection> c) {
    const ConnectionId id = c->id();
    Entry& e = conns_[id];
    e.accepted = c->state() == Connection::State::accepted;
    accepted_count_ += e.accepted;
    e.conn = std::move(c);
    after_call(e.conn.get());
  }

  void remove(ConnectionId id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Entry& e = it->second;
    if (e.conn->hello_from().is_set()) {
      // Only our own entry: a newer HELLO with the same key may have replaced it.
      auto h = hello_index_.find(HelloKey{e.conn->hello_from(), e.conn->initiator_conn_id()});
      if (h != hello_index_.end() && h->second == id) hello_index_.erase(h);
    }
    if (e.deadline != kInstantNever) deadlines_.erase({e.deadline, id});
    accepted_count_ -= e.accepted;
    conns_.erase(it);  // a stale id left in ready_ is skipped by poll_transmit
  }

  // After any input to a connection: it may have output now, and its deadline may have moved.
  void after_call(Connection* c) {
    auto it = conns_.find(c->id());
    if (it == conns_.end()) return;
    Entry& e = it->second;
    if (!e.ready) {
      e.ready = true;
      ready_.push_back() = c->id();
    }
    refresh(c->id(), e);
  }

  // Re-files the connection's deadline (or removes it if dead). Invalidates `e` when it removes.
  void refresh(ConnectionId id, Entry& e) {
    if (e.conn->is_dead()) {
      remove(id);
      return;
    }
    if (e.accepted && e.conn->state() != Connection::State::accepted) {
      e.accepted = false;
      --accepted_count_;
    }
    const Instant d = e.conn->next_deadline();
    if (d == e.deadline) return;
    if (e.deadline != kInstantNever && d != kInstantNever) {
      // Move the node (no allocation: this runs after nearly every input and output).
      auto node = deadlines_.extract({e.deadline, id});
      node.value().first = d;
      deadlines_.insert(std::move(node));
    } else if (e.deadline != kInstantNever) {
      deadlines_.erase({e.deadline, id});
    } else {
      deadlines_.emplace(d, id);
    }
    e.deadline = d;
  }

  void queue_reply(const Address& to, Bytes bytes) {
    if (replies_.size() >= kMaxPendingReplies || bytes.size() > crypto::kWelcomeSize) {
      ++stats_.dropped_handshake;
      return;
    }
    PendingReply& r = replies_.emplace_back();
    r.to = to;
    r.size = bytes.size();
    std::copy(bytes.begin(), bytes.end(), r.bytes.begin());
  }

  void on_hello(Bytes d, const Address& from, Instant now) {
    if (d.size() < crypto::kHelloSize) {  // every version's HELLO is ≥ 1200 bytes: no reply can amplify
      ++stats_.dropped_too_short;
      return;
    }
    // A retransmitted HELLO (same initiator id and ephemeral key) gets the stored WELCOME.
    const HelloKey key{from, load_le32(d.data() + 2)};
    if (auto it = hello_index_.find(key); it != hello_index_.end()) {
      Connection* c = find(it->second);
      if (c && c->is_same_hello(d.data() + kHelloEphemeralOffset)) {
        if (c->state() == Connection::State::accepted) {
          queue_reply(from, c->welcome());
        } else {
          ++stats_.dropped_handshake;  // already established: the HELLO is stale
        }
        return;
      }
    }
    if (conns_.size() >= config_.max_connections) {
      ++stats_.dropped_handshake;
      return;
    }
    const bool require_cookie =
        config_.cookie_policy == CookiePolicy::always ||
        (config_.cookie_policy == CookiePolicy::under_load && accepted_count_ >= config_.cookie_load_threshold);
    const ConnectionId id = new_conn_id();
    auto r = responder_.on_hello(d, from, id, require_cookie, unix_s(now), reply_buf_);
    if (!r) {
      ++(r.code() == Errc::auth_failed || r.code() == Errc::expired ? stats_.dropped_auth_failed
                                                                    : stats_.dropped_handshake);
      return;
    }
    const Bytes out(reply_buf_);
    if (auto* ck = std::get_if<crypto::HandshakeResponder::SendCookie>(&*r)) {
      ++stats_.cookies_sent;
      queue_reply(from, out.first(ck->size));
    } else if (auto* vm = std::get_if<crypto::HandshakeResponder::SendVersionMismatch>(&*r)) {
      queue_reply(from, out.first(vm->size));
    } else {
      auto& acc = std::get<crypto::HandshakeResponder::Accept>(*r);
      const Bytes welcome = out.first(acc.size);
      auto c = std::make_unique<Connection>(ctx_, id, from, true, now, rng_.next());
      c->start_accepted(std::move(acc), welcome, now);
      hello_index_[key] = id;
      queue_reply(from, welcome);
      add(std::move(c));
    }
  }

  Config config_;
  crypto::Identity identity_;
  Rng rng_;
  EndpointStats stats_;
  Ring<Message> messages_;
  std::deque<Event> events_;
  EndpointContext ctx_;
  crypto::HandshakeResponder responder_;
  std::unordered_map<ConnectionId, Entry> conns_;
  std::set<std::pair<Instant, ConnectionId>> deadlines_;
  Ring<ConnectionId> ready_;       // a ring, not a deque: steady-state push/pop allocates nothing
  std::vector<ConnectionId> due_;  // scratch for on_timer
  std::size_t accepted_count_ = 0;
  std::unordered_map<HelloKey, ConnectionId, HelloKeyHash> hello_index_;
  std::deque<PendingReply> replies_;
  std::vector<std::uint8_t> reply_buf_;
  std::vector<std::uint8_t> scratch_;
  std::uint64_t unix_base_s_;
  Instant first_now_{};
  bool have_time_ = false;
};

}  // namespace

Result<std::unique_ptr<Endpoint>> Endpoint::create(const Config& config, const crypto::Identity& identity,
                                                   std::uint64_t rng_seed) {
  KETTLE_TRY(config.validate());
  KETTLE_TRY(crypto::init());
  return std::unique_ptr<Endpoint>(std::make_unique<EndpointImpl>(config, identity, rng_seed));
}

}  // namespace kettle::transport
