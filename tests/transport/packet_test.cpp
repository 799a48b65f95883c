// The DATA packet known-answer vector of docs/protocol.md §11.2: header layout,
// frame encodings and sealing must reproduce the documented bytes exactly.
#include "transport/packet.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/keys.hpp"
#include "transport/frames/frame.hpp"

namespace kettle::transport {
namespace {

std::string hex(Bytes b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto x : b) s += {d[x >> 4], d[x & 15]};
  return s;
}

std::vector<std::uint8_t> build_example(crypto::Suite suite) {
  std::array<std::uint8_t, 32> k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i);
  const crypto::PacketKey key(suite, k);
  std::vector<std::uint8_t> pkt(200);
  write_data_header(pkt.data(), DataHeader{0x11223344, 5});
  ByteWriter w(MutBytes(pkt).subspan(kDataHeaderSize));
  AckFrame ack;
  ack.ack_delay_us = 250;
  ack.range_count = 1;
  ack.ranges[0] = {0, 7};
  encode(ack, w);
  const std::uint8_t msg[] = {5, 'h', 'e', 'l', 'l', 'o'};
  encode(StreamFrame{1, 0, msg}, w);
  EXPECT_EQ(hex(w.written()),
            "0207fa01000705010006"
            "0568656c6c6f");
  const std::size_t ct =
      key.seal(5, Bytes(pkt).first(kDataHeaderSize), MutBytes(pkt).subspan(kDataHeaderSize), w.size());
  pkt.resize(kDataHeaderSize + ct);
  return pkt;
}

TEST(Packet, KnownAnswerChaCha) {
  ASSERT_TRUE(crypto::init().ok());
  const auto pkt = build_example(crypto::Suite::chacha20poly1305);
  EXPECT_EQ(hex(pkt), "04443322110500000000000000fcd334956e11f9222a090d63ba83c7ae16503b1b5909c859ce31d5cb6fe02818");
  const DataHeader h = read_data_header(pkt.data());
  EXPECT_EQ(h.dest_conn_id, 0x11223344u);
  EXPECT_EQ(h.packet_number, 5u);
}

TEST(Packet, KnownAnswerAes) {
  ASSERT_TRUE(crypto::init().ok());
  if ((crypto::supported_suites() & (1u << static_cast<unsigned>(crypto::Suite::aes256gcm))) == 0) {
    // No AES-NI: the suite must then never be negotiated (the ChaCha vector covers the layout).
    EXPECT_EQ(*crypto::choose_suite(0xFF), crypto::Suite::chacha20poly1305);
    return;
  }
  const auto pkt = build_example(crypto::Suite::aes256gcm);
  EXPECT_EQ(hex(pkt), "04443322110500000000000000309f5a648f54fe31ed3a28410a9290728b4b3df4d83bf07e2882ddc6f65f63bc");
}

TEST(Packet, SizesMatchTheSpec) {
  EXPECT_EQ(kDataHeaderSize, 13u);
  EXPECT_EQ(kPacketOverhead, 29u);
  EXPECT_EQ(kMinDataPacketSize, 30u);
}

}  // namespace
}  // namespace kettle::transport
