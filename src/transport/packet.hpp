// DATA packet layout (docs/protocol.md §5):
//   type u8 = 0x04 | dest_conn_id u32 | packet_number u64 | ciphertext | tag[16]
// The 13-byte header is the AEAD associated data; the nonce comes from the
// packet number (crypto::PacketKey). All integers little-endian.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/bytes.hpp"
#include "crypto/aead.hpp"
#include "crypto/handshake.hpp"

namespace kettle::transport {

inline constexpr std::size_t kDataHeaderSize = 1 + 4 + 8;
inline constexpr std::size_t kTagSize = crypto::PacketKey::kTagSize;
inline constexpr std::size_t kPacketOverhead = kDataHeaderSize + kTagSize;
// Header + at least one frame byte + tag: anything shorter cannot be a DATA packet.
inline constexpr std::size_t kMinDataPacketSize = kPacketOverhead + 1;
inline constexpr std::uint8_t kDataType = static_cast<std::uint8_t>(crypto::PacketType::data);

struct DataHeader {
  std::uint32_t dest_conn_id = 0;
  std::uint64_t packet_number = 0;
};

inline void write_data_header(std::uint8_t* p, const DataHeader& h) noexcept {
  p[0] = kDataType;
  store_le32(p + 1, h.dest_conn_id);
  store_le64(p + 5, h.packet_number);
}

// Precondition: at least kDataHeaderSize bytes.
inline DataHeader read_data_header(const std::uint8_t* p) noexcept { return {load_le32(p + 1), load_le64(p + 5)}; }

}  // namespace kettle::transport
