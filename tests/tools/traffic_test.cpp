#include "demo/traffic.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/rng.hpp"

namespace kettle::demo {
namespace {

using transport::SendType;

std::vector<std::uint8_t> msg(int channel, SendType t, std::uint64_t n, std::uint32_t sender = 1) {
  std::vector<std::uint8_t> v;
  make_message(5, sender, channel, t, n, v);
  return v;
}

std::vector<std::uint8_t> summary(std::uint64_t reliable, std::uint64_t u0, std::uint64_t u1) {
  std::vector<std::uint8_t> v;
  Summary s;
  s.reliable = reliable;
  s.unreliable_sent[0] = u0;
  s.unreliable_sent[1] = u1;
  make_summary(s, v);
  return v;
}

TEST(DemoTraffic, SizesFollowTheSendTypeLimits) {
  for (std::uint64_t n = 0; n < 500; ++n) {
    EXPECT_LE(msg(0, SendType::unreliable, n).size(), transport::kMaxUnreliableSize);
    EXPECT_LE(msg(1, SendType::unreliable_no_delay, n).size(), transport::kMaxUnreliableSize);
    EXPECT_LE(msg(0, SendType::reliable_buffered, n).size(), 256u);
    EXPECT_LE(msg(1, SendType::reliable, n).size(), transport::kMaxReliableSize);
  }
  EXPECT_GE(msg(0, SendType::reliable, 63).size(), 64u << 10);  // every 64th is fragmented
}

TEST(DemoTraffic, AFullExchangeVerifies) {
  TrafficVerifier v(5, 1);
  for (int ch = 0; ch < kChannels; ++ch) {
    // Reliable types 2 and 3 interleave in one ordered stream; unreliable arrive out of order.
    std::uint64_t n = 0;
    for (int i = 0; i < 20; ++i) {
      v.on_message(ch, true, msg(ch, i % 3 == 0 ? SendType::reliable : SendType::reliable_buffered, n++));
    }
    for (std::uint64_t u : {3, 1, 2}) v.on_message(ch, false, msg(ch, SendType::unreliable, u));
    v.on_message(ch, false, msg(ch, SendType::unreliable_no_delay, 0));
    EXPECT_FALSE(v.complete());
    v.on_message(ch, true, summary(20, 5, 1));
  }
  EXPECT_TRUE(v.complete());
  EXPECT_TRUE(v.verified());
  EXPECT_EQ(v.report()[1].unreliable_delivered[0], 3u);
  EXPECT_EQ(v.report()[1].reliable_delivered, 20u);
}

TEST(DemoTraffic, EachKindOfFaultFailsVerification) {
  auto corrupt = msg(0, SendType::reliable, 0);
  corrupt.back() ^= 0x80;
  auto truncated = msg(0, SendType::reliable, 0);
  truncated.pop_back();
  struct Case {
    const char* name;
    std::vector<std::pair<bool, std::vector<std::uint8_t>>> ch0;  // (reliable, bytes) on channel 0
  };
  const std::vector<Case> cases{
      {"reliable missing", {{true, msg(0, SendType::reliable, 1)}, {true, summary(2, 0, 0)}}},
      {"reliable reordered", {{true, msg(0, SendType::reliable, 1)}, {true, msg(0, SendType::reliable, 0)}}},
      {"reliable corrupt", {{true, corrupt}}},
      {"reliable truncated", {{true, truncated}}},
      {"other sender's stream", {{true, msg(0, SendType::reliable, 0, 2)}}},
      {"other channel's stream", {{true, msg(1, SendType::reliable, 0)}}},
      {"unreliable duplicate", {{false, msg(0, SendType::unreliable, 4)}, {false, msg(0, SendType::unreliable, 4)}}},
      {"unreliable on the reliable path", {{true, msg(0, SendType::unreliable, 0)}}},
      {"more unreliable than sent",
       {{false, msg(0, SendType::unreliable, 0)}, {false, msg(0, SendType::unreliable, 1)}, {true, summary(0, 1, 0)}}},
      {"data after the summary", {{true, summary(0, 0, 0)}, {true, msg(0, SendType::reliable, 0)}}},
  };
  for (const auto& c : cases) {
    TrafficVerifier v(5, 1);
    for (const auto& [reliable, bytes] : c.ch0) v.on_message(0, reliable, bytes);
    if (!v.report()[0].summary) v.on_message(0, true, summary(v.report()[0].reliable_delivered, 100, 100));
    v.on_message(1, true, summary(0, 0, 0));
    EXPECT_FALSE(v.verified()) << c.name;
  }
}

TEST(DemoTraffic, RandomBytesNeverVerify) {
  const std::uint64_t seed = 99;
  Rng rng(seed);
  TrafficVerifier v(5, 1);
  for (int i = 0; i < 1000; ++i) {
    std::vector<std::uint8_t> junk(rng.range(0, 300));
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng.next());
    v.on_message(static_cast<int>(rng.below(3)), rng.chance(0.5), junk);
  }
  EXPECT_FALSE(v.verified()) << "seed " << seed;
  EXPECT_GT(v.report()[0].failures + v.report()[1].failures + v.stray_failures(), 900u) << "seed " << seed;
}

}  // namespace
}  // namespace kettle::demo
