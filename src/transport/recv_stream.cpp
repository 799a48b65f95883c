#include "transport/recv_stream.hpp"

#include <algorithm>

namespace kettle::transport {

namespace {
constexpr std::uint64_t kMaxMessage = std::uint64_t{1} << 20;  // == kMaxReliableSize
constexpr unsigned kMaxHeaderBytes = 3;                        // varint(2^20) needs 3 bytes
// Buffers this large are released once nothing is out of order, so a burst of
// reordering does not pin memory forever.
constexpr std::size_t kRingKeepBytes = 256 * 1024;
constexpr std::uint64_t kFirstReserve = 64 * 1024;
}  // namespace

std::uint64_t RecvStream::buffered_bytes() const noexcept {
  std::uint64_t n = 0;
  for (const Range& r : ooo_.ranges()) n += r.size();
  return n;
}

Status RecvStream::consume(Bytes in, MessageSink& sink) {
  std::size_t i = 0;
  while (i < in.size()) {
    if (!in_payload_) {
      const std::uint8_t b = in[i++];
      header_value_ |= static_cast<std::uint64_t>(b & 0x7F) << (7 * header_bytes_);
      ++header_bytes_;
      if (b & 0x80) {
        if (header_bytes_ >= kMaxHeaderBytes) return make_error(Errc::malformed, "STREAM: message header too long");
        continue;
      }
      if (header_bytes_ > 1 && b == 0) return make_error(Errc::malformed, "STREAM: non-canonical message length");
      if (header_value_ == 0 || header_value_ > kMaxMessage) {
        return make_error(Errc::malformed, "STREAM: message length outside 1..1 MiB");
      }
      remaining_ = header_value_;
      header_value_ = 0;
      header_bytes_ = 0;
      in_payload_ = true;
      partial_.clear();
      continue;
    }
    const std::size_t avail = in.size() - i;
    if (partial_.empty() && avail >= remaining_) {  // whole message in this run: one copy, straight out
      sink.deliver(channel_, in.subspan(i, static_cast<std::size_t>(remaining_)));
      i += static_cast<std::size_t>(remaining_);
      in_payload_ = false;
      continue;
    }
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(avail, remaining_));
    // Reserve in two steps: 64 KiB first, then (once the peer has really sent that much)
    // the whole message, so a large message is copied once instead of on every doubling,
    // while a bare header claiming 1 MiB only costs 64 KiB.
    if (partial_.empty()) {
      partial_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, kFirstReserve)));
    } else if (partial_.size() + n > partial_.capacity()) {
      partial_.reserve(partial_.size() + static_cast<std::size_t>(remaining_));
    }
    partial_.insert(partial_.end(), in.begin() + static_cast<std::ptrdiff_t>(i),
                    in.begin() + static_cast<std::ptrdiff_t>(i + n));
    i += n;
    remaining_ -= n;
    if (remaining_ == 0) {
      sink.deliver_owned(channel_, partial_);
      partial_.clear();
      in_payload_ = false;
    }
  }
  return {};
}

Result<RecvStream::Outcome> RecvStream::on_data(std::uint64_t offset, Bytes data, std::uint64_t span_allowance,
                                                std::size_t gap_allowance, MessageSink& sink) {
  const std::uint64_t end = offset + data.size();
  if (end <= contig_) return Outcome::accepted;  // duplicate of delivered bytes
  if (offset < contig_) {
    data = data.subspan(static_cast<std::size_t>(contig_ - offset));
    offset = contig_;
  }
  if (offset > contig_) {  // out of order: buffer it
    const std::uint64_t new_span = std::max(span(), end - contig_);
    if (new_span - span() > span_allowance) return Outcome::refused_window;
    const std::size_t live = static_cast<std::size_t>(span());
    const std::size_t gaps_before = ooo_.count();
    ring_.reserve(contig_, live, static_cast<std::size_t>(new_span));
    ring_.write(offset, data);
    ooo_.insert(offset, end);
    if (ooo_.count() > gaps_before && gap_allowance == 0) {
      // A new disjoint range over the bound: undo it (it merged with nothing, so erasing
      // exactly [offset, end) restores the set). Without this bound a hostile peer could
      // make the receiver hold millions of 1-byte ranges and shift them on every insert.
      ooo_.erase(offset, end);
      return Outcome::refused_window;
    }
    return Outcome::accepted;
  }
  // In order: parse directly from the packet, then drain whatever it joined up with.
  KETTLE_TRY(consume(data, sink));
  contig_ = end;
  while (!ooo_.empty() && ooo_.front().lo <= contig_) {
    const Range r = ooo_.front();
    ooo_.pop_front();
    while (contig_ < r.hi) {
      const std::size_t n = ring_.contiguous(contig_, static_cast<std::size_t>(r.hi - contig_));
      KETTLE_TRY(consume(Bytes(ring_.ptr(contig_), n), sink));
      contig_ += n;
    }
  }
  if (ooo_.empty() && ring_.capacity() > kRingKeepBytes) ring_ = ByteRing{};
  return Outcome::accepted;
}

}  // namespace kettle::transport
