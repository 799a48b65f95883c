// Frame codec: round-trip property tests (anything that decodes re-encodes to
// the same bytes and encoded_size predicts the length), known encodings, and
// malformed inputs whose errors name the frame type.
#include <gtest/gtest.h>

#include <vector>

#include "core/rng.hpp"
#include "transport/frames/frame.hpp"

namespace kettle::transport {
namespace {

std::vector<std::uint8_t> encode_all(const Frame& f) {
  std::vector<std::uint8_t> buf(encoded_size(f));
  ByteWriter w(buf);
  encode(f, w);
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(w.size(), buf.size());
  return buf;
}

Frame decode_one(Bytes b) {
  ByteReader r(b);
  auto f = decode_frame(r);
  EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message);
  EXPECT_TRUE(r.empty());
  return f.ok() ? *f : Frame{PingFrame{}};
}

AckFrame random_ack(Rng& rng) {
  AckFrame a;
  a.range_count = 1 + rng.below(AckFrame::kMaxRanges);
  a.ack_delay_us = rng.below(100000);
  std::uint64_t hi = rng.below(1) ? rng.below(1u << 20) : (std::uint64_t{1} << 40) + rng.below(1u << 30);
  for (std::size_t i = 0; i < a.range_count; ++i) {
    const std::uint64_t len = rng.below(50);
    if (hi < len + 2 * a.range_count) {
      a.range_count = i == 0 ? 1 : i;
      if (i == 0) a.ranges[0] = {hi, hi};
      break;
    }
    a.ranges[i] = {hi - len, hi};
    hi = hi - len - 2 - rng.below(100);
  }
  return a;
}

TEST(Frames, RoundTripRandomFrames) {
  const std::uint64_t seed = 0xF4A3E5;
  Rng rng(seed);
  std::vector<std::uint8_t> payload(1300);
  for (auto& b : payload) b = static_cast<std::uint8_t>(rng.next());
  for (int i = 0; i < 5000; ++i) {
    Frame f;
    switch (rng.below(7)) {
      case 6:
        f = WindowFrame{65536 + rng.below(std::uint64_t{1} << 40)};
        break;
      case 0:
        f = PaddingFrame{1 + rng.below(40)};
        break;
      case 1:
        f = PingFrame{};
        break;
      case 2:
        f = random_ack(rng);
        break;
      case 3: {
        static constexpr std::string_view kMessages[] = {"", "bye", "\xc3\xa9t\xc3\xa9", "timeout \xe2\x98\x95"};
        f = CloseFrame{static_cast<std::uint16_t>(rng.below(8)), static_cast<std::uint16_t>(rng.next()),
                       kMessages[rng.below(4)]};
        break;
      }
      case 4:
        f = DatagramFrame{static_cast<std::uint8_t>(rng.next()), Bytes(payload).first(1 + rng.below(1200))};
        break;
      default:
        f = StreamFrame{static_cast<std::uint8_t>(rng.next()), rng.below(std::uint64_t{1} << 50),
                        Bytes(payload).first(1 + rng.below(1300))};
    }
    const auto bytes = encode_all(f);
    ByteReader r(bytes);
    auto back = decode_frame(r);
    ASSERT_TRUE(back.ok()) << "seed " << seed << " iteration " << i << ": " << back.error().message;
    EXPECT_TRUE(r.empty());
    EXPECT_EQ(*back, f) << "seed " << seed << " iteration " << i;
    EXPECT_EQ(encode_all(*back), bytes);
  }
}

// Decode arbitrary bytes; whatever decodes must re-encode to exactly the consumed bytes.
TEST(Frames, DecodedGarbageReencodesIdentically) {
  const std::uint64_t seed = 77;
  Rng rng(seed);
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::uint8_t> buf(1 + rng.below(24));
    for (auto& b : buf) b = static_cast<std::uint8_t>(rng.below(8) == 0 ? rng.next() : rng.below(7));
    ByteReader r(buf);
    auto f = decode_frame(r);
    if (!f.ok()) continue;
    ++decoded;
    const std::size_t used = buf.size() - r.remaining();
    EXPECT_EQ(encode_all(*f), std::vector<std::uint8_t>(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(used)))
        << "seed " << seed << " iteration " << i;
  }
  EXPECT_GT(decoded, 1000);
}

TEST(Frames, AckKnownEncoding) {
  AckFrame a;
  a.ack_delay_us = 300;
  a.range_count = 2;
  a.ranges[0] = {95, 100};  // 95..100
  a.ranges[1] = {80, 90};   // gap = 95 - 90 - 2 = 3, length = 10
  const auto bytes = encode_all(a);
  const std::vector<std::uint8_t> want = {0x02, 100, 0xAC, 0x02, 1, 5, 3, 10};
  EXPECT_EQ(bytes, want);
  EXPECT_EQ(std::get<AckFrame>(decode_one(bytes)), a);
}

TEST(Frames, AckRejectsRangesBelowZeroAndTooMany) {
  {
    const std::vector<std::uint8_t> b = {0x02, 5, 0, 0, 6};  // first range 6 > largest 5
    ByteReader r(b);
    auto f = decode_frame(r);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.code(), Errc::malformed);
    EXPECT_NE(f.error().message.find("ACK"), std::string::npos);
  }
  {
    const std::vector<std::uint8_t> b = {0x02, 10, 0, 1, 2, 7, 0};  // gap 7 from smallest 8 → below 0
    ByteReader r(b);
    EXPECT_EQ(decode_frame(r).code(), Errc::malformed);
  }
  {
    const std::vector<std::uint8_t> b = {0x02, 100, 0, static_cast<std::uint8_t>(AckFrame::kMaxRanges), 0};
    ByteReader r(b);
    EXPECT_EQ(decode_frame(r).code(), Errc::malformed);
  }
}

TEST(Frames, TruncatedFramesAreErrorsNamingTheFrame) {
  const StreamFrame s{3, 1000, as_bytes("hello world")};
  const auto bytes = encode_all(s);
  for (std::size_t n = 1; n < bytes.size(); ++n) {
    ByteReader r(Bytes(bytes).first(n));
    auto f = decode_frame(r);
    ASSERT_FALSE(f.ok()) << n;
    EXPECT_EQ(f.code(), Errc::truncated);
    EXPECT_EQ(f.error().message.rfind("STREAM", 0), 0u) << f.error().message;
  }
}

TEST(Frames, MalformedValuesAreRejected) {
  const std::vector<std::vector<std::uint8_t>> cases = {
      {0x07},                             // unknown type
      {0x06, 0xFF, 0xFF, 0x03},           // WINDOW below 64 KiB
      {0xFF, 1, 2},                       // unknown type
      {0x04, 0, 0},                       // DATAGRAM length 0
      {0x04, 0, 0xB1, 0x09},              // DATAGRAM length 1201
      {0x05, 0, 0, 0},                    // STREAM length 0
      {0x03, 0, 0, 0, 0, 2, 0xC3, 0x28},  // CLOSE message not UTF-8
      {0x03, 0, 0, 0, 0, 0x81, 0x02},     // CLOSE message 257 bytes
      {0x02, 0x80, 0x00, 0, 0, 0},        // non-canonical varint
  };
  for (const auto& c : cases) {
    ByteReader r(c);
    EXPECT_FALSE(decode_frame(r).ok()) << "first byte " << int(c[0]);
  }
  ByteReader r0(Bytes{});
  EXPECT_EQ(decode_frame(r0).code(), Errc::truncated);
}

TEST(Frames, PaddingRunsDecodeAsOneFrame) {
  const std::vector<std::uint8_t> b = {0, 0, 0, 0, 0x01};
  ByteReader r(b);
  auto f = decode_frame(r);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(std::get<PaddingFrame>(*f).length, 4u);
  auto g = decode_frame(r);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(std::holds_alternative<PingFrame>(*g));
}

TEST(Frames, TypeNamesComeFromTheTable) {
  EXPECT_EQ(frame_type_name(FrameType::stream), "STREAM");
  EXPECT_EQ(frame_type_name(FrameType::ack), "ACK");
  EXPECT_TRUE(is_known_frame_type(0x06));
  EXPECT_FALSE(is_known_frame_type(0x07));
}

}  // namespace
}  // namespace kettle::transport
