// DATAGRAM (0x04), docs/protocol.md §6.5:
//   channel u8 | length varint (1..1200) | payload
// One whole unreliable message; never fragmented, never retransmitted.
#include "transport/frames/frame.hpp"

namespace kettle::transport {

namespace {
constexpr std::uint64_t kMaxDatagramPayload = 1200;  // == kMaxUnreliableSize (endpoint.hpp)
}

std::size_t datagram_header_size(std::size_t len) noexcept { return 1 + 1 + ByteWriter::varint_size(len); }

void encode_datagram_header(std::uint8_t channel, std::size_t len, ByteWriter& w) noexcept {
  w.u8(static_cast<std::uint8_t>(FrameType::datagram));
  w.u8(channel);
  w.varint(len);
}

std::size_t encoded_size(const DatagramFrame& f) noexcept {
  return datagram_header_size(f.data.size()) + f.data.size();
}

void encode(const DatagramFrame& f, ByteWriter& w) noexcept {
  encode_datagram_header(f.channel, f.data.size(), w);
  w.bytes(f.data);
}

Result<DatagramFrame> decode_datagram(ByteReader& r) {
  DatagramFrame f;
  f.channel = r.u8();
  const std::uint64_t len = r.varint();
  if (!r.ok()) return frame_error(FrameType::datagram, Errc::truncated, "header");
  if (len == 0 || len > kMaxDatagramPayload) {
    return frame_error(FrameType::datagram, Errc::malformed, "length outside 1..1200");
  }
  f.data = r.take(static_cast<std::size_t>(len));
  if (!r.ok()) return frame_error(FrameType::datagram, Errc::truncated, "payload");
  return f;
}

}  // namespace kettle::transport
