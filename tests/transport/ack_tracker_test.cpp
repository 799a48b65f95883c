#include "transport/ack_tracker.hpp"

#include <gtest/gtest.h>

namespace kettle::transport {
namespace {

TEST(AckTracker, AcksEverySecondElicitingPacketImmediately) {
  AckTracker t;
  const Instant t0{};
  t.on_packet(0, true, t0, ms(5));
  EXPECT_TRUE(t.has_unacked());
  EXPECT_FALSE(t.ack_due(t0));
  EXPECT_EQ(t.deadline(), t0 + ms(5));
  t.on_packet(1, true, t0, ms(5));
  EXPECT_TRUE(t.ack_due(t0));
  t.on_ack_sent();
  EXPECT_FALSE(t.has_unacked());
}

TEST(AckTracker, DelayedAckFiresAtDeadline) {
  AckTracker t;
  t.on_packet(0, true, Instant{}, ms(5));
  EXPECT_FALSE(t.ack_due(Instant{} + ms(4)));
  EXPECT_TRUE(t.ack_due(Instant{} + ms(5)));
}

TEST(AckTracker, GapTriggersImmediateAckAndRangesAreReported) {
  AckTracker t;
  const Instant now{};
  t.on_packet(0, true, now, ms(25));
  t.on_ack_sent();
  t.on_packet(2, true, now, ms(25));  // 1 missing
  EXPECT_TRUE(t.ack_due(now));
  t.on_packet(3, false, now, ms(25));
  const AckFrame f = t.build(now + us(700));
  ASSERT_EQ(f.range_count, 2u);
  EXPECT_EQ(f.ranges[0], (AckFrame::Range{2, 3}));
  EXPECT_EQ(f.ranges[1], (AckFrame::Range{0, 0}));
  EXPECT_EQ(f.ack_delay_us, 700u);
}

TEST(AckTracker, NonElicitingPacketsNeverForceAnAck) {
  AckTracker t;
  for (std::uint64_t pn = 0; pn < 10; ++pn) t.on_packet(pn, false, Instant{}, ms(1));
  EXPECT_TRUE(t.has_unacked());
  EXPECT_FALSE(t.ack_due(Instant{} + secs(10)));
  EXPECT_EQ(t.deadline(), kInstantNever);
}

TEST(AckTracker, RangeCountIsCapped) {
  AckTracker t;
  for (std::uint64_t pn = 0; pn < 200; pn += 2) t.on_packet(pn, true, Instant{}, ms(1));
  const AckFrame f = t.build(Instant{});
  EXPECT_EQ(f.range_count, AckFrame::kMaxRanges);
  EXPECT_EQ(f.largest(), 198u);
}

}  // namespace
}  // namespace kettle::transport
