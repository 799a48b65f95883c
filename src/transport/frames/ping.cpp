// PING (0x01): no body. Ack-eliciting; used for keepalive, PTO probes and by the
// initiator to confirm the handshake (docs/protocol.md §6.2).
#include "transport/frames/frame.hpp"

namespace kettle::transport {

std::size_t encoded_size(const PingFrame&) noexcept { return 1; }

void encode(const PingFrame&, ByteWriter& w) noexcept { w.u8(static_cast<std::uint8_t>(FrameType::ping)); }

}  // namespace kettle::transport
