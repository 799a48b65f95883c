// Pair: two Endpoints on a virtual clock (quinn's tests/util.rs shape). Each step
// jumps to the earliest event (a datagram arrival or an endpoint deadline), so
// seconds of protocol time run in microseconds. Links add latency and, from the
// seeded Rng, loss, duplication and reordering; a filter can drop chosen
// datagrams. Steps are bounded so a livelock fails the test instead of hanging.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "core/rng.hpp"
#include "crypto/certificate.hpp"
#include "crypto/keys.hpp"
#include "transport/endpoint.hpp"

namespace kettle::transport::test {

struct Link {
  Duration latency = ms(5);  // one way
  double loss = 0;
  double duplicate = 0;
  double reorder = 0;  // probability of an extra 0..2×latency delay
  bool blackhole = false;
  double rate_bytes_per_s = 0;        // bottleneck rate (0 = unlimited): datagrams queue behind each other
  std::size_t queue_bytes = 1 << 20;  // bottleneck buffer; datagrams arriving to a full queue are dropped
  // Bottleneck state (set by the harness).
  Instant free_at{};
};

struct Datagram {
  bool from_a = false;
  std::vector<std::uint8_t> bytes;
};

class Pair {
 public:
  explicit Pair(std::uint64_t seed, Config ca = {}, Config cb = {}) : seed_(seed), rng_(seed) {
    EXPECT_TRUE(crypto::init().ok());
    static const crypto::SigningKeyPair root = crypto::SigningKeyPair::generate();
    const std::uint64_t expiry = unix_now_s() + 3600;
    id_a_ = crypto::Identity::make(root, SteamID::individual(1), 480, expiry);
    id_b_ = crypto::Identity::make(root, SteamID::individual(2), 480, expiry);
    auto ea = Endpoint::create(ca, id_a_, seed * 2 + 1);
    auto eb = Endpoint::create(cb, id_b_, seed * 2 + 2);
    EXPECT_TRUE(ea.ok() && eb.ok());
    a = std::move(*ea);
    b = std::move(*eb);
    buf_.resize(64 * 1024);
  }

  std::uint64_t seed() const { return seed_; }

  std::unique_ptr<Endpoint> a, b;
  // Where each side's datagrams appear to come from; a test may move a side (roaming). The
  // harness delivers by direction, whatever address a datagram was sent to (last_to_*).
  Address addr_a = Address::loopback_v4(40001);
  Address addr_b = Address::loopback_v4(40002);
  Address last_to_from_a, last_to_from_b;
  Instant now = Instant{} + secs(1);
  Link a_to_b, b_to_a;
  // Return false to drop a datagram before the link sees it (counted in filtered).
  std::function<bool(const Datagram&)> filter;

  std::vector<Event> events_a, events_b;
  std::vector<Message> msgs_a, msgs_b;
  std::uint64_t datagrams_a_to_b = 0, datagrams_b_to_a = 0, filtered = 0;

  // Injects raw bytes as if `from` sent them (arrives now).
  void inject(bool to_b, std::vector<std::uint8_t> bytes, const Address& from) {
    Endpoint& e = to_b ? *b : *a;
    e.on_datagram(bytes, from, now);
    drain();
  }

  // Moves all pending output onto the links and collects events and messages.
  void drain() {
    drain_one(*a, true);
    drain_one(*b, false);
  }

  // One step: advance to the earliest arrival/deadline (but not past `cap`) and
  // process it. False if nothing is scheduled before the cap.
  bool step(Instant cap = kInstantNever) {
    drain();
    Instant t = std::min(a->next_deadline(), b->next_deadline());
    if (!in_flight_.empty()) t = std::min(t, in_flight_.begin()->first.first);
    if (t > cap) t = cap;
    if (t == kInstantNever) return false;
    if (t > now) now = t;
    while (!in_flight_.empty() && in_flight_.begin()->first.first <= now) {
      auto node = in_flight_.extract(in_flight_.begin());
      Datagram& d = node.mapped();
      Endpoint& to = d.from_a ? *b : *a;
      to.on_datagram(d.bytes, d.from_a ? addr_a : addr_b, now);
    }
    if (a->next_deadline() <= now) a->on_timer(now);
    if (b->next_deadline() <= now) b->on_timer(now);
    drain();
    // Sans-IO contract: once inputs are handled and outputs drained, no deadline may
    // already be due, or a driver would spin.
    if (!spin_reported_ && (a->next_deadline() <= now || b->next_deadline() <= now)) {
      spin_reported_ = true;
      ADD_FAILURE() << "a deadline is still due after draining (busy loop), seed " << seed_;
    }
    return true;
  }

  // Steps until pred() or the step/time budget runs out. Returns pred().
  template <class Pred>
  bool run_until(Pred pred, Duration max_time = secs(60), std::size_t max_steps = 2'000'000) {
    const Instant limit = now + max_time;
    for (std::size_t i = 0; i < max_steps && !pred(); ++i) {
      if (now >= limit || !step(limit)) break;
    }
    return pred();
  }
  // Runs for exactly `d` of virtual time.
  void run_for(Duration d) {
    const Instant until = now + d;
    for (std::size_t i = 0; i < 2'000'000 && now < until; ++i) {
      if (!step(until)) break;
    }
    if (now < until) now = until;
    drain();
  }

  // Connects a → b; returns {id on a, id on b}.
  std::pair<ConnectionId, ConnectionId> connect() {
    auto id = a->connect(addr_b, now);
    EXPECT_TRUE(id.ok());
    std::pair<ConnectionId, ConnectionId> ids{*id, 0};
    const bool ok = run_until([&] { return connected(events_a) != 0 && connected(events_b) != 0; }, secs(30));
    EXPECT_TRUE(ok) << "handshake did not complete, seed " << seed_;
    ids.second = connected(events_b);
    return ids;
  }

  static ConnectionId connected(const std::vector<Event>& evs) {
    for (const auto& e : evs)
      if (auto* c = std::get_if<Connected>(&e)) return c->conn;
    return 0;
  }
  static const Closed* closed(const std::vector<Event>& evs) {
    for (const auto& e : evs)
      if (auto* c = std::get_if<Closed>(&e)) return c;
    return nullptr;
  }

 private:
  void drain_one(Endpoint& e, bool is_a) {
    while (auto t = e.poll_transmit(now, buf_)) {
      (is_a ? last_to_from_a : last_to_from_b) = t->to;
      const std::size_t seg = t->segment_size ? t->segment_size : t->size;
      for (std::size_t off = 0; off < t->size; off += seg) {
        Datagram d{is_a,
                   std::vector<std::uint8_t>(buf_.begin() + static_cast<std::ptrdiff_t>(off),
                                             buf_.begin() + static_cast<std::ptrdiff_t>(std::min(t->size, off + seg)))};
        ++(is_a ? datagrams_a_to_b : datagrams_b_to_a);
        send_on_link(std::move(d), is_a ? a_to_b : b_to_a);
      }
    }
    while (auto ev = e.poll_event()) (is_a ? events_a : events_b).push_back(std::move(*ev));
    Message m;
    while (e.poll_message(m)) (is_a ? msgs_a : msgs_b).push_back(m);
  }

  void send_on_link(Datagram d, Link& link) {
    if (filter && !filter(d)) {
      ++filtered;
      return;
    }
    if (link.blackhole || rng_.chance(link.loss)) return;
    Duration queued{0};
    if (link.rate_bytes_per_s > 0) {  // serialise through the bottleneck
      const Instant start = std::max(now, link.free_at);
      const double backlog_bytes = static_cast<double>(to_us(start - now)) * 1e-6 * link.rate_bytes_per_s;
      if (backlog_bytes > static_cast<double>(link.queue_bytes)) return;  // tail drop
      link.free_at =
          start + us(static_cast<std::int64_t>(static_cast<double>(d.bytes.size()) * 1e6 / link.rate_bytes_per_s));
      queued = link.free_at - now;
    }
    const int copies = rng_.chance(link.duplicate) ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      Duration delay = link.latency + queued;
      if (rng_.chance(link.reorder)) delay += us(static_cast<std::int64_t>(rng_.below(2 * to_us(link.latency) + 1)));
      in_flight_.emplace(std::make_pair(now + delay, seq_++), d);
    }
  }

  std::uint64_t seed_;
  Rng rng_;
  crypto::Identity id_a_, id_b_;
  std::vector<std::uint8_t> buf_;
  std::multimap<std::pair<Instant, std::uint64_t>, Datagram> in_flight_;
  std::uint64_t seq_ = 0;
  bool spin_reported_ = false;
};

// Payloads that check themselves: (channel, index) determine every byte.
inline std::vector<std::uint8_t> make_payload(int channel, std::uint32_t index, std::size_t size) {
  std::vector<std::uint8_t> p(size);
  std::uint64_t x = (static_cast<std::uint64_t>(channel) << 32) ^ index ^ 0x9e3779b97f4a7c15ULL;
  for (std::size_t i = 0; i < size; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    p[i] = static_cast<std::uint8_t>(x);
  }
  if (size >= 4) {
    p[0] = static_cast<std::uint8_t>(index), p[1] = static_cast<std::uint8_t>(index >> 8);
    p[2] = static_cast<std::uint8_t>(index >> 16), p[3] = static_cast<std::uint8_t>(index >> 24);
  }
  return p;
}

}  // namespace kettle::transport::test
