// P2P signaling payloads (docs/protocol.md §14) and the punch datagram: what two clients
// exchange through kettle-server's SendSignal, and on the wire before a transport connection
// exists. Untrusted bytes: decode() is fuzzed (fuzz/p2p_signal).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/address.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"

namespace kettle::p2p {

enum class SignalKind : std::uint8_t { offer = 1, answer = 2, accept = 3, close = 4 };

inline constexpr std::uint8_t kFlagRelayAllowed = 0x01;
inline constexpr std::uint8_t kFlagRelayOnly = 0x02;  // no direct path: the sender's address stays hidden
inline constexpr std::size_t kMaxCandidates = 8;

struct Signal {
  SignalKind kind = SignalKind::offer;
  std::uint64_t session = 0;
  std::uint8_t flags = 0;           // offer/answer only
  std::vector<Address> candidates;  // offer/answer only; at most kMaxCandidates
  friend bool operator==(const Signal&, const Signal&) = default;
};

std::vector<std::uint8_t> encode(const Signal& s);
// Errors: truncated, malformed (unknown kind, session 0, too many candidates, bad address
// family, trailing bytes, body on accept/close).
Result<Signal> decode_signal(Bytes payload);

// Punch datagrams: 0x12 | version 1 | session u64 | pong u8 (0 punch, 1 pong).
inline constexpr std::uint8_t kPunchType = 0x12;
inline constexpr std::size_t kPunchSize = 11;
struct Punch {
  std::uint64_t session = 0;
  bool pong = false;
};
std::array<std::uint8_t, kPunchSize> encode(const Punch& p);
// nullopt unless `datagram` is a well-formed punch (type, version, size, session ≠ 0).
std::optional<Punch> decode_punch(Bytes datagram);

}  // namespace kettle::p2p
