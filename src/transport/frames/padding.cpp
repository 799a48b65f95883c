// PADDING (0x00): one or more zero bytes. Consecutive zero bytes decode as one
// frame so the encoding is canonical. Used to pad probes; never ack-eliciting.
#include "transport/frames/frame.hpp"

namespace kettle::transport {

std::size_t encoded_size(const PaddingFrame& f) noexcept { return f.length; }

void encode(const PaddingFrame& f, ByteWriter& w) noexcept { w.zeros(f.length); }

Result<PaddingFrame> decode_padding(ByteReader& r) {
  PaddingFrame f{1};
  // Peek-and-consume zero bytes; a ByteReader has no peek, so take one byte at a time from a copy.
  while (!r.empty()) {
    ByteReader probe = r;
    if (probe.u8() != 0) break;
    r = probe;
    ++f.length;
  }
  return f;
}

}  // namespace kettle::transport
