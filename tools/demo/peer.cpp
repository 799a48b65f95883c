#include "demo/peer.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <deque>
#include <nlohmann/json.hpp>

#include "core/rng.hpp"
#include "crypto/certificate.hpp"
#include "crypto/keys.hpp"
#include "demo/traffic.hpp"
#include "net/event_loop.hpp"
#include "net/transport_driver.hpp"

namespace kettle::demo {
namespace {

using transport::SendType;

constexpr Duration kTick = ms(10);   // one round of sends per channel every tick
constexpr int kBufferedPerTick = 3;  // type-3 messages per channel per tick (Nagle coalesces)
constexpr Duration kCloseBudget = secs(5);

void print_line(const std::string& s) {
  std::fputs(s.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// Both processes derive the same throwaway trust root from the run's seed.
crypto::SigningKeyPair demo_root(std::uint64_t seed) {
  Rng rng(seed ^ 0x64656d6fULL);  // "demo"
  std::array<std::uint8_t, 32> key_seed{};
  for (std::size_t i = 0; i < key_seed.size(); i += 8) store_le64(key_seed.data() + i, rng.next());
  return crypto::SigningKeyPair::from_seed(key_seed);
}

struct Pending {
  SendType type;
  std::uint64_t n;  // message number in the channel's reliable stream
  bool summary = false;
};

struct ChannelSend {
  std::uint64_t reliable_next = 0;
  std::uint64_t unreliable_next[2] = {0, 0};
  Summary counts;
  std::deque<Pending> backlog;  // reliable messages waiting for send buffer space, in order
};

class Peer {
 public:
  Peer(const PeerOptions& o, net::TransportDriver& d)
      : o_(o), d_(d), me_(o.initiator ? 1 : 2), verifier_(o.seed, o.initiator ? 2 : 1) {}

  Status run();
  nlohmann::json summary() const;

 private:
  transport::Endpoint& ep() { return d_.endpoint(); }
  Status wait_connected(Instant deadline);
  Status pump(Instant wake_at);
  void tick(Instant now);
  Status drain_backlog(int channel, Instant now);
  void print_stats(Instant now, Instant t0, bool final = false);

  const PeerOptions& o_;
  net::TransportDriver& d_;
  std::uint32_t me_;
  TrafficVerifier verifier_;
  transport::ConnectionId conn_ = 0;
  bool connected_ = false;
  bool closed_ = false;
  std::string close_detail_;
  std::array<ChannelSend, kChannels> ch_{};
  std::vector<std::uint8_t> buf_;
  transport::Message msg_;
  std::uint64_t msgs_sent_ = 0, msgs_received_ = 0;
  transport::ConnectionStats last_stats_{};
};

Status Peer::wait_connected(Instant deadline) {
  while (!connected_) {
    if (closed_) return make_error(Errc::closed, "handshake failed: " + close_detail_);
    if (monotonic_now() >= deadline) return make_error(Errc::timed_out, "handshake timed out");
    KETTLE_TRY(pump(std::min(deadline, monotonic_now() + ms(50))));
  }
  return {};
}

// One loop iteration, then events and messages.
Status Peer::pump(Instant wake_at) {
  KETTLE_TRY(d_.run_once(wake_at));
  while (auto ev = ep().poll_event()) {
    if (const auto* c = std::get_if<transport::Connected>(&*ev)) {
      if (conn_ == 0) conn_ = c->conn;
      connected_ = connected_ || c->conn == conn_;
    } else if (const auto* cl = std::get_if<transport::Closed>(&*ev); cl && cl->conn == conn_) {
      closed_ = true;
      close_detail_ = std::string(transport::close_reason_name(cl->reason)) + (cl->by_peer ? " (by peer)" : "");
    }
  }
  while (ep().poll_message(msg_)) {
    if (msg_.conn != conn_) continue;
    ++msgs_received_;
    verifier_.on_message(msg_.channel, msg_.reliable, msg_.data);
  }
  if (conn_ != 0) {
    if (auto s = ep().connection_stats(conn_)) last_stats_ = *s;
  }
  return {};
}

Status Peer::drain_backlog(int channel, Instant now) {
  ChannelSend& c = ch_[static_cast<std::size_t>(channel)];
  while (!c.backlog.empty()) {
    const Pending& p = c.backlog.front();
    if (p.summary) {
      make_summary(c.counts, buf_);
    } else {
      make_message(o_.seed, me_, channel, p.type, p.n, buf_);
    }
    const Status st = ep().send(conn_, channel, p.summary ? SendType::reliable : p.type, buf_, now);
    if (st.code() == Errc::would_block) return {};  // retried on the next iteration, order kept
    if (!st) return st;
    ++msgs_sent_;
    c.backlog.pop_front();
  }
  return {};
}

void Peer::tick(Instant now) {
  for (int channel = 0; channel < kChannels; ++channel) {
    ChannelSend& c = ch_[static_cast<std::size_t>(channel)];
    for (const SendType t : {SendType::unreliable, SendType::unreliable_no_delay}) {
      const int s = stream_of(t);
      make_message(o_.seed, me_, channel, t, c.unreliable_next[s]++, buf_);
      // Only accepted sends count as sent; a type-1 message the engine drops still counts
      // (it was accepted), which the receiver sees as loss.
      if (ep().send(conn_, channel, t, buf_, now)) {
        ++c.counts.unreliable_sent[s];
        ++msgs_sent_;
      }
    }
    c.backlog.push_back({SendType::reliable, c.reliable_next++});
    for (int i = 0; i < kBufferedPerTick; ++i) c.backlog.push_back({SendType::reliable_buffered, c.reliable_next++});
    c.counts.reliable = c.reliable_next;
  }
}

void Peer::print_stats(Instant now, Instant t0, bool final) {
  const auto& s = last_stats_;
  const std::string when = final ? std::string("end") : fmt::format("{:>2}s", to_us(now - t0) / 1'000'000);
  print_line(fmt::format(
      "stats [{:>3}] rtt {:6.1f} ms | loss {:4.1f}% | sent {:7.2f} MB recv {:7.2f} MB | msgs {:6} sent {:6} recv | "
      "retx {:5} pkts | bw est {:7.2f} MB/s",
      when, static_cast<double>(to_us(s.rtt_smoothed)) / 1000.0, s.loss_rate * 100.0,
      static_cast<double>(s.bytes_sent) / 1e6, static_cast<double>(s.bytes_received) / 1e6, msgs_sent_, msgs_received_,
      s.retransmitted_packets, s.send_rate_bytes_per_s / 1e6));
}

Status Peer::run() {
  const Instant deadline =
      monotonic_now() + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o_.timeout_s));
  if (o_.initiator) {
    auto to = Address::parse(o_.connect);
    if (!to) return std::move(to).error();
    auto id = ep().connect(*to, monotonic_now());
    if (!id) return std::move(id).error();
    conn_ = *id;
    KETTLE_TRY(d_.flush(monotonic_now()));
  }
  KETTLE_TRY(wait_connected(deadline));

  const Instant t0 = monotonic_now();
  const Instant send_until = t0 + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o_.seconds));
  Instant next_tick = t0, next_stats = t0 + secs(1);
  bool summaries_queued = false;
  for (;;) {
    Instant now = monotonic_now();
    if (now >= deadline) return make_error(Errc::timed_out, "the exchange did not finish in time");
    if (closed_) return make_error(Errc::closed, "connection closed early: " + close_detail_);
    if (now < send_until && now >= next_tick) {
      tick(now);
      next_tick += kTick;
    }
    if (now >= send_until && !summaries_queued) {
      for (auto& c : ch_) c.backlog.push_back({SendType::reliable, 0, true});
      summaries_queued = true;
    }
    bool backlog_empty = true;
    for (int channel = 0; channel < kChannels; ++channel) {
      KETTLE_TRY(drain_backlog(channel, now));
      backlog_empty = backlog_empty && ch_[static_cast<std::size_t>(channel)].backlog.empty();
    }
    KETTLE_TRY(d_.flush(now));
    if (o_.initiator && now >= next_stats) {
      print_stats(now, t0);
      next_stats += secs(1);
    }
    if (summaries_queued && backlog_empty && verifier_.complete()) break;
    Instant wake = std::min(next_stats, deadline);
    if (now < send_until) wake = std::min(wake, next_tick);
    if (!backlog_empty) wake = std::min(wake, now + ms(5));  // retry blocked reliable sends soon
    KETTLE_TRY(pump(wake));
  }
  if (o_.initiator) print_stats(monotonic_now(), t0, true);
  // Graceful close: our queued reliable data (the summaries) is still delivered first.
  KETTLE_TRY(ep().close(conn_, 0, "demo done", monotonic_now()));
  const Instant close_by = std::min(deadline, monotonic_now() + kCloseBudget);
  while (!closed_ && monotonic_now() < close_by) KETTLE_TRY(pump(std::min(close_by, monotonic_now() + ms(50))));
  return {};
}

nlohmann::json Peer::summary() const {
  nlohmann::json j;
  j["role"] = o_.initiator ? "a" : "b";
  j["verified"] = verifier_.verified();
  j["stray"] = verifier_.stray_failures();
  nlohmann::json chans = nlohmann::json::array();
  for (const auto& r : verifier_.report()) {
    nlohmann::json c;
    c["reliable_delivered"] = r.reliable_delivered;
    c["reliable_sent"] = r.summary ? r.summary->reliable : 0;
    c["unreliable_delivered"] = {r.unreliable_delivered[0], r.unreliable_delivered[1]};
    c["unreliable_sent"] = {r.summary ? r.summary->unreliable_sent[0] : 0,
                            r.summary ? r.summary->unreliable_sent[1] : 0};
    c["failures"] = r.failures;
    c["summary_received"] = r.summary.has_value();
    chans.push_back(c);
  }
  j["channels"] = chans;
  j["rtt_ms"] = static_cast<double>(to_us(last_stats_.rtt_smoothed)) / 1000.0;
  j["packets_lost"] = last_stats_.packets_lost;
  j["retransmitted_packets"] = last_stats_.retransmitted_packets;
  j["unreliable_dropped_no_delay"] = last_stats_.unreliable_dropped_no_delay;
  return j;
}

}  // namespace

int run_peer(const PeerOptions& o) {
  nlohmann::json out;
  out["role"] = o.initiator ? "a" : "b";
  auto fail = [&](const Error& e) {
    out["verified"] = false;
    out["error"] = e.to_string();
    print_line(out.dump());
    return 1;
  };
  if (auto st = crypto::init(); !st) return fail(st.error());
  auto loop = net::EventLoop::create();
  if (!loop) return fail(loop.error());
  const std::uint32_t me = o.initiator ? 1 : 2;
  const auto identity = crypto::Identity::make(demo_root(o.seed), SteamID::individual(me), 480, unix_now_s() + 3600);
  auto ep = transport::Endpoint::create(transport::Config{}, identity, o.seed * 2 + me);
  if (!ep) return fail(ep.error());
  auto driver = net::TransportDriver::create(**loop, std::move(*ep), Address::loopback_v4(0));
  if (!driver) return fail(driver.error());
  if (!o.initiator) print_line("listening " + (*driver)->local_address().to_string());

  Peer peer(o, **driver);
  const Status st = peer.run();
  nlohmann::json j = peer.summary();
  if (!st) {
    j["verified"] = false;
    j["error"] = st.error().to_string();
  }
  print_line(j.dump());
  return j["verified"].get<bool>() ? 0 : 1;
}

}  // namespace kettle::demo
