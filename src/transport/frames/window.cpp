// WINDOW (0x06), docs/protocol.md §6.8:
//   max_recv_buffer_bytes varint (≥ 65536)
// The sender's bound on out-of-order stream bytes it will buffer, i.e. the flow
// window its peer must respect (§7.6). Ack-eliciting; repeated in every packet
// until one carrying it is acknowledged.
#include "transport/frames/frame.hpp"

namespace kettle::transport {

namespace {
constexpr std::uint64_t kMinWindow = 64 * 1024;  // == the smallest max_recv_buffer_bytes Config allows
}

std::size_t encoded_size(const WindowFrame& f) noexcept { return 1 + ByteWriter::varint_size(f.max_recv_buffer_bytes); }

void encode(const WindowFrame& f, ByteWriter& w) noexcept {
  w.u8(static_cast<std::uint8_t>(FrameType::window));
  w.varint(f.max_recv_buffer_bytes);
}

Result<WindowFrame> decode_window(ByteReader& r) {
  WindowFrame f{r.varint()};
  if (!r.ok()) return frame_error(FrameType::window, Errc::truncated, "window");
  if (f.max_recv_buffer_bytes < kMinWindow) return frame_error(FrameType::window, Errc::malformed, "below 64 KiB");
  return f;
}

}  // namespace kettle::transport
