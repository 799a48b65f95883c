// An outgoing-datagram queue for one socket that turns many small sends into few syscalls:
// consecutive equal-size datagrams to the same address are packed back to back into one GSO
// entry, and everything queued goes out in sendmmsg batches. Whatever the kernel does not take
// (socket buffer full) stays queued, in order, for the next flush.
//
// Used by the proxy; a transport driver can use it the same way with poll_transmit output.
#pragma once

#include <cstdint>
#include <vector>

#include "core/address.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"
#include "net/udp_socket.hpp"

namespace kettle::net {

class TxQueue {
 public:
  // buffer_bytes bounds the payload held; 512 KiB is ~430 full-size datagrams, several sendmmsg
  // batches, small enough that one queue per proxy session is cheap.
  explicit TxQueue(std::size_t buffer_bytes = 512u << 10);

  // Copies the datagram in. Returns false (and queues nothing) when the buffer is full: flush first.
  bool push(Bytes data, const Address& to);
  bool empty() const noexcept { return next_ == entries_.size(); }
  std::size_t free_bytes() const noexcept { return buf_.size() - used_; }
  std::size_t queued_entries() const noexcept { return entries_.size() - next_; }

  // Sends what is queued. Returns true when the queue is empty afterwards, false when the socket
  // is full (wait for writability, then flush again). Errors: io (see UdpSocket::send_batch).
  Result<bool> flush(UdpSocket& socket);

 private:
  std::vector<std::uint8_t> buf_;
  std::size_t used_ = 0;
  std::vector<OutDatagram> entries_;  // entries_[next_..] are unsent; data points into buf_
  std::size_t next_ = 0;
};

}  // namespace kettle::net
