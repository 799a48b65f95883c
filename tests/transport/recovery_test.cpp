// Loss recovery, retransmission and congestion control through the Pair harness.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "transport/packet.hpp"
#include "transport/transport_pair.hpp"

namespace kettle::transport {
namespace {

using test::Datagram;
using test::make_payload;
using test::Pair;

TEST(Recovery, OneMebibyteMessageCompletesAcrossFivePercentLoss) {
  for (std::uint64_t seed : {20u, 21u, 22u}) {
    Pair p(seed);
    p.a_to_b.latency = p.b_to_a.latency = ms(25);
    auto [ca, cb] = p.connect();
    p.a_to_b.loss = p.b_to_a.loss = 0.05;
    const auto big = make_payload(7, 1, 1 << 20);
    ASSERT_TRUE(p.a->send(ca, 7, SendType::reliable, big, p.now).ok());
    const Instant start = p.now;
    ASSERT_TRUE(p.run_until([&] { return !p.msgs_b.empty(); }, secs(30))) << "seed " << seed;
    EXPECT_EQ(p.msgs_b[0].data, big) << "seed " << seed;
    EXPECT_LT(p.now - start, secs(3)) << "seed " << seed;
    const auto st = *p.a->connection_stats(ca);
    EXPECT_GT(st.packets_lost, 0u);
    EXPECT_GT(st.retransmitted_bytes, 0u);
    EXPECT_GT(st.send_rate_bytes_per_s, 0.0);
    // Everything acked: the send buffer is empty again.
    ASSERT_TRUE(p.run_until([&] { return p.a->connection_stats(ca)->queued_reliable_bytes == 0; }, secs(5)));
  }
}

TEST(Recovery, LossDuplicationAndReorderingKeepPerChannelOrderAndExactlyOnce) {
  for (std::uint64_t seed = 30; seed < 36; ++seed) {
    Pair p(seed);
    auto [ca, cb] = p.connect();
    for (test::Link* l : {&p.a_to_b, &p.b_to_a}) {
      l->loss = 0.1;
      l->duplicate = 0.05;
      l->reorder = 0.2;
    }
    Rng rng(seed);
    std::map<int, std::uint32_t> sent;  // channel → messages sent
    std::uint32_t unreliable = 0;
    for (int i = 0; i < 3000; ++i) {
      const int ch = static_cast<int>(rng.below(4));
      const auto type = static_cast<SendType>(rng.below(4));
      const bool rel = type == SendType::reliable || type == SendType::reliable_buffered;
      const std::size_t size = 1 + rng.below(rng.below(10) == 0 ? 20000 : 200);
      if (!rel) {
        ASSERT_TRUE(p.a->send(ca, 10 + ch, type,
                              make_payload(10 + ch, unreliable++, std::clamp<std::size_t>(size, 4, 1200)), p.now)
                        .ok());
      } else {
        ASSERT_TRUE(p.a->send(ca, ch, type, make_payload(ch, sent[ch]++, size), p.now).ok());
      }
      if (rng.below(20) == 0) p.run_for(ms(static_cast<std::int64_t>(rng.below(30))));
    }
    std::uint32_t total = 0;
    for (auto& [ch, n] : sent) total += n;
    ASSERT_TRUE(p.run_until(
        [&] {
          std::uint32_t n = 0;
          for (const auto& m : p.msgs_b) n += m.reliable;
          return n == total;
        },
        secs(60)))
        << "seed " << seed;
    std::map<int, std::uint32_t> next;
    std::set<std::pair<int, std::uint32_t>> seen_unreliable;
    for (const auto& m : p.msgs_b) {
      const std::uint32_t idx =
          m.data.size() >= 4 ? (m.data[0] | m.data[1] << 8 | m.data[2] << 16 | m.data[3] << 24) : 0;
      if (m.reliable) {
        if (m.data.size() >= 4) {
          ASSERT_EQ(idx, next[m.channel]) << "order, seed " << seed;
        }
        ASSERT_EQ(m.data, make_payload(m.channel, next[m.channel], m.data.size())) << "seed " << seed;
        ++next[m.channel];
      } else {
        ASSERT_EQ(m.data, make_payload(m.channel, idx, m.data.size())) << "seed " << seed;
        if (m.data.size() >= 4) {
          ASSERT_TRUE(seen_unreliable.insert({m.channel, idx}).second) << "duplicate, seed " << seed;
        }
      }
    }
    EXPECT_EQ(Pair::closed(p.events_a), nullptr);
  }
}

TEST(Recovery, StalledChannelDoesNotDelayAnotherChannel) {
  Pair p(40);
  p.a_to_b.latency = p.b_to_a.latency = ms(20);
  auto [ca, cb] = p.connect();
  p.run_for(ms(100));
  // Drop the first three DATA packets a → b after the big channel-0 send: its head is lost twice over.
  int drop = 0;
  p.filter = [&](const Datagram& d) { return !(d.from_a && d.bytes[0] == kDataType && drop-- > 0); };
  drop = 1;
  const auto big = make_payload(0, 0, 6000);
  ASSERT_TRUE(p.a->send(ca, 0, SendType::reliable, big, p.now).ok());
  p.drain();
  ASSERT_LE(drop, 0);  // the head of channel 0 was dropped
  const Instant sent_small = p.now;
  ASSERT_TRUE(p.a->send(ca, 1, SendType::reliable, make_payload(1, 0, 50), p.now).ok());
  ASSERT_TRUE(p.run_until([&] { return !p.msgs_b.empty(); }, secs(5)));
  EXPECT_EQ(p.msgs_b[0].channel, 1) << "channel 1 first, not blocked by channel 0's hole";
  EXPECT_LT(p.now - sent_small, ms(22));  // one one-way latency (+ pacing), no retransmission wait
  ASSERT_TRUE(p.run_until([&] { return p.msgs_b.size() == 2; }, secs(5)));
  EXPECT_EQ(p.msgs_b[1].data, big);
  EXPECT_GT(p.now - sent_small, ms(20));
}

TEST(Recovery, TailLossIsRepairedByProbeTimeout) {
  Pair p(41);
  auto [ca, cb] = p.connect();
  p.run_for(ms(100));
  int drop = 1;
  p.filter = [&](const Datagram& d) { return !(d.from_a && d.bytes[0] == kDataType && drop-- > 0); };
  ASSERT_TRUE(p.a->send(ca, 0, SendType::reliable, make_payload(0, 0, 100), p.now).ok());
  const Instant start = p.now;
  ASSERT_TRUE(p.run_until([&] { return !p.msgs_b.empty(); }, secs(5)));
  EXPECT_EQ(p.msgs_b[0].data, make_payload(0, 0, 100));
  EXPECT_LT(p.now - start, ms(200));  // one PTO (~3 × RTT + max ack delay), not a second-scale RTO
}

TEST(Recovery, ReceiverBufferStaysBoundedUnderLoss) {
  Config c;
  c.max_recv_buffer_bytes = 256 << 10;
  Pair p(42, c, c);
  p.a_to_b.latency = p.b_to_a.latency = ms(10);
  auto [ca, cb] = p.connect();
  p.a_to_b.loss = 0.1;
  std::uint32_t sent = 0;
  while (p.a->send(ca, 0, SendType::reliable, make_payload(0, sent, 60000), p.now).ok()) ++sent;
  ASSERT_TRUE(p.run_until([&] { return p.msgs_b.size() == sent; }, secs(30))) << "seed " << p.seed();
  for (std::uint32_t i = 0; i < sent; ++i) ASSERT_EQ(p.msgs_b[i].data, make_payload(0, i, 60000));
  EXPECT_EQ(Pair::closed(p.events_b), nullptr);
}

}  // namespace
}  // namespace kettle::transport

namespace kettle::transport {
namespace {

// Mismatched receive bounds: the sender learns the receiver's (smaller) bound from its
// WINDOW frame and stays inside it, so 3 MiB still arrive across loss.
TEST(Recovery, SenderRespectsThePeersAdvertisedReceiveBound) {
  Config big, small;
  big.max_recv_buffer_bytes = 8u << 20;
  small.max_recv_buffer_bytes = 64u << 10;
  Pair p(43, big, small);
  auto [ca, cb] = p.connect();
  p.a_to_b.loss = 0.05;  // holes make the receiver buffer out-of-order bytes
  for (std::uint32_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(p.a->send(ca, 0, SendType::reliable, make_payload(0, i, 1 << 20), p.now).ok());
  }
  const bool done = p.run_until([&] { return p.msgs_b.size() == 3; }, secs(60));
  const auto st = *p.a->connection_stats(ca);
  ASSERT_TRUE(done) << "seed " << p.seed() << " t=" << to_us(p.now) << " got " << p.msgs_b.size() << " queued "
                    << st.queued_reliable_bytes << " inflight " << st.bytes_in_flight << " cwnd " << st.cwnd_bytes
                    << " lost " << st.packets_lost << " closed " << (Pair::closed(p.events_a) != nullptr);
  for (std::uint32_t i = 0; i < 3; ++i) EXPECT_EQ(p.msgs_b[i].data, make_payload(0, i, 1 << 20));
  EXPECT_EQ(Pair::closed(p.events_b), nullptr);
}

}  // namespace
}  // namespace kettle::transport

namespace kettle::transport {
namespace {

// Everything but key material comes from the seeded Rng and the virtual clock, so a
// lossy run replays exactly: the same messages in the same order, the same packet counts.
TEST(Recovery, SameSeedReplaysIdentically) {
  struct Trace {
    std::vector<std::pair<int, std::size_t>> deliveries;  // (channel, position × 10000 + size)
    std::uint64_t a_to_b = 0, b_to_a = 0;
  };
  auto run = [](std::uint64_t seed) {
    Pair p(seed);
    auto [ca, cb] = p.connect();
    for (test::Link* l : {&p.a_to_b, &p.b_to_a}) {
      l->loss = 0.1;
      l->duplicate = 0.05;
      l->reorder = 0.2;
    }
    for (std::uint32_t i = 0; i < 200; ++i) {
      EXPECT_TRUE(p.a->send(ca, static_cast<int>(i % 3), static_cast<SendType>(i % 4),
                            make_payload(static_cast<int>(i % 3), i, 100 + (i * 37) % 1000), p.now)
                      .ok());
    }
    p.run_for(secs(5));
    Trace t;
    std::size_t seen = 0;
    for (const auto& m : p.msgs_b) t.deliveries.emplace_back(m.channel, m.data.size() + 10000 * seen++);
    t.a_to_b = p.datagrams_a_to_b;
    t.b_to_a = p.datagrams_b_to_a;
    return t;
  };
  const Trace x = run(77), y = run(77);
  EXPECT_EQ(x.deliveries, y.deliveries);
  EXPECT_EQ(x.a_to_b, y.a_to_b);
  EXPECT_EQ(x.b_to_a, y.b_to_a);
  EXPECT_GT(x.deliveries.size(), 150u);
}

}  // namespace
}  // namespace kettle::transport
