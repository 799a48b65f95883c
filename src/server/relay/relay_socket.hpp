// The relay's UDP socket on the server's EventLoop: drains datagrams in recvmmsg batches through
// RelayTable::on_datagram and sends what it forwards with one sendmmsg per batch. Forwarded
// datagrams are written into a fixed arena, so the per-packet path allocates nothing. If the
// socket's send buffer is full the rest of that batch is dropped (and counted): relayed
// traffic is transport datagrams, whose senders recover loss themselves.
//
// Single-threaded: the loop's thread owns it.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "core/address.hpp"
#include "core/result.hpp"
#include "net/event_loop.hpp"
#include "net/udp_socket.hpp"
#include "server/relay/relay_table.hpp"

namespace kettle::server::relay {

class RelaySocket {
 public:
  // Binds `local` and registers with `loop`, which must outlive the socket. Errors: io (bind,
  // epoll; the message names the address), invalid_argument (unset address).
  static Result<std::unique_ptr<RelaySocket>> create(net::EventLoop& loop, const Address& local,
                                                     const RelayLimits& limits);
  ~RelaySocket();
  RelaySocket(const RelaySocket&) = delete;
  RelaySocket& operator=(const RelaySocket&) = delete;

  RelayTable& table() noexcept { return table_; }
  const RelayTable& table() const noexcept { return table_; }
  const Address& local_address() const noexcept { return socket_.local_address(); }
  std::uint64_t send_dropped() const noexcept { return send_dropped_; }  // forwards lost to a full send buffer
  // The first socket failure seen in a callback (then cleared), for the loop to report.
  Status take_error() noexcept { return std::exchange(error_, Status{}); }

 private:
  RelaySocket(net::EventLoop& loop, net::UdpSocket socket, const RelayLimits& limits);
  void on_readable();
  void append_forward(const Address& to, Bytes bytes);
  static std::size_t segments(const net::OutDatagram& d);
  void send_forwards();

  net::EventLoop& loop_;
  net::UdpSocket socket_;
  RelayTable table_;
  net::RecvBuffers rx_;
  std::unique_ptr<std::uint8_t[]> arena_;  // kMaxBatch forwarded datagrams
  std::vector<net::OutDatagram> tx_;
  std::uint64_t send_dropped_ = 0;
  Status error_;
};

}  // namespace kettle::server::relay
