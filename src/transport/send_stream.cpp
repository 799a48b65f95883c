#include "transport/send_stream.hpp"

#include <algorithm>

namespace kettle::transport {

void SendStream::write_message(Bytes payload, bool flush) {
  std::uint8_t hdr[10];
  ByteWriter w(hdr);
  w.varint(payload.size());
  const std::size_t add = w.size() + payload.size();
  ring_.reserve(base_, static_cast<std::size_t>(end_ - base_), static_cast<std::size_t>(end_ - base_) + add);
  ring_.write(end_, w.written());
  ring_.write(end_ + w.size(), payload);
  end_ += add;
  if (flush) flush_end_ = end_;
}

std::optional<SendStream::Chunk> SendStream::next_chunk(std::size_t max_len, std::uint64_t new_allowance) {
  if (max_len == 0) return std::nullopt;
  if (!lost_.empty()) {
    const Range r = lost_.front();
    const std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(r.size(), max_len));
    lost_.erase(r.lo, r.lo + len);
    return Chunk{r.lo, len, true};
  }
  const std::uint64_t avail = std::min(flush_end_ - next_new_, new_allowance);
  if (avail == 0) return std::nullopt;
  const std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(avail, max_len));
  const Chunk c{next_new_, len, false};
  next_new_ += len;
  return c;
}

std::uint64_t SendStream::on_acked(std::uint64_t offset, std::size_t len) {
  std::uint64_t lo = std::max(offset, base_);
  const std::uint64_t hi = offset + len;
  if (lo >= hi) return 0;
  lost_.erase(lo, hi);
  const std::uint64_t old_base = base_;
  if (lo == base_ && (acked_.empty() || acked_.front().lo > hi)) {
    base_ = hi;  // in-order ack: the common case, no set traffic
  } else {
    acked_.insert(lo, hi);
    while (!acked_.empty() && acked_.front().lo <= base_) {
      base_ = std::max(base_, acked_.front().hi);
      acked_.pop_front();
    }
  }
  return base_ - old_base;
}

void SendStream::on_lost(std::uint64_t offset, std::size_t len) {
  const std::uint64_t lo = std::max(offset, base_);
  const std::uint64_t hi = offset + len;
  if (lo >= hi) return;
  acked_.for_each_gap(lo, hi, [&](std::uint64_t a, std::uint64_t b) { lost_.insert(a, b); });
}

}  // namespace kettle::transport
