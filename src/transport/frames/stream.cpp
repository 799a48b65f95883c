// STREAM (0x05), docs/protocol.md §6.6:
//   channel u8 | offset varint | length varint (≥ 1) | bytes
// Carries bytes [offset, offset + length) of the channel's reliable stream, in
// which every message is `varint length || payload` (§6.7).
#include "transport/frames/frame.hpp"

namespace kettle::transport {

std::size_t stream_header_size(std::uint64_t offset, std::size_t len) noexcept {
  return 1 + 1 + ByteWriter::varint_size(offset) + ByteWriter::varint_size(len);
}

void encode_stream_header(std::uint8_t channel, std::uint64_t offset, std::size_t len, ByteWriter& w) noexcept {
  w.u8(static_cast<std::uint8_t>(FrameType::stream));
  w.u8(channel);
  w.varint(offset);
  w.varint(len);
}

std::size_t encoded_size(const StreamFrame& f) noexcept {
  return stream_header_size(f.offset, f.data.size()) + f.data.size();
}

void encode(const StreamFrame& f, ByteWriter& w) noexcept {
  encode_stream_header(f.channel, f.offset, f.data.size(), w);
  w.bytes(f.data);
}

Result<StreamFrame> decode_stream(ByteReader& r) {
  StreamFrame f;
  f.channel = r.u8();
  f.offset = r.varint();
  const std::uint64_t len = r.varint();
  if (!r.ok()) return frame_error(FrameType::stream, Errc::truncated, "header");
  if (len == 0) return frame_error(FrameType::stream, Errc::malformed, "empty");
  if (f.offset >= StreamFrame::kMaxOffset || len > StreamFrame::kMaxOffset - f.offset) {
    return frame_error(FrameType::stream, Errc::malformed, "offset + length beyond 2^62");
  }
  if (len > r.remaining()) return frame_error(FrameType::stream, Errc::truncated, "payload");
  f.data = r.take(static_cast<std::size_t>(len));
  return f;
}

}  // namespace kettle::transport
