// CLOSE (0x03), docs/protocol.md §6.4:
//   reason u16 | app_code u16 | message_length varint | message (UTF-8, ≤ 256 bytes)
#include "transport/frames/frame.hpp"

namespace kettle::transport {

namespace {
// Strict UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF), so a message can be shown safely.
bool valid_utf8(Bytes s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::uint8_t c = s[i];
    std::size_t n;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}
}  // namespace

std::size_t encoded_size(const CloseFrame& f) noexcept {
  return 1 + 2 + 2 + ByteWriter::varint_size(f.message.size()) + f.message.size();
}

void encode(const CloseFrame& f, ByteWriter& w) noexcept {
  w.u8(static_cast<std::uint8_t>(FrameType::close));
  w.u16(f.reason);
  w.u16(f.app_code);
  w.varint(f.message.size());
  w.bytes(as_bytes(f.message));
}

Result<CloseFrame> decode_close(ByteReader& r) {
  CloseFrame f;
  f.reason = r.u16();
  f.app_code = r.u16();
  const std::uint64_t len = r.varint();
  if (!r.ok()) return frame_error(FrameType::close, Errc::truncated, "header");
  if (len > CloseFrame::kMaxMessageSize)
    return frame_error(FrameType::close, Errc::malformed, "message over 256 bytes");
  const Bytes msg = r.take(static_cast<std::size_t>(len));
  if (!r.ok()) return frame_error(FrameType::close, Errc::truncated, "message");
  if (!valid_utf8(msg)) return frame_error(FrameType::close, Errc::malformed, "message is not UTF-8");
  f.message = std::string_view(reinterpret_cast<const char*>(msg.data()), msg.size());
  return f;
}

}  // namespace kettle::transport
