// A non-blocking UDP socket (IPv4 or IPv6) with batched I/O: recvmmsg/sendmmsg, UDP GSO
// (UDP_SEGMENT) on send and UDP GRO on receive. Both offloads are probed at bind time and
// switched off at runtime if the kernel or the path rejects them, so callers always get the
// same semantics: a GSO send delivers exactly the same datagrams as sending each segment
// separately, and a GRO receive is handed back as {size, segment_size} to be split with
// `segments()` — the same shape as transport::Transmit.
//
// Not thread-safe: one thread owns a socket. The fd may be registered with an EventLoop.
#pragma once

#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/address.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"

namespace kettle::net {

// Fills `out` from `addr`; returns the sockaddr length (0 if addr is unset).
// With `v6_socket`, IPv4 addresses are written as v4-mapped IPv6 so a dual-stack socket can send to them.
socklen_t to_sockaddr(const Address& addr, sockaddr_storage& out, bool v6_socket = false) noexcept;
// Inverse of to_sockaddr; v4-mapped IPv6 becomes a v4 Address. Unknown families give an unset Address.
Address from_sockaddr(const sockaddr_storage& in, socklen_t len) noexcept;

// "<what>: <strerror(err)> (errno N)" as an Errc::io error.
Error errno_error(std::string_view what, int err);

// Kernel limits for one GSO send: at most this many segments (UDP_MAX_SEGMENTS is 64 on older
// kernels, 128 on newer; we use the lower for portability) and one IP datagram's worth of payload.
inline constexpr std::size_t kGsoMaxSegments = 64;
inline constexpr std::size_t kGsoMaxBytes = 65000;  // < 65507 (IPv4 UDP payload limit), room for headers
// A GRO receive coalesces up to 64 KiB, so a receive slot must be this large or the kernel truncates.
inline constexpr std::size_t kGroSlotBytes = 65536;
// Upper bound of messages per recvmmsg/sendmmsg call; bounds the on-stack control structures.
inline constexpr std::size_t kMaxBatch = 64;

struct SocketOptions {
  // Requested SO_RCVBUF/SO_SNDBUF. The kernel caps these at net.core.{r,w}mem_max unless we have
  // CAP_NET_ADMIN (SO_*BUFFORCE is tried first); the granted size is reported by the socket.
  // 8 MiB holds ~80 ms at 100 MB/s, enough to ride out a scheduling hiccup in the reader.
  std::size_t recv_buffer_bytes = 8u << 20;
  std::size_t send_buffer_bytes = 8u << 20;
  bool enable_gso = true;  // try UDP_SEGMENT; off → every segment is its own sendmmsg entry
  bool enable_gro = true;  // try UDP_GRO; off → receive slots may be small (MTU-sized)
};

// One datagram (or GSO batch of equal-size segments) to send.
struct OutDatagram {
  Address to;
  Bytes data;
  // 0 or >= data.size(): one datagram. Otherwise data holds back-to-back segments of this size,
  // the last possibly shorter (exactly transport::Transmit's convention).
  std::size_t segment_size = 0;
};

// One receive slot: the caller provides `buf`; recv_batch fills the rest.
struct RecvSlot {
  MutBytes buf;
  Address from;
  std::size_t size = 0;          // bytes received into buf
  std::size_t segment_size = 0;  // == size unless GRO coalesced several datagrams from `from`
  bool truncated = false;        // the datagram was larger than buf (the tail is lost)

  // Calls fn(Bytes) for each datagram in this slot, in arrival order.
  template <class Fn>
  void for_each_segment(Fn&& fn) const {
    if (size == 0) return fn(Bytes{});  // an empty datagram is still a datagram
    const std::size_t seg = segment_size == 0 ? size : segment_size;
    for (std::size_t off = 0; off < size; off += seg) fn(Bytes{buf.data() + off, std::min(seg, size - off)});
  }
};

// Owns payload memory for a batch of receive slots sized for the socket's GRO setting.
class RecvBuffers {
 public:
  RecvBuffers(std::size_t slots, std::size_t slot_bytes);
  std::span<RecvSlot> slots() noexcept { return slots_; }

 private:
  // Not zero-filled: the kernel writes what it receives, and on a VM first-touch page faults
  // cost ~15 µs each, so zeroing 1 MiB up front added ~4 ms to every client's start.
  std::unique_ptr<std::uint8_t[]> storage_;
  std::vector<RecvSlot> slots_;
};

// How far send_batch got: entries [0, entries) are fully sent; if partial_bytes > 0, the first
// partial_bytes (whole segments) of batch[entries] were sent too and only its tail remains.
struct SendProgress {
  std::size_t entries = 0;
  std::size_t partial_bytes = 0;
};

struct SocketCounters {
  std::uint64_t datagrams_sent = 0;  // after GSO splitting: what the peer receives
  std::uint64_t bytes_sent = 0;
  std::uint64_t send_calls = 0;          // sendmmsg syscalls
  std::uint64_t send_errors = 0;         // datagrams dropped on a per-message error (EMSGSIZE, ENETUNREACH, ...)
  std::uint64_t gso_fallbacks = 0;       // times GSO was switched off after the kernel rejected it
  std::uint64_t datagrams_received = 0;  // after GRO splitting
  std::uint64_t bytes_received = 0;
  std::uint64_t recv_calls = 0;
  std::uint64_t recv_truncated = 0;
};

class UdpSocket {
 public:
  // Binds a new non-blocking socket to `local` (port 0 picks an ephemeral port).
  // Errors: invalid_argument (unset address), io (socket/bind failed; message has errno text).
  static Result<UdpSocket> bind(const Address& local, const SocketOptions& options = {});

  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket();

  int fd() const noexcept { return fd_; }
  const Address& local_address() const noexcept { return local_; }
  std::size_t recv_buffer_bytes() const noexcept { return rcvbuf_bytes_; }  // as granted by the kernel
  std::size_t send_buffer_bytes() const noexcept { return sndbuf_bytes_; }
  bool gso_enabled() const noexcept { return gso_; }
  bool gro_enabled() const noexcept { return gro_; }
  // Slot size recv_batch needs to never truncate a (coalesced) datagram.
  std::size_t recommended_slot_bytes() const noexcept { return gro_ ? kGroSlotBytes : 2048; }
  const SocketCounters& counters() const noexcept { return counters_; }

  // Sends entries in order until all are sent or the socket buffer is full (EAGAIN); the
  // caller retries the rest once the fd is writable. A datagram the kernel rejects on its own
  // (EMSGSIZE, unreachable) is dropped, counted in send_errors and treated as sent. GSO entries
  // are split into plain datagrams when GSO is unavailable; if GSO fails at runtime
  // (EIO/EINVAL/ENOPROTOOPT) it is switched off and the entry resent split, so nothing is lost.
  // Errors: io only for failures of the socket itself (EBADF, ENOTSOCK, EFAULT).
  Result<SendProgress> send_batch(std::span<const OutDatagram> batch);
  // Convenience for one datagram; returns false if the socket buffer is full.
  Result<bool> send_to(Bytes data, const Address& to);

  // Receives up to min(slots.size(), kMaxBatch) datagrams without blocking; returns how
  // many slots were filled (0 when nothing is pending). Errors: io.
  Result<std::size_t> recv_batch(std::span<RecvSlot> slots);

 private:
  UdpSocket(int fd, Address local) noexcept : fd_(fd), local_(local) {}
  void close() noexcept;

  int fd_ = -1;
  Address local_;
  bool v6_ = false;
  bool gso_ = false;
  bool gro_ = false;
  std::size_t rcvbuf_bytes_ = 0;
  std::size_t sndbuf_bytes_ = 0;
  SocketCounters counters_;
};

}  // namespace kettle::net
