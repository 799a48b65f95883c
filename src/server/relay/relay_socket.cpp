// The relay socket: recvmmsg → RelayTable → sendmmsg (see relay_socket.hpp).
#include "server/relay/relay_socket.hpp"

#include <utility>

namespace kettle::server::relay {

namespace {

// A receive slot holds any acceptable relay datagram with room to spare; larger ones arrive
// truncated and are dropped as oversized. GRO is off so slots can stay this small.
constexpr std::size_t kSlotBytes = 2048;
static_assert(kSlotBytes > kToRelayHeaderBytes + kMaxRelayPayload);
// Batches drained per readable event before yielding to the rest of the loop (the control
// connections share the thread).
constexpr int kBatchesPerEvent = 8;

}  // namespace

Result<std::unique_ptr<RelaySocket>> RelaySocket::create(net::EventLoop& loop, const Address& local,
                                                         const RelayLimits& limits) {
  net::SocketOptions so;
  so.enable_gro = false;
  so.enable_gso = false;
  auto socket = net::UdpSocket::bind(local, so);
  if (!socket) {
    Error e = std::move(socket).error();
    e.message = "relay UDP " + local.to_string() + ": " + e.message;
    return e;
  }
  std::unique_ptr<RelaySocket> r(new RelaySocket(loop, std::move(*socket), limits));
  RelaySocket* self = r.get();
  KETTLE_TRY(loop.add(r->socket_.fd(), [self](unsigned events) {
    if ((events & net::EventLoop::kReadable) != 0) self->on_readable();
  }));
  return r;
}

RelaySocket::RelaySocket(net::EventLoop& loop, net::UdpSocket socket, const RelayLimits& limits)
    : loop_(loop),
      socket_(std::move(socket)),
      table_(limits),
      rx_(net::kMaxBatch, kSlotBytes),
      arena_(std::make_unique_for_overwrite<std::uint8_t[]>(net::kMaxBatch * kMaxForwardBytes)) {
  tx_.reserve(net::kMaxBatch);
}

RelaySocket::~RelaySocket() { loop_.remove(socket_.fd()); }

void RelaySocket::on_readable() {
  const Instant now = monotonic_now();
  const auto slots = rx_.slots();
  for (int b = 0; b < kBatchesPerEvent; ++b) {
    auto n = socket_.recv_batch(slots);
    if (!n) {
      if (error_.ok()) error_ = std::move(n).error();
      return;
    }
    for (std::size_t i = 0; i < *n; ++i) {
      const net::RecvSlot& slot = slots[i];
      const Bytes datagram{slot.buf.data(), slot.size};
      MutBytes out{arena_.get() + tx_.size() * kMaxForwardBytes, kMaxForwardBytes};
      if (auto f = table_.on_datagram(datagram, slot.from, now, out)) {
        tx_.push_back(net::OutDatagram{f->to, Bytes{out.data(), f->size}, 0});
      }
    }
    send_forwards();
    if (*n < slots.size()) break;  // drained
  }
}

void RelaySocket::send_forwards() {
  if (tx_.empty()) return;
  auto progress = socket_.send_batch(tx_);
  if (!progress) {
    if (error_.ok()) error_ = std::move(progress).error();
    send_dropped_ += tx_.size();
  } else {
    send_dropped_ += tx_.size() - progress->entries;
  }
  tx_.clear();
}

}  // namespace kettle::server::relay
