// The sending half of one reliable channel: a byte stream in which every message
// is `varint length || payload` (docs/protocol.md §6.7). Bytes live in a ring from
// the lowest unacknowledged offset to the write end; retransmission is by byte
// range (lost ranges are re-sent in new packets, minus anything acked meanwhile).
//
//   base ≤ next_new ≤ flush_end ≤ end
//   [base, next_new): sent at least once, not all acked (acked_ holds the acked parts)
//   [next_new, flush_end): ready to send;  [flush_end, end): held by Nagle
#pragma once

#include <cstdint>
#include <optional>

#include "core/bytes.hpp"
#include "transport/byte_ring.hpp"
#include "transport/range_set.hpp"

namespace kettle::transport {

class SendStream {
 public:
  struct Chunk {
    std::uint64_t offset = 0;
    std::size_t len = 0;
    bool retransmission = false;
  };

  // Appends one message (the caller checked its size). flush=false keeps it behind Nagle.
  void write_message(Bytes payload, bool flush);
  void flush() noexcept { flush_end_ = end_; }

  // Whether next_chunk would return something, given `new_allowance` bytes of new data
  // the connection's flow window still permits.
  bool has_sendable(std::uint64_t new_allowance) const noexcept {
    return !lost_.empty() || (next_new_ < flush_end_ && new_allowance > 0);
  }
  // The next range to put in a packet: lost ranges first, then new data (at most
  // new_allowance bytes). The chunk counts as sent once returned.
  std::optional<Chunk> next_chunk(std::size_t max_len, std::uint64_t new_allowance);
  void copy(std::uint64_t offset, std::size_t len, std::uint8_t* out) const noexcept { ring_.read(offset, out, len); }

  // Returns how far `base` advanced (bytes freed).
  std::uint64_t on_acked(std::uint64_t offset, std::size_t len);
  void on_lost(std::uint64_t offset, std::size_t len);

  std::uint64_t base() const noexcept { return base_; }
  std::uint64_t end() const noexcept { return end_; }
  std::uint64_t next_new() const noexcept { return next_new_; }
  std::uint64_t unacked_bytes() const noexcept { return end_ - base_; }
  std::uint64_t held_bytes() const noexcept { return end_ - flush_end_; }
  bool all_acked() const noexcept { return base_ == end_; }

 private:
  ByteRing ring_;
  std::uint64_t base_ = 0;
  std::uint64_t next_new_ = 0;
  std::uint64_t flush_end_ = 0;
  std::uint64_t end_ = 0;
  RangeSet acked_;  // acked ranges above base_
  RangeSet lost_;   // ranges awaiting retransmission, within [base_, next_new_)
};

}  // namespace kettle::transport
