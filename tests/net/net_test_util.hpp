// Helpers for tests over real loopback sockets. Waiting is done on the sockets (poll); the
// timeouts are upper bounds that only matter when a test is failing.
#pragma once

#include <poll.h>

#include <cstdint>
#include <vector>

#include "core/time.hpp"
#include "net/udp_socket.hpp"

namespace kettle::net::test {

struct Received {
  Address from;
  std::vector<std::uint8_t> data;
};

inline constexpr int kWaitLimitMs = 5000;

// True if fd became readable within timeout_ms.
inline bool wait_readable(int fd, int timeout_ms = kWaitLimitMs) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

// Receives (splitting GRO batches) until `count` datagrams arrived or nothing arrives within
// the wait limit. Also returns the raw slots' segment sizes in *gro_segments if given.
inline std::vector<Received> receive(UdpSocket& s, std::size_t count, std::size_t* coalesced_slots = nullptr) {
  std::vector<Received> out;
  RecvBuffers bufs(16, s.recommended_slot_bytes());
  while (out.size() < count && wait_readable(s.fd())) {
    auto n = s.recv_batch(bufs.slots());
    if (!n.ok()) break;
    for (std::size_t i = 0; i < *n; ++i) {
      const RecvSlot& slot = bufs.slots()[i];
      if (coalesced_slots != nullptr && slot.segment_size < slot.size) ++*coalesced_slots;
      slot.for_each_segment([&](Bytes d) { out.push_back({slot.from, {d.begin(), d.end()}}); });
    }
  }
  return out;
}

// Deterministic payload: byte i of datagram `seq` is (seq * 31 + i) & 0xff.
inline std::vector<std::uint8_t> pattern(std::uint32_t seq, std::size_t size) {
  std::vector<std::uint8_t> v(size);
  for (std::size_t i = 0; i < size; ++i) v[i] = static_cast<std::uint8_t>(seq * 31 + i);
  return v;
}

inline UdpSocket bind_loopback(SocketOptions opt = {}) {
  auto s = UdpSocket::bind(Address::loopback_v4(0), opt);
  if (!s.ok()) std::abort();
  return std::move(s).value();
}

}  // namespace kettle::net::test
