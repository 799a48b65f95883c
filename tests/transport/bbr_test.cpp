// BBR through the Pair harness over a rate-limited bottleneck: the bandwidth
// estimate finds the bottleneck, pacing keeps the queue (and so the RTT) short,
// and random loss costs only retransmissions, not the sending rate.
#include <gtest/gtest.h>

#include <cstdio>

#include "transport/transport_pair.hpp"

namespace kettle::transport {
namespace {

using test::make_payload;
using test::Pair;

struct BulkResult {
  double goodput_bytes_per_s = 0;
  ConnectionStats stats;
};

// Sends `total` bytes of 64 KiB reliable messages a → b, keeping the send buffer full.
BulkResult bulk(Pair& p, ConnectionId ca, std::size_t total) {
  constexpr std::size_t kMsg = 64 * 1024;
  std::uint32_t next = 0;
  std::size_t received = 0;
  const Instant start = p.now;
  const bool done = p.run_until(
      [&] {
        while (next * kMsg < total && p.a->send(ca, 0, SendType::reliable, make_payload(0, next, kMsg), p.now).ok()) {
          ++next;
        }
        received = p.msgs_b.size() * kMsg;
        return received >= total;
      },
      secs(120));
  EXPECT_TRUE(done) << "seed " << p.seed();
  BulkResult r;
  r.goodput_bytes_per_s = static_cast<double>(received) / (static_cast<double>(to_us(p.now - start)) * 1e-6);
  r.stats = *p.a->connection_stats(ca);
  std::printf("seed %llu: goodput %.2f MB/s, bw estimate %.2f MB/s, srtt %lld us, lost %llu, loss rate %.3f\n",
              static_cast<unsigned long long>(p.seed()), r.goodput_bytes_per_s / 1e6,
              r.stats.send_rate_bytes_per_s / 1e6, static_cast<long long>(to_us(r.stats.rtt_smoothed)),
              static_cast<unsigned long long>(r.stats.packets_lost), r.stats.loss_rate);
  return r;
}

void setup_path(Pair& p, double rate, Duration one_way, std::size_t queue_bytes) {
  for (test::Link* l : {&p.a_to_b, &p.b_to_a}) {
    l->latency = one_way;
    l->rate_bytes_per_s = rate;
    l->queue_bytes = queue_bytes;
  }
}

TEST(Bbr, FindsTheBottleneckAndKeepsTheQueueShort) {
  Pair p(50);
  setup_path(p, 10e6, ms(20), 512 * 1024);  // 10 MB/s, 40 ms RTT, 50 ms of buffer
  auto [ca, cb] = p.connect();
  const auto r = bulk(p, ca, 12u << 20);
  EXPECT_GT(r.goodput_bytes_per_s, 8e6);  // including STARTUP
  EXPECT_GT(r.stats.send_rate_bytes_per_s, 8e6);
  EXPECT_LT(r.stats.send_rate_bytes_per_s, 12.5e6);
  // Pacing at the estimate keeps the standing queue far below the 50 ms buffer.
  EXPECT_LT(r.stats.rtt_smoothed, ms(65)) << "queueing delay " << to_us(r.stats.rtt_smoothed - ms(40)) << " us";
  EXPECT_GE(r.stats.rtt_min, ms(40));
}

TEST(Bbr, RandomLossDoesNotCollapseTheRate) {
  for (std::uint64_t seed : {51u, 52u}) {
    Pair p(seed);
    setup_path(p, 10e6, ms(25), 512 * 1024);  // the benchmark's loss scenario shape: 50 ms RTT
    auto [ca, cb] = p.connect();
    p.a_to_b.loss = p.b_to_a.loss = 0.05;
    const auto r = bulk(p, ca, 8u << 20);
    // A loss-based controller gets ~0.1 MB/s here (Mathis: MSS / (RTT × √p)).
    EXPECT_GT(r.goodput_bytes_per_s, 6e6) << "seed " << seed;
    EXPECT_GT(r.stats.packets_lost, 500u) << "seed " << seed;
    EXPECT_NEAR(r.stats.loss_rate, 0.05, 0.03) << "seed " << seed;
  }
}

}  // namespace
}  // namespace kettle::transport

namespace kettle::transport {
namespace {

// The scheduler puts datagrams before stream data, and pacing keeps the bottleneck
// queue short, so a small unreliable message overtakes megabytes of queued bulk.
TEST(Bbr, UnreliableMessagesDoNotWaitBehindBulk) {
  Config c;
  c.max_send_buffer_bytes = 16u << 20;
  Pair p(53, c);
  setup_path(p, 10e6, ms(20), 512 * 1024);
  auto [ca, cb] = p.connect();
  for (std::uint32_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(p.a->send(ca, 0, SendType::reliable, make_payload(0, i, 1 << 20), p.now).ok());
  }
  // STARTUP overfills the 50 ms buffer (BBRv1); by ~0.8 s DRAIN has emptied it.
  p.run_for(ms(900));
  ASSERT_LT(p.msgs_b.size(), 9u);  // bulk still flowing: 10 MiB need ~1.2 s
  const Instant sent = p.now;
  ASSERT_TRUE(p.a->send(ca, 1, SendType::unreliable, make_payload(1, 7, 200), p.now).ok());
  ASSERT_TRUE(p.run_until(
      [&] {
        for (const auto& m : p.msgs_b)
          if (m.channel == 1) return true;
        return false;
      },
      secs(5)));
  EXPECT_LT(p.now - sent, ms(30)) << "one-way latency is 20 ms";
  EXPECT_LT(p.msgs_b.size(), 10u) << "the datagram arrived before the bulk finished";
}

}  // namespace
}  // namespace kettle::transport
