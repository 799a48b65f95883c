#include "transport/send_stream.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/rng.hpp"

namespace kettle::transport {
namespace {

TEST(SendStream, MessagesAreLengthPrefixedAndNagleHoldsUnflushedBytes) {
  SendStream s;
  s.write_message(as_bytes("abc"), false);
  EXPECT_EQ(s.end(), 4u);
  EXPECT_EQ(s.held_bytes(), 4u);
  EXPECT_FALSE(s.has_sendable(1 << 20));
  s.write_message(as_bytes("de"), true);
  EXPECT_EQ(s.held_bytes(), 0u);
  auto c = s.next_chunk(100, 1 << 20);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->offset, 0u);
  EXPECT_EQ(c->len, 7u);
  std::vector<std::uint8_t> out(7);
  s.copy(0, 7, out.data());
  EXPECT_EQ(out, (std::vector<std::uint8_t>{3, 'a', 'b', 'c', 2, 'd', 'e'}));
}

TEST(SendStream, FlowAllowanceLimitsNewBytesOnly) {
  SendStream s;
  std::vector<std::uint8_t> m(1000, 7);
  s.write_message(m, true);
  auto c = s.next_chunk(600, 100);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->len, 100u);
  EXPECT_FALSE(s.next_chunk(600, 0));
  s.on_lost(0, 100);
  auto r = s.next_chunk(600, 0);  // retransmissions ignore the allowance (already counted)
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->retransmission);
  EXPECT_EQ(r->len, 100u);
}

TEST(SendStream, LostRangesMinusAckedAreResentAndAcksFreeTheBase) {
  SendStream s;
  std::vector<std::uint8_t> m(2998);  // + 2-byte length = 3000 stream bytes
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = static_cast<std::uint8_t>(i);
  s.write_message(m, true);
  const auto a = *s.next_chunk(1000, 1 << 20);
  const auto b = *s.next_chunk(1000, 1 << 20);
  const auto c = *s.next_chunk(1000, 1 << 20);
  EXPECT_EQ(s.on_acked(b.offset, b.len), 0u);  // a gap at the front: base stays
  s.on_lost(a.offset, 3000);                   // a and c (b is acked)
  auto r1 = *s.next_chunk(5000, 0);
  EXPECT_EQ(r1.offset, 0u);
  EXPECT_EQ(r1.len, 1000u);
  auto r2 = *s.next_chunk(5000, 0);
  EXPECT_EQ(r2.offset, c.offset);
  EXPECT_EQ(s.on_acked(r1.offset, r1.len), 2000u);
  EXPECT_EQ(s.base(), 2000u);
  s.on_acked(r2.offset, r2.len);
  EXPECT_TRUE(s.all_acked());
}

TEST(SendStream, RingSurvivesGrowthAndWrap) {
  const std::uint64_t seed = 99;
  Rng rng(seed);
  SendStream s;
  std::vector<std::uint8_t> all;  // the stream's expected bytes
  for (int round = 0; round < 200; ++round) {
    std::vector<std::uint8_t> m(1 + rng.below(5000));
    for (auto& b : m) b = static_cast<std::uint8_t>(rng.next());
    std::uint8_t hdr[10];
    ByteWriter w(hdr);
    w.varint(m.size());
    all.insert(all.end(), hdr, hdr + w.size());
    all.insert(all.end(), m.begin(), m.end());
    s.write_message(m, true);
    while (auto c = s.next_chunk(1 + rng.below(3000), 1 << 30)) {
      std::vector<std::uint8_t> got(c->len);
      s.copy(c->offset, c->len, got.data());
      ASSERT_TRUE(std::equal(got.begin(), got.end(), all.begin() + static_cast<std::ptrdiff_t>(c->offset)))
          << "seed " << seed;
      if (rng.below(3) != 0)
        s.on_acked(c->offset, c->len);
      else
        s.on_lost(c->offset, c->len);
    }
  }
  EXPECT_TRUE(s.all_acked());
}

}  // namespace
}  // namespace kettle::transport
