// Kettle behind the benchmark Link: one transport::Endpoint over a real UDP socket through
// net::TransportDriver, with the engine's default Config (what an application gets without
// tuning) and encryption always on. Reliable data is SendType::reliable, pings
// SendType::unreliable; flow control is the engine's own (send() → would_block).
#include <array>

#include "bench/link.hpp"
#include "core/rng.hpp"
#include "crypto/certificate.hpp"
#include "crypto/keys.hpp"
#include "net/event_loop.hpp"
#include "net/transport_driver.hpp"
#include "transport/endpoint.hpp"

namespace kettle::bench {
namespace {

using transport::SendType;

// Both processes derive the same throwaway root from the run's seed, so each can verify the
// other's certificate without passing keys around. Only for benchmarks on loopback.
crypto::SigningKeyPair bench_root(std::uint64_t seed) {
  Rng rng(seed ^ 0x726f6f74ULL);  // "root"
  std::array<std::uint8_t, 32> key_seed{};
  for (std::size_t i = 0; i < key_seed.size(); i += 8) store_le64(key_seed.data() + i, rng.next());
  return crypto::SigningKeyPair::from_seed(key_seed);
}

class KettleLink final : public Link {
 public:
  explicit KettleLink(const LinkOptions& o) : seed_(o.seed), account_(o.initiator ? 1 : 2) {
    if (o.kettle_send_buffer_bytes != 0) config_.max_send_buffer_bytes = o.kettle_send_buffer_bytes;
    if (o.kettle_busy_poll_us >= 0) loop_options_.busy_poll = us(o.kettle_busy_poll_us);
  }

  Result<std::uint16_t> bind_loopback() override {
    KETTLE_TRY(crypto::init());
    auto loop = net::EventLoop::create(loop_options_);
    if (!loop) return std::move(loop).error();
    loop_ = std::move(*loop);
    const auto root = bench_root(seed_);
    const auto identity = crypto::Identity::make(root, SteamID::individual(account_), 480, unix_now_s() + 3600);
    auto ep = transport::Endpoint::create(config_, identity, seed_ * 2 + account_);
    if (!ep) return std::move(ep).error();
    auto d = net::TransportDriver::create(*loop_, std::move(*ep), Address::loopback_v4(0));
    if (!d) return std::move(d).error();
    driver_ = std::move(*d);
    return driver_->local_address().port;
  }

  Status connect(const Address& to, Instant deadline) override {
    auto id = endpoint().connect(to, monotonic_now());
    if (!id) return std::move(id).error();
    conn_ = *id;
    KETTLE_TRY(driver_->flush(monotonic_now()));
    return wait_connected(deadline);
  }

  Status accept(Instant deadline) override { return wait_connected(deadline); }

  SendOutcome send(int channel, bool reliable, Bytes payload) override {
    const Status st =
        endpoint().send(conn_, channel, reliable ? SendType::reliable : SendType::unreliable, payload, monotonic_now());
    if (st) return SendOutcome::sent;
    if (st.code() == Errc::would_block) return SendOutcome::would_block;
    last_error_ = st.error().to_string();
    return SendOutcome::failed;
  }

  void flush() override {
    if (auto st = driver_->flush(monotonic_now()); !st) last_error_ = st.error().to_string();
  }

  Status poll(Duration max_wait, const MessageSink& sink) override {
    KETTLE_TRY(driver_->run_once(monotonic_now() + max_wait));
    drain_events();
    while (endpoint().poll_message(msg_)) {
      if (msg_.conn == conn_) sink(msg_.channel, msg_.data);
    }
    if (closed_) return make_error(Errc::closed, "Kettle connection closed: " + close_detail_);
    return {};
  }

  void close(Instant deadline) override {
    snapshot_stats();
    if (closed_ || conn_ == 0) return;
    if (!endpoint().close(conn_, 0, "benchmark done", monotonic_now())) return;
    while (!closed_ && monotonic_now() < deadline) {
      if (!driver_->run_once(std::min(deadline, monotonic_now() + ms(50)))) break;
      drain_events();
      while (endpoint().poll_message(msg_)) {
      }
    }
  }

  nlohmann::json stats() const override {
    nlohmann::json j = stats_;
    const auto& e = endpoint().stats();
    j["dropped_auth_failed"] = e.dropped_auth_failed;
    j["dropped_malformed"] = e.dropped_malformed;
    j["dropped_unknown_connection"] = e.dropped_unknown_connection;
    const auto& d = driver_->counters();
    j["driver_transmits"] = d.transmits;
    j["driver_send_blocked"] = d.send_blocked;
    j["gso"] = driver_->socket().gso_enabled();
    j["gro"] = driver_->socket().gro_enabled();
    if (!last_error_.empty()) j["last_error"] = last_error_;
    return j;
  }

 private:
  transport::Endpoint& endpoint() { return driver_->endpoint(); }
  const transport::Endpoint& endpoint() const { return driver_->endpoint(); }

  Status wait_connected(Instant deadline) {
    while (!connected_) {
      if (closed_) return make_error(Errc::closed, "Kettle handshake failed: " + close_detail_);
      if (monotonic_now() >= deadline) return make_error(Errc::timed_out, "Kettle handshake timed out");
      KETTLE_TRY(driver_->run_once(std::min(deadline, monotonic_now() + ms(50))));
      drain_events();  // messages stay queued in the engine until the first poll()
    }
    return {};
  }

  void drain_events() {
    while (auto ev = endpoint().poll_event()) {
      if (const auto* c = std::get_if<transport::Connected>(&*ev)) {
        if (conn_ == 0) conn_ = c->conn;  // the receiver takes the first incoming connection
        if (c->conn == conn_) connected_ = true;
      } else if (const auto* cl = std::get_if<transport::Closed>(&*ev)) {
        if (cl->conn == conn_) {
          if (!closed_) snapshot_stats();
          closed_ = true;
          close_detail_ = std::string(transport::close_reason_name(cl->reason)) + (cl->by_peer ? " by peer" : "") +
                          (cl->message.empty() ? "" : ": " + cl->message);
        }
      }
    }
  }

  void snapshot_stats() {
    if (conn_ == 0) return;
    auto s = endpoint().connection_stats(conn_);
    if (!s) return;
    stats_["rtt_smoothed_us"] = to_us(s->rtt_smoothed);
    stats_["rtt_min_us"] = to_us(s->rtt_min);
    stats_["loss_rate"] = s->loss_rate;
    stats_["packets_sent"] = s->packets_sent;
    stats_["packets_received"] = s->packets_received;
    stats_["packets_lost"] = s->packets_lost;
    stats_["retransmitted_packets"] = s->retransmitted_packets;
    stats_["retransmitted_bytes"] = s->retransmitted_bytes;
    stats_["bandwidth_estimate_Bps"] = s->send_rate_bytes_per_s;
    stats_["cwnd_bytes"] = s->cwnd_bytes;
  }

  transport::Config config_;       // defaults unless --kettle-send-buffer-kb
  net::LoopOptions loop_options_;  // defaults unless --kettle-busy-poll-us
  std::uint64_t seed_;
  std::uint32_t account_;  // the sender is steam id 1, the receiver 2
  std::unique_ptr<net::EventLoop> loop_;
  std::unique_ptr<net::TransportDriver> driver_;  // destroyed before loop_ (declared after it)
  transport::ConnectionId conn_ = 0;
  transport::Message msg_;
  bool connected_ = false;
  bool closed_ = false;
  std::string close_detail_;
  std::string last_error_;
  nlohmann::json stats_ = nlohmann::json::object();
};

}  // namespace

Result<std::unique_ptr<Link>> make_kettle_link(const LinkOptions& o) {
  return std::unique_ptr<Link>(std::make_unique<KettleLink>(o));
}

}  // namespace kettle::bench
