// Stream reassembly model test: a random message sequence is cut into random
// overlapping ranges delivered in random order (with duplicates); the messages
// must come out complete, in order, exactly once.
#include "transport/recv_stream.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "core/rng.hpp"

namespace kettle::transport {
namespace {

constexpr std::size_t kNoGapLimit = 1u << 20;

struct Collect final : MessageSink {
  std::vector<std::vector<std::uint8_t>> got;
  void deliver(int, Bytes m) override { got.emplace_back(m.begin(), m.end()); }
  void deliver_owned(int, std::vector<std::uint8_t>& m) override { got.push_back(m); }
};

std::vector<std::uint8_t> frame_messages(const std::vector<std::vector<std::uint8_t>>& msgs) {
  std::vector<std::uint8_t> s;
  for (const auto& m : msgs) {
    std::uint8_t hdr[10];
    ByteWriter w(hdr);
    w.varint(m.size());
    s.insert(s.end(), hdr, hdr + w.size());
    s.insert(s.end(), m.begin(), m.end());
  }
  return s;
}

TEST(RecvStream, RandomOrderReassemblyMatchesModel) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    Rng rng(seed);
    std::vector<std::vector<std::uint8_t>> msgs(1 + rng.below(60));
    for (auto& m : msgs) {
      m.resize(1 + rng.below(rng.below(4) == 0 ? 20000 : 100));
      for (auto& b : m) b = static_cast<std::uint8_t>(rng.next());
    }
    const auto stream = frame_messages(msgs);
    struct Seg {
      std::uint64_t off;
      std::size_t len;
    };
    std::vector<Seg> segs;
    for (std::size_t off = 0; off < stream.size();) {
      const std::size_t len = std::min<std::size_t>(1 + rng.below(1500), stream.size() - off);
      segs.push_back({off, len});
      if (rng.below(5) == 0) segs.push_back({off, len});     // duplicate
      if (rng.below(7) == 0 && off + len < stream.size()) {  // overlapping retransmission
        segs.push_back({off + len / 2, std::min<std::size_t>(len, stream.size() - off - len / 2)});
      }
      off += len;
    }
    for (std::size_t i = segs.size(); i > 1; --i) std::swap(segs[i - 1], segs[rng.below(i)]);
    RecvStream rs(0);
    Collect sink;
    for (const Seg& s : segs) {
      auto r = rs.on_data(s.off, Bytes(stream).subspan(s.off, s.len), std::uint64_t{1} << 30, kNoGapLimit, sink);
      ASSERT_TRUE(r.ok()) << "seed " << seed;
      ASSERT_EQ(*r, RecvStream::Outcome::accepted);
    }
    EXPECT_EQ(rs.span(), 0u) << "seed " << seed;
    EXPECT_EQ(rs.contiguous_end(), stream.size());
    ASSERT_EQ(sink.got, msgs) << "seed " << seed;
  }
}

TEST(RecvStream, OutOfOrderBeyondAllowanceIsRefused) {
  RecvStream rs(0);
  Collect sink;
  std::vector<std::uint8_t> data(100, 1);
  auto r = rs.on_data(1000, data, 500, kNoGapLimit, sink);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, RecvStream::Outcome::refused_window);
  EXPECT_EQ(rs.span(), 0u);
  r = rs.on_data(300, data, 500, kNoGapLimit, sink);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, RecvStream::Outcome::accepted);
  EXPECT_EQ(rs.span(), 400u);
}

TEST(RecvStream, InvalidMessageHeadersAreErrors) {
  Collect sink;
  {
    RecvStream rs(0);
    const std::uint8_t zero_len[] = {0x00};
    EXPECT_EQ(rs.on_data(0, zero_len, 1 << 20, kNoGapLimit, sink).code(), Errc::malformed);
  }
  {
    RecvStream rs(0);
    const std::uint8_t too_big[] = {0x81, 0x80, 0x40};  // 1 + 2^20 * 0x40 > 1 MiB
    EXPECT_EQ(rs.on_data(0, too_big, 1 << 20, kNoGapLimit, sink).code(), Errc::malformed);
  }
  {
    RecvStream rs(0);
    const std::uint8_t long_hdr[] = {0x80, 0x80, 0x80, 0x01};
    EXPECT_EQ(rs.on_data(0, long_hdr, 1 << 20, kNoGapLimit, sink).code(), Errc::malformed);
  }
  EXPECT_TRUE(sink.got.empty());
}

// Review finding: a peer sending 1-byte frames at every other offset could make the
// receiver hold millions of ranges. New disjoint ranges beyond the allowance are refused
// (flow control: unacked, resent later); inserts that merge are still accepted and the
// stream still reassembles exactly once everything arrives.
TEST(RecvStream, NewOutOfOrderRangesBeyondTheGapAllowanceAreRefused) {
  const std::vector<std::vector<std::uint8_t>> msgs{std::vector<std::uint8_t>(40, 0x11)};
  const auto stream = frame_messages(msgs);  // 41 bytes: header + payload
  RecvStream rs(0);
  Collect sink;
  auto piece = [&](std::size_t off, std::size_t len) { return Bytes(stream).subspan(off, len); };
  auto r = rs.on_data(10, piece(10, 1), 1 << 20, 2, sink);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, RecvStream::Outcome::accepted);
  r = rs.on_data(20, piece(20, 1), 1 << 20, 1, sink);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, RecvStream::Outcome::accepted);
  EXPECT_EQ(rs.gap_count(), 2u);
  // A third disjoint range with no allowance left: refused, nothing recorded.
  r = rs.on_data(30, piece(30, 1), 1 << 20, 0, sink);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, RecvStream::Outcome::refused_window);
  EXPECT_EQ(rs.gap_count(), 2u);
  // Extending an existing range needs no new gap: accepted even with zero allowance.
  r = rs.on_data(11, piece(11, 5), 1 << 20, 0, sink);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, RecvStream::Outcome::accepted);
  EXPECT_EQ(rs.gap_count(), 2u);
  // The in-order prefix joins everything up; the refused bytes arrive again later.
  ASSERT_TRUE(rs.on_data(0, piece(0, 30), 1 << 20, 0, sink).ok());
  EXPECT_EQ(rs.gap_count(), 0u);
  ASSERT_TRUE(rs.on_data(30, piece(30, stream.size() - 30), 1 << 20, 0, sink).ok());
  ASSERT_EQ(sink.got.size(), 1u);
  EXPECT_EQ(sink.got[0], msgs[0]);
}

}  // namespace
}  // namespace kettle::transport
