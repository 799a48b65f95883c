// Runs one sans-IO transport::Endpoint over one real UdpSocket on an EventLoop: the glue
// between src/transport (no sockets, no clock) and the kernel.
//
//   socket readable → recvmmsg (+GRO) → endpoint.on_datagram(each segment, from, now)
//   flush(now)      → endpoint.poll_transmit into a large arena (64 KiB per call so the engine
//                     can hand back GSO runs) → sendmmsg (+GSO); on EAGAIN the unsent tail stays
//                     in the arena and goes out when the socket is writable
//   run_once()      → sleeps until a datagram, the engine's next_deadline() or the caller's
//                     own deadline, then fires endpoint.on_timer when due and flushes
//
// The application talks to endpoint() directly (connect/send/close/poll_message/poll_event),
// with now = monotonic_now(), and calls flush() after a burst of API calls so the output leaves
// now rather than at the next loop iteration. Single-threaded, like the EventLoop.
//
// run_once only watches its own engine's deadline. Several drivers may share one loop (their
// sockets are all registered): wait in one driver's run_once with wait_until = the earliest of
// the others' endpoint().next_deadline(), then call run_once(monotonic_now()) on each other
// driver, which polls without blocking and fires its timer if due (tests/net does this).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/address.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "net/event_loop.hpp"
#include "net/udp_socket.hpp"
#include "transport/endpoint.hpp"

namespace kettle::net {

struct DriverOptions {
  SocketOptions socket;
  // Buffer offered to one poll_transmit call: 64 KiB lets the engine return a full GSO run
  // (kGsoMaxBytes) in one call instead of one datagram per call.
  std::size_t transmit_bytes = 64u << 10;
  // Transmits gathered before one sendmmsg; with transmit_bytes this bounds the arena (1 MiB).
  std::size_t transmits_per_batch = 16;
  // Receive batches handled per readable event before flushing, so acks are not held back
  // behind a long burst of input.
  std::size_t recv_batches_per_event = 4;
};

struct DriverCounters {
  std::uint64_t recv_batches = 0;
  std::uint64_t datagrams_in = 0;
  std::uint64_t transmits = 0;     // poll_transmit results (a GSO run counts once)
  std::uint64_t send_blocked = 0;  // flushes that stopped on a full socket buffer
  std::uint64_t timer_fires = 0;
};

// Lets the owner handle datagrams that share the socket but are not transport packets (P2P
// punches, relay frames; docs/protocol.md §13-14) and route transport datagrams addressed to
// virtual addresses (a peer behind the relay). Called on the driver's thread only.
class DatagramTap {
 public:
  static constexpr std::size_t kMaxTapHeader = 32;
  virtual ~DatagramTap() = default;
  // Every received datagram passes here first. Return true if it was consumed; or rewrite it
  // (set `inner` to the unwrapped bytes, which must stay valid until the call returns to the
  // driver, and `inner_from` to the address the engine should see) and return false.
  virtual bool on_receive(Bytes datagram, const Address& from, Instant now, Bytes& inner, Address& inner_from) = 0;
  // True if `to` is not a real address; its datagrams are wrapped (wrap_header) and sent on.
  virtual bool is_virtual(const Address& to) const = 0;
  // Writes the header that goes in front of each datagram to virtual `to` into `header`
  // (at most kMaxTapHeader bytes) and where the wrapped datagram goes; returns the header's
  // length, or 0 to drop the datagram (no route any more).
  virtual std::size_t wrap_header(const Address& to, MutBytes header, Address& real_to) = 0;
};

class TransportDriver {
 public:
  // Binds `local` and registers the socket with `loop`, which must outlive the driver.
  // Errors: io (bind/epoll), invalid_argument (unset address, options out of range).
  static Result<std::unique_ptr<TransportDriver>> create(EventLoop& loop, std::unique_ptr<transport::Endpoint> endpoint,
                                                         const Address& local, const DriverOptions& options = {});
  ~TransportDriver();
  TransportDriver(const TransportDriver&) = delete;
  TransportDriver& operator=(const TransportDriver&) = delete;

  transport::Endpoint& endpoint() noexcept { return *endpoint_; }
  const transport::Endpoint& endpoint() const noexcept { return *endpoint_; }
  const UdpSocket& socket() const noexcept { return socket_; }
  const Address& local_address() const noexcept { return socket_.local_address(); }
  const DriverCounters& counters() const noexcept { return counters_; }

  // Puts everything the engine wants to send on the wire (or in the arena if the socket is
  // full). Errors: io (the socket failed; see UdpSocket::send_batch).
  Status flush(Instant now);

  // Installs (or with nullptr removes) the tap; it must outlive the driver or be removed first.
  void set_tap(DatagramTap* tap) noexcept { tap_ = tap; }
  // Sends one datagram outside the engine (punches, relay frames). False if the socket buffer
  // was full (the datagram is dropped: these are all retried by their senders). Errors: io.
  Result<bool> send_raw(Bytes datagram, const Address& to) { return socket_.send_to(datagram, to); }

  // One loop iteration: waits until socket activity, the engine's deadline or `wait_until`
  // (whichever is first; a past instant polls without blocking), handles it, fires the
  // engine's timer if due and flushes. Errors: io (epoll or the socket failed).
  Status run_once(Instant wait_until);

 private:
  TransportDriver(EventLoop& loop, std::unique_ptr<transport::Endpoint> endpoint, UdpSocket socket,
                  const DriverOptions& options);
  void on_socket(unsigned events);
  // Wraps a transmit to a virtual address in place (tap headers) and queues its segments;
  // returns the arena bytes used.
  std::size_t wrap_virtual(const transport::Transmit& t, MutBytes buf);
  // 64 segments × a tap header: the most a wrapped transmit can grow by.
  static constexpr std::size_t kTapHeadroom = 64 * DatagramTap::kMaxTapHeader;
  // Sends the gathered entries; returns false if the socket filled up (entries remain).
  Result<bool> send_pending();

  EventLoop& loop_;
  std::unique_ptr<transport::Endpoint> endpoint_;
  UdpSocket socket_;
  DriverOptions options_;
  RecvBuffers rx_;
  // Transmit payloads; pending_ points into it. Not zero-filled (the engine writes every byte it
  // hands back), so only pages actually used are ever faulted in.
  std::unique_ptr<std::uint8_t[]> arena_;
  std::size_t arena_size_ = 0;
  std::vector<OutDatagram> pending_;  // gathered, not yet (fully) sent
  std::size_t pending_first_ = 0;     // pending_[pending_first_..] are unsent
  std::size_t arena_used_ = 0;
  bool want_write_ = false;
  DatagramTap* tap_ = nullptr;
  Status error_;  // first socket failure seen inside a callback, reported by run_once
  DriverCounters counters_;
};

}  // namespace kettle::net
