// The relay's datagram framing (docs/protocol.md §14), shared by the server's relay
// (src/server/relay) and the players' side (src/p2p): one definition of the wire form.
#pragma once

#include <cstddef>
#include <cstdint>

#include "control/messages.hpp"  // kRelayTokenBytes

namespace kettle::control {

inline constexpr std::uint8_t kToRelay = 0x10;    // player → relay: type, version, allocation, token, payload
inline constexpr std::uint8_t kFromRelay = 0x11;  // relay → player: type, version, allocation of the sender, payload
inline constexpr std::uint8_t kRelayVersion = 1;
inline constexpr std::size_t kToRelayHeaderBytes = 1 + 1 + 8 + kRelayTokenBytes;  // 26
inline constexpr std::size_t kFromRelayHeaderBytes = 1 + 1 + 8;                   // 10
inline constexpr std::size_t kMaxRelayPayload = 1400;

}  // namespace kettle::control
