// The receiving half of one reliable channel (docs/protocol.md §6.7). In-order
// bytes are parsed straight out of the packet into messages; only out-of-order
// bytes are buffered, in a ring addressed by offset above the contiguous end.
// The connection bounds the total "span" (highest buffered end − contiguous end)
// over all channels by max_recv_buffer_bytes, which the peer's flow window
// guarantees it never exceeds (§7.6).
#pragma once

#include <cstdint>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "transport/byte_ring.hpp"
#include "transport/range_set.hpp"

namespace kettle::transport {

// Receives complete messages, in order, from a RecvStream.
class MessageSink {
 public:
  virtual void deliver(int channel, Bytes message) = 0;
  // The sink may swap `message` with a vector of its own (capacity reuse).
  virtual void deliver_owned(int channel, std::vector<std::uint8_t>& message) = 0;

 protected:
  ~MessageSink() = default;
};

class RecvStream {
 public:
  enum class Outcome { accepted, refused_window };

  explicit RecvStream(int channel) : channel_(channel) {}

  // Handles bytes [offset, offset + data.size()). `span_allowance` is how much the
  // connection lets this stream's span grow; `gap_allowance` how many more separate
  // out-of-order ranges it may hold. Refusals are flow control, not violations: the
  // packet goes unacknowledged and the peer resends. Errors: malformed (a message header
  // that is zero, over 1 MiB or non-canonical) — a protocol violation.
  Result<Outcome> on_data(std::uint64_t offset, Bytes data, std::uint64_t span_allowance, std::size_t gap_allowance,
                          MessageSink& sink);

  // Highest buffered end − contiguous end (0 when nothing is out of order).
  std::uint64_t span() const noexcept { return ooo_.empty() ? 0 : ooo_.back().hi - contig_; }
  std::uint64_t contiguous_end() const noexcept { return contig_; }
  // Separate out-of-order ranges held (each costs bookkeeping on every insert).
  std::size_t gap_count() const noexcept { return ooo_.count(); }
  std::uint64_t buffered_bytes() const noexcept;

 private:
  Status consume(Bytes in_order, MessageSink& sink);

  int channel_;
  std::uint64_t contig_ = 0;
  ByteRing ring_;
  RangeSet ooo_;
  // Message parser state.
  bool in_payload_ = false;
  std::uint64_t header_value_ = 0;
  unsigned header_bytes_ = 0;
  std::uint64_t remaining_ = 0;
  std::vector<std::uint8_t> partial_;
};

}  // namespace kettle::transport
