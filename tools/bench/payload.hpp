// Self-checking benchmark payloads. Message `seq` of stream `seed` is fully determined by
// (seed, seq, size), so the receiver verifies every byte without the sender storing or
// shipping a copy (the soak.c habit from netcode/reliable). Layout:
//   bytes 0..7   seq, little-endian (lets an unordered receiver know what to expect)
//   bytes 8..    counter-mode splitmix64 output keyed by (seed, seq); last word truncated
// An end-of-stream marker (kEndMagic, count) follows the last message of an ordered
// stream so the receiver knows how many messages the sender produced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/bytes.hpp"

namespace kettle::bench {

inline constexpr std::size_t kPayloadHeaderSize = 8;                // the seq field
inline constexpr std::size_t kEndMarkerSize = 16;                   // magic + message count
inline constexpr std::uint64_t kEndMagic = 0x444e45454c54544bULL;   // "KTTLEEND" little-endian
inline constexpr std::uint64_t kDoneMagic = 0x454e4f444c54544bULL;  // "KTTLDONE" little-endian

// Writes message `seq` into `out` (out.size() >= kPayloadHeaderSize).
void fill_payload(std::uint64_t seed, std::uint64_t seq, MutBytes out) noexcept;

// True iff `data` is exactly what fill_payload(seed, seq, ...) writes for data.size() bytes.
bool check_payload(std::uint64_t seed, std::uint64_t seq, Bytes data) noexcept;

// The seq field of a payload, or nullopt if shorter than the header.
std::optional<std::uint64_t> payload_seq(Bytes data) noexcept;

void fill_end_marker(std::uint64_t message_count, MutBytes out) noexcept;  // out.size() == kEndMarkerSize
// The message count if `data` is an end marker.
std::optional<std::uint64_t> parse_end_marker(Bytes data) noexcept;

// The receiver's reply to an end marker, carrying its verification failure count.
void fill_done_marker(std::uint64_t failures, MutBytes out) noexcept;  // out.size() == kEndMarkerSize
std::optional<std::uint64_t> parse_done_marker(Bytes data) noexcept;

// Receiver side of one ordered reliable stream: every message must be the next seq with the
// expected size and exact content; the end marker must carry the number of messages seen.
class OrderedStreamVerifier {
 public:
  OrderedStreamVerifier(std::uint64_t seed, std::size_t message_size) noexcept
      : seed_(seed), message_size_(message_size) {}

  // Feeds one delivered message (data or end marker). Returns false on a verification failure.
  bool on_message(Bytes data) noexcept;

  bool finished() const noexcept { return finished_; }
  std::uint64_t messages() const noexcept { return verified_; }  // verified data messages
  std::uint64_t bytes() const noexcept { return bytes_; }
  std::uint64_t failures() const noexcept { return failures_; }

 private:
  std::uint64_t seed_;
  std::size_t message_size_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t verified_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t failures_ = 0;
  bool finished_ = false;
};

}  // namespace kettle::bench
