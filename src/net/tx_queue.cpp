#include "net/tx_queue.hpp"

#include <cstring>

namespace kettle::net {

TxQueue::TxQueue(std::size_t buffer_bytes) : buf_(buffer_bytes) {}

bool TxQueue::push(Bytes data, const Address& to) {
  if (buf_.size() - used_ < data.size()) return false;
  std::uint8_t* dst = buf_.data() + used_;
  if (!data.empty()) std::memcpy(dst, data.data(), data.size());
  used_ += data.size();

  if (!entries_.empty() && entries_.size() > next_ && !data.empty()) {
    OutDatagram& last = entries_.back();
    const std::size_t seg = last.segment_size;
    // Extend the last GSO run only while it stays valid: same peer, contiguous bytes, every
    // earlier segment full-size (only the final one may be short), within the kernel's limits.
    const bool extend = last.to == to && seg > 0 && data.size() <= seg && last.data.size() % seg == 0 &&
                        last.data.data() + last.data.size() == dst && last.data.size() / seg < kGsoMaxSegments &&
                        last.data.size() + data.size() <= kGsoMaxBytes;
    if (extend) {
      last.data = Bytes{last.data.data(), last.data.size() + data.size()};
      return true;
    }
  }
  entries_.push_back(OutDatagram{to, Bytes{dst, data.size()}, data.size()});
  return true;
}

Result<bool> TxQueue::flush(UdpSocket& socket) {
  if (empty()) return true;
  auto r = socket.send_batch(std::span<const OutDatagram>(entries_).subspan(next_));
  if (!r.ok()) return std::move(r).error();
  next_ += r->entries;
  if (r->partial_bytes > 0) {  // keep the unsent tail of a GSO run; it stays segment-aligned
    OutDatagram& e = entries_[next_];
    e.data = e.data.subspan(r->partial_bytes);
  }
  if (next_ < entries_.size()) return false;
  entries_.clear();
  next_ = 0;
  used_ = 0;
  return true;
}

}  // namespace kettle::net
