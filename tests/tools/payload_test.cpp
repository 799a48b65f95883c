#include "bench/payload.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/rng.hpp"

namespace kettle::bench {
namespace {

std::vector<std::uint8_t> make(std::uint64_t seed, std::uint64_t seq, std::size_t size) {
  std::vector<std::uint8_t> v(size);
  fill_payload(seed, seq, v);
  return v;
}

TEST(Payload, RoundTripsForEverySizeIncludingPartialWords) {
  for (std::size_t size = kPayloadHeaderSize; size < 80; ++size) {
    const auto p = make(7, 42, size);
    EXPECT_TRUE(check_payload(7, 42, p)) << "size " << size;
    EXPECT_EQ(payload_seq(p), 42u);
  }
}

TEST(Payload, EveryFlippedBitIsDetected) {
  const std::uint64_t seed = 0x5eed;
  Rng rng(seed);
  auto p = make(seed, 3, 1000);
  for (int i = 0; i < 500; ++i) {
    const std::size_t byte = rng.below(p.size());
    const auto bit = static_cast<std::uint8_t>(1u << rng.below(8));
    p[byte] ^= bit;
    ASSERT_FALSE(check_payload(seed, 3, p)) << "seed " << seed << " byte " << byte;
    p[byte] ^= bit;
  }
  EXPECT_TRUE(check_payload(seed, 3, p));
}

TEST(Payload, DependsOnSeedSeqAndLength) {
  const auto p = make(1, 5, 64);
  EXPECT_FALSE(check_payload(2, 5, p));  // another stream
  EXPECT_FALSE(check_payload(1, 6, p));  // another message
  EXPECT_NE(make(1, 5, 64), make(1, 6, 64));
  // A truncated message is detected by the receiver's size check, but its bytes are a prefix.
  const auto longer = make(1, 5, 100);
  EXPECT_TRUE(std::equal(p.begin(), p.end(), longer.begin()));
  EXPECT_FALSE(check_payload(1, 5, Bytes(p).first(4)));  // shorter than the header
  EXPECT_EQ(payload_seq(Bytes(p).first(7)), std::nullopt);
}

TEST(Payload, MarkersRoundTripAndAreDistinct) {
  std::uint8_t end[kEndMarkerSize], done[kEndMarkerSize];
  fill_end_marker(1234, end);
  fill_done_marker(3, done);
  EXPECT_EQ(parse_end_marker(end), 1234u);
  EXPECT_EQ(parse_done_marker(done), 3u);
  EXPECT_EQ(parse_end_marker(done), std::nullopt);
  EXPECT_EQ(parse_done_marker(end), std::nullopt);
  EXPECT_EQ(parse_end_marker(make(1, 0, kEndMarkerSize)), std::nullopt);
}

TEST(OrderedStreamVerifier, AcceptsTheExactStreamAndEndMarker) {
  OrderedStreamVerifier v(9, 64);
  for (std::uint64_t i = 0; i < 100; ++i) ASSERT_TRUE(v.on_message(make(9, i, 64)));
  std::uint8_t end[kEndMarkerSize];
  fill_end_marker(100, end);
  EXPECT_TRUE(v.on_message(end));
  EXPECT_TRUE(v.finished());
  EXPECT_EQ(v.messages(), 100u);
  EXPECT_EQ(v.bytes(), 6400u);
  EXPECT_EQ(v.failures(), 0u);
}

TEST(OrderedStreamVerifier, CountsLossReorderDuplicationCorruptionAndWrongSize) {
  struct Case {
    const char* name;
    std::vector<std::vector<std::uint8_t>> stream;
  };
  auto corrupt = make(9, 1, 64);
  corrupt[40] ^= 1;
  const std::vector<Case> cases{
      {"missing", {make(9, 0, 64), make(9, 2, 64)}},    {"reordered", {make(9, 1, 64), make(9, 0, 64)}},
      {"duplicated", {make(9, 0, 64), make(9, 0, 64)}}, {"corrupt", {make(9, 0, 64), corrupt}},
      {"wrong size", {make(9, 0, 64), make(9, 1, 63)}},
  };
  for (const auto& c : cases) {
    OrderedStreamVerifier v(9, 64);
    for (const auto& m : c.stream) v.on_message(m);
    EXPECT_GT(v.failures(), 0u) << c.name;
  }
}

TEST(OrderedStreamVerifier, EndMarkerMustCarryTheCountAndEndTheStream) {
  std::uint8_t end[kEndMarkerSize];
  OrderedStreamVerifier v(9, 64);
  v.on_message(make(9, 0, 64));
  fill_end_marker(2, end);  // claims two messages, one arrived
  EXPECT_FALSE(v.on_message(end));
  EXPECT_EQ(v.failures(), 1u);
  EXPECT_FALSE(v.on_message(make(9, 1, 64)));  // nothing may follow the end
  EXPECT_EQ(v.failures(), 2u);
}

}  // namespace
}  // namespace kettle::bench
