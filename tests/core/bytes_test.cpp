#include "core/bytes.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "core/rng.hpp"

namespace kettle {
namespace {

TEST(Bytes, RoundTripFixedWidthLittleEndian) {
  std::array<std::uint8_t, 15> buf{};
  ByteWriter w(buf);
  w.u8(0xAB);
  w.u16(0x1234);
  w.u32(0xDEADBEEF);
  w.u64(0x0102030405060708ULL);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.size(), 15u);
  EXPECT_EQ(buf[1], 0x34);  // little-endian
  EXPECT_EQ(buf[2], 0x12);
  ByteReader r(w.written());
  EXPECT_EQ(r.u8(), 0xAB);
  EXPECT_EQ(r.u16(), 0x1234);
  EXPECT_EQ(r.u32(), 0xDEADBEEFu);
  EXPECT_EQ(r.u64(), 0x0102030405060708ULL);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.empty());
}

TEST(Bytes, ReadPastEndFailsStickyAndReturnsZero) {
  const std::array<std::uint8_t, 3> buf{1, 2, 3};
  ByteReader r(buf);
  EXPECT_EQ(r.u16(), 0x0201);
  EXPECT_EQ(r.u32(), 0u);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.u8(), 0u);  // sticky: even a byte that exists is not returned
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(Bytes, WriteOverflowFailsWithoutTouchingMemoryBeyond) {
  std::array<std::uint8_t, 4> buf{9, 9, 9, 9};
  ByteWriter w{MutBytes(buf).first(3)};
  w.u32(0);
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(buf[3], 9);
  EXPECT_EQ(w.size(), 0u);
}

TEST(Bytes, VarintRoundTripProperty) {
  Rng rng(7);
  std::array<std::uint8_t, 10> buf{};
  for (int i = 0; i < 20000; ++i) {
    const int bits = static_cast<int>(rng.below(65));
    const std::uint64_t v = bits == 0 ? 0 : (rng.next() >> (64 - bits));
    ByteWriter w(buf);
    w.varint(v);
    ASSERT_TRUE(w.ok());
    ASSERT_EQ(w.size(), ByteWriter::varint_size(v));
    ByteReader r(w.written());
    ASSERT_EQ(r.varint(), v);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r.empty());
  }
}

TEST(Bytes, VarintRejectsNonCanonicalOverflowAndTruncation) {
  const std::array<std::uint8_t, 2> noncanon{0x81, 0x00};
  ByteReader r1(noncanon);
  r1.varint();
  EXPECT_FALSE(r1.ok());

  std::array<std::uint8_t, 10> over{};
  over.fill(0xFF);
  over[9] = 0x02;  // bit 64
  ByteReader r2(over);
  r2.varint();
  EXPECT_FALSE(r2.ok());

  const std::array<std::uint8_t, 1> cut{0x80};
  ByteReader r3(cut);
  r3.varint();
  EXPECT_FALSE(r3.ok());
}

TEST(Bytes, TakeAndCopy) {
  const std::vector<std::uint8_t> in{1, 2, 3, 4, 5};
  ByteReader r(in);
  auto a = r.take(2);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1], 2);
  std::array<std::uint8_t, 2> out{};
  EXPECT_TRUE(r.copy_to(out));
  EXPECT_EQ(out[0], 3);
  EXPECT_EQ(r.rest().size(), 1u);
  EXPECT_TRUE(r.take(1).empty());
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace kettle
