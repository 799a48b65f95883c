#include "net/conditioner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace kettle::net {
namespace {

struct Delivery {
  Instant at;
  std::uint32_t seq;  // from the payload's first 4 bytes
  std::vector<std::uint8_t> data;
};

std::vector<std::uint8_t> payload(std::uint32_t seq, std::size_t size = 1200) {
  std::vector<std::uint8_t> v(size);
  for (std::size_t i = 0; i < size; ++i) v[i] = static_cast<std::uint8_t>(seq * 7 + i);
  store_le32(v.data(), seq);
  return v;
}

// Pushes `count` datagrams, one every `interval`, popping everything due along the way (a
// virtual clock that visits every push time and every delivery time), then drains the rest.
std::vector<Delivery> run(Conditioner& c, std::uint32_t count, Duration interval, std::size_t size = 1200) {
  std::vector<Delivery> out;
  Datagram d;
  Instant now = kInstantZero + secs(1);
  auto drain_until = [&](Instant t) {
    while (c.next_ready() <= t) {
      const Instant at = c.next_ready();
      ASSERT_TRUE(c.pop_ready(at, d));
      out.push_back({at, load_le32(d.data.data()), d.data});
    }
  };
  for (std::uint32_t i = 0; i < count; ++i) {
    drain_until(now);
    c.push(payload(i, size), now);
    now += interval;
  }
  drain_until(kInstantNever - us(1));
  EXPECT_EQ(c.pending(), 0u);
  return out;
}

Conditioner make(const char* spec, std::uint64_t seed) {
  auto s = LinkSettings::parse(spec);
  EXPECT_TRUE(s.ok()) << spec << ": " << s.error().to_string();
  auto c = Conditioner::create(*s, seed);
  EXPECT_TRUE(c.ok());
  return std::move(c).value();
}

constexpr std::uint64_t kSeed = 0x5eed0001;

TEST(Conditioner, PassthroughDeliversEverythingAtOnceInOrder) {
  Conditioner c = make("", kSeed);
  const Instant t0 = kInstantZero + secs(5);
  for (std::uint32_t i = 0; i < 10; ++i) c.push(payload(i, 10 + i), t0);
  EXPECT_EQ(c.next_ready(), t0);
  Datagram d;
  for (std::uint32_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(c.pop_ready(t0, d));
    EXPECT_EQ(d.data, payload(i, 10 + i));
  }
  EXPECT_FALSE(c.pop_ready(t0, d));
  EXPECT_EQ(c.next_ready(), kInstantNever);
  EXPECT_EQ(c.counters().passed, 10u);
}

TEST(Conditioner, RoutingTagsAreCarriedThrough) {
  Conditioner c = make("latency=1ms", kSeed);
  const Address from = Address::loopback_v4(1), to = Address::loopback_v4(2);
  c.push(payload(1), kInstantZero, from, to);
  Datagram d;
  EXPECT_FALSE(c.pop_ready(kInstantZero + us(999), d));
  ASSERT_TRUE(c.pop_ready(kInstantZero + ms(1), d));
  EXPECT_EQ(d.from, from);
  EXPECT_EQ(d.to, to);
}

TEST(Conditioner, LossRateMatchesSetting) {
  for (std::uint64_t seed : {kSeed, kSeed + 1}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Conditioner c = make("loss=5%", seed);
    const auto out = run(c, 100000, us(10), 16);
    const double lost = static_cast<double>(c.counters().lost) / 100000;
    EXPECT_NEAR(lost, 0.05, 0.004);
    EXPECT_EQ(out.size() + c.counters().lost, 100000u);
    EXPECT_TRUE(std::is_sorted(out.begin(), out.end(), [](auto& a, auto& b) { return a.seq < b.seq; }));
  }
}

TEST(Conditioner, FullLossDeliversNothing) {
  Conditioner c = make("loss=100%", kSeed);
  EXPECT_TRUE(run(c, 1000, us(10)).empty());
  EXPECT_EQ(c.counters().lost, 1000u);
}

TEST(Conditioner, LatencyDelaysEveryDatagramExactly) {
  Conditioner c = make("latency=25ms", kSeed);
  const Instant t0 = kInstantZero + secs(1);
  c.push(payload(0), t0);
  Datagram d;
  EXPECT_FALSE(c.pop_ready(t0 + ms(25) - us(1), d));
  EXPECT_EQ(c.next_ready(), t0 + ms(25));
  EXPECT_TRUE(c.pop_ready(t0 + ms(25), d));
}

TEST(Conditioner, JitterSpreadsDelayUniformlyAroundLatency) {
  Conditioner c = make("latency=50ms,jitter=10ms", kSeed);
  // Spaced far apart so the ordering rule never holds a datagram back.
  const auto out = run(c, 5000, ms(100));
  ASSERT_EQ(out.size(), 5000u);
  std::vector<double> delays_ms;
  for (const auto& d : out)
    delays_ms.push_back(static_cast<double>(to_us(d.at - (kInstantZero + secs(1) + ms(100) * d.seq))) / 1000);
  const auto [mn, mx] = std::minmax_element(delays_ms.begin(), delays_ms.end());
  EXPECT_GE(*mn, 40.0);
  EXPECT_LE(*mx, 60.0);
  EXPECT_LT(*mn, 41.0);  // the whole range is used
  EXPECT_GT(*mx, 59.0);
  EXPECT_NEAR(std::accumulate(delays_ms.begin(), delays_ms.end(), 0.0) / 5000, 50.0, 0.5);
}

TEST(Conditioner, JitterAloneNeverReorders) {
  Conditioner c = make("latency=20ms,jitter=15ms", kSeed);
  const auto out = run(c, 20000, us(50));
  ASSERT_EQ(out.size(), 20000u);
  for (std::size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i].seq, i);
}

TEST(Conditioner, DuplicationRateMatchesAndCopiesAreExact) {
  Conditioner c = make("dup=10%", kSeed);
  const auto out = run(c, 50000, us(10));
  EXPECT_NEAR(static_cast<double>(c.counters().duplicated) / 50000, 0.10, 0.006);
  EXPECT_EQ(out.size(), 50000u + c.counters().duplicated);
  std::size_t dups = 0;
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i].seq == out[i - 1].seq) {
      ++dups;
      EXPECT_EQ(out[i].data, out[i - 1].data);
      EXPECT_EQ(out[i].at, out[i - 1].at);  // the copy arrives right with the original
    }
  }
  EXPECT_EQ(dups, c.counters().duplicated);
}

TEST(Conditioner, ReorderedDatagramsLandAfterLaterOnes) {
  Conditioner c = make("latency=5ms,reorder=10%,reorder_delay=10ms", kSeed);
  const auto out = run(c, 20000, ms(1));
  ASSERT_EQ(out.size(), 20000u);
  EXPECT_NEAR(static_cast<double>(c.counters().reordered) / 20000, 0.10, 0.01);
  // A datagram is "late" if one pushed after it was delivered before it.
  std::size_t late = 0;
  std::uint32_t max_seen = 0;
  for (const auto& d : out) {
    if (d.seq < max_seen) ++late;
    max_seen = std::max(max_seen, d.seq);
  }
  // With 1 ms spacing and 10 ms extra delay, every reordered datagram is overtaken (except
  // consecutive reordered ones, which keep their relative order and may trail the last).
  EXPECT_GE(late, c.counters().reordered * 9 / 10);
  EXPECT_LE(late, c.counters().reordered);
}

TEST(Conditioner, RateLimitCapsThroughputAndQueueDrops) {
  // Offered 2 MB/s for 1 s into a 1 MB/s bottleneck with a 50 ms (50 KB) queue.
  Conditioner c = make("rate=1MB/s,queue=50ms", kSeed);
  const auto out = run(c, 1667, us(600));
  const std::uint64_t delivered = c.counters().bytes_passed;
  const double span_s = static_cast<double>(to_us(out.back().at - out.front().at)) / 1e6;
  EXPECT_NEAR(static_cast<double>(delivered) / span_s, 1e6, 1e4);
  EXPECT_NEAR(static_cast<double>(c.counters().rate_dropped), 1667.0 / 2, 60);
  for (std::size_t i = 1; i < out.size(); ++i) ASSERT_GE(out[i].at - out[i - 1].at, us(1200));  // 1200 B at 1 MB/s
  // Queueing delay never exceeds the queue (50 ms) plus one datagram's serialization.
  for (const auto& d : out) ASSERT_LE(d.at - (kInstantZero + secs(1) + us(600) * d.seq), ms(50) + us(1200) * 2);
}

TEST(Conditioner, QueueInBytesBoundsBacklog) {
  Conditioner c = make("rate=100KB/s,queue=12KB", kSeed);
  const Instant t0 = kInstantZero;
  for (std::uint32_t i = 0; i < 100; ++i) c.push(payload(i), t0);  // a burst
  // The limit counts every byte not yet serialized, the datagram on the wire included.
  EXPECT_EQ(c.pending(), 10u);
  EXPECT_EQ(c.counters().rate_dropped, 90u);
}

TEST(Conditioner, MaxPendingBoundsMemory) {
  Conditioner c = make("latency=1s,max_pending=64KiB", kSeed);
  for (std::uint32_t i = 0; i < 100; ++i) c.push(payload(i), kInstantZero);
  EXPECT_EQ(c.pending(), 54u);  // 54 * 1200 <= 65536 < 55 * 1200
  EXPECT_EQ(c.counters().overflow_dropped, 46u);
  EXPECT_LE(c.pending_bytes(), 65536u);
}

TEST(Conditioner, SameSeedSameOutputDifferentSeedDifferent) {
  const char* spec = "loss=5%,latency=25ms,jitter=5ms,dup=3%,reorder=4%,rate=5MB/s,queue=20ms";
  Conditioner a = make(spec, kSeed), b = make(spec, kSeed), other = make(spec, kSeed + 99);
  const auto ra = run(a, 20000, us(150));
  const auto rb = run(b, 20000, us(150));
  const auto ro = run(other, 20000, us(150));
  ASSERT_EQ(ra.size(), rb.size());
  for (std::size_t i = 0; i < ra.size(); ++i) {
    ASSERT_EQ(ra[i].at, rb[i].at) << i;
    ASSERT_EQ(ra[i].data, rb[i].data) << i;
  }
  EXPECT_EQ(a.counters().to_string(), b.counters().to_string());
  bool differs = ra.size() != ro.size();
  for (std::size_t i = 0; !differs && i < ra.size(); ++i) differs = ra[i].at != ro[i].at || ra[i].seq != ro[i].seq;
  EXPECT_TRUE(differs);
  // Every knob did something, so the determinism check covers all of them.
  EXPECT_GT(a.counters().lost, 0u);
  EXPECT_GT(a.counters().duplicated, 0u);
  EXPECT_GT(a.counters().reordered, 0u);
  EXPECT_GT(a.counters().rate_dropped, 0u);
}

TEST(Conditioner, CountersAccountForEveryDatagram) {
  Conditioner c = make("loss=10%,dup=5%,rate=2MB/s,queue=5ms", kSeed);
  const auto out = run(c, 10000, us(300));
  const auto& k = c.counters();
  EXPECT_EQ(k.pushed, 10000u);
  EXPECT_EQ(k.passed, out.size());
  EXPECT_EQ(k.pushed + k.duplicated, k.passed + k.lost + k.rate_dropped + k.overflow_dropped);
}

TEST(Conditioner, CreateRejectsInvalidSettings) {
  LinkSettings s;
  s.loss_percent = 150;
  auto c = Conditioner::create(s, kSeed);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.code(), Errc::invalid_argument);
  EXPECT_NE(c.error().message.find("'loss'"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("[0%, 100%]"), std::string::npos) << c.error().message;
}

TEST(ConditionerPair, DirectionsAreIndependentAndErrorsNameTheDirection) {
  LinkPairSettings s;
  s.up = *LinkSettings::parse("loss=50%");
  s.down = *LinkSettings::parse("loss=50%");
  auto p = ConditionerPair::create(s, kSeed);
  ASSERT_TRUE(p.ok());
  std::vector<bool> up_lost, down_lost;
  for (std::uint32_t i = 0; i < 64; ++i) {
    const auto before_up = p->up.counters().lost, before_down = p->down.counters().lost;
    p->up.push(payload(i), kInstantZero);
    p->down.push(payload(i), kInstantZero);
    up_lost.push_back(p->up.counters().lost > before_up);
    down_lost.push_back(p->down.counters().lost > before_down);
  }
  EXPECT_NE(up_lost, down_lost);
  s.down.jitter = secs(11);
  auto bad = ConditionerPair::create(s, kSeed);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("down: ", 0), 0u) << bad.error().message;
}

}  // namespace
}  // namespace kettle::net
