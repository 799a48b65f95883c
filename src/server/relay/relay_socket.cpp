// The relay socket: recvmmsg → RelayTable → sendmmsg (see relay_socket.hpp).
#include "server/relay/relay_socket.hpp"

#include <utility>

namespace kettle::server::relay {

namespace {

// A receive slot holds any acceptable relay datagram with room to spare; larger ones arrive
// truncated and are dropped as oversized. GRO is off so slots can stay this small. GSO is on:
// forwards to one member in a row leave as one segmented send (and can reach a GRO reader as
// one read), which is most of a bulk transfer.
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
  so.enable_gso = true;
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
    std::size_t used = 0;
    for (std::size_t i = 0; i < *n; ++i) {
      const net::RecvSlot& slot = slots[i];
      const Bytes datagram{slot.buf.data(), slot.size};
      MutBytes out{arena_.get() + used, kMaxForwardBytes};
      if (auto f = table_.on_datagram(datagram, slot.from, now, out)) {
        used += f->size;
        append_forward(f->to, Bytes{out.data(), f->size});
      }
    }
    send_forwards();
    if (*n < slots.size()) break;  // drained
  }
}

// Forwards are written back to back in the arena, so one that goes to the same member as the
// previous run, with the run's segment size (or shorter, which ends the run), extends it.
void RelaySocket::append_forward(const Address& to, Bytes bytes) {
  if (!tx_.empty()) {
    net::OutDatagram& run = tx_.back();
    const std::size_t seg = run.segment_size == 0 ? run.data.size() : run.segment_size;
    const bool run_open = run.data.size() % seg == 0;  // a shorter last segment closes it
    if (run.to == to && run_open && bytes.size() <= seg && run.data.data() + run.data.size() == bytes.data() &&
        run.data.size() + bytes.size() <= net::kGsoMaxBytes) {
      run.data = Bytes{run.data.data(), run.data.size() + bytes.size()};
      run.segment_size = seg;
      return;
    }
  }
  tx_.push_back(net::OutDatagram{to, bytes, 0});
}

std::size_t RelaySocket::segments(const net::OutDatagram& d) {
  return d.segment_size == 0 ? 1 : (d.data.size() + d.segment_size - 1) / d.segment_size;
}

void RelaySocket::send_forwards() {
  if (tx_.empty()) return;
  auto progress = socket_.send_batch(tx_);
  std::size_t first_unsent = 0, sent_of_partial = 0;
  if (!progress) {
    if (error_.ok()) error_ = std::move(progress).error();
  } else {
    first_unsent = progress->entries;
    if (first_unsent < tx_.size() && tx_[first_unsent].segment_size != 0)
      sent_of_partial = progress->partial_bytes / tx_[first_unsent].segment_size;
  }
  // What the socket could not take now is dropped, as a router would (the peers retransmit).
  for (std::size_t i = first_unsent; i < tx_.size(); ++i) send_dropped_ += segments(tx_[i]);
  send_dropped_ -= sent_of_partial;
  tx_.clear();
}

}  // namespace kettle::server::relay
