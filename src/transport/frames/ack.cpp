// ACK (0x02), docs/protocol.md §6.3:
//   largest_acked varint | ack_delay_us varint | range_count varint (additional ranges)
//   | first_range varint (largest - smallest of the first range)
//   | range_count × (gap varint, length varint)
// where gap = previous smallest - this largest - 2 and length = this largest - this smallest,
// exactly as QUIC's ACK frame (RFC 9000 §19.3.1). range_count < kMaxRanges.
#include "transport/frames/frame.hpp"

namespace kettle::transport {

std::size_t encoded_size(const AckFrame& f) noexcept {
  std::size_t n = 1 + ByteWriter::varint_size(f.ranges[0].largest) + ByteWriter::varint_size(f.ack_delay_us) +
                  ByteWriter::varint_size(f.range_count - 1) +
                  ByteWriter::varint_size(f.ranges[0].largest - f.ranges[0].smallest);
  for (std::size_t i = 1; i < f.range_count; ++i) {
    n += ByteWriter::varint_size(f.ranges[i - 1].smallest - f.ranges[i].largest - 2);
    n += ByteWriter::varint_size(f.ranges[i].largest - f.ranges[i].smallest);
  }
  return n;
}

void encode(const AckFrame& f, ByteWriter& w) noexcept {
  w.u8(static_cast<std::uint8_t>(FrameType::ack));
  w.varint(f.ranges[0].largest);
  w.varint(f.ack_delay_us);
  w.varint(f.range_count - 1);
  w.varint(f.ranges[0].largest - f.ranges[0].smallest);
  for (std::size_t i = 1; i < f.range_count; ++i) {
    w.varint(f.ranges[i - 1].smallest - f.ranges[i].largest - 2);
    w.varint(f.ranges[i].largest - f.ranges[i].smallest);
  }
}

Result<AckFrame> decode_ack(ByteReader& r) {
  AckFrame f;
  const std::uint64_t largest = r.varint();
  f.ack_delay_us = r.varint();
  const std::uint64_t extra = r.varint();
  const std::uint64_t first = r.varint();
  if (!r.ok()) return frame_error(FrameType::ack, Errc::truncated, "header");
  if (extra >= AckFrame::kMaxRanges) return frame_error(FrameType::ack, Errc::malformed, "too many ranges");
  if (first > largest) return frame_error(FrameType::ack, Errc::malformed, "first range below packet number 0");
  f.range_count = static_cast<std::size_t>(extra) + 1;
  f.ranges[0] = {largest - first, largest};
  for (std::size_t i = 1; i < f.range_count; ++i) {
    const std::uint64_t gap = r.varint();
    const std::uint64_t len = r.varint();
    if (!r.ok()) return frame_error(FrameType::ack, Errc::truncated, "range");
    const std::uint64_t prev_smallest = f.ranges[i - 1].smallest;
    if (prev_smallest < 2 || gap > prev_smallest - 2) {
      return frame_error(FrameType::ack, Errc::malformed, "gap below packet number 0");
    }
    const std::uint64_t hi = prev_smallest - gap - 2;
    if (len > hi) return frame_error(FrameType::ack, Errc::malformed, "range below packet number 0");
    f.ranges[i] = {hi - len, hi};
  }
  return f;
}

}  // namespace kettle::transport
