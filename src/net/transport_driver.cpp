#include "net/transport_driver.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace kettle::net {
namespace {

// Receive slots per recvmmsg. With GRO each slot can hold a 64 KiB run of coalesced datagrams,
// so fewer slots carry as much as 64 plain ones while keeping the buffer at 1 MiB.
std::size_t recv_slots(const UdpSocket& s) noexcept { return s.gro_enabled() ? 16 : kMaxBatch; }

}  // namespace

Result<std::unique_ptr<TransportDriver>> TransportDriver::create(EventLoop& loop,
                                                                 std::unique_ptr<transport::Endpoint> endpoint,
                                                                 const Address& local, const DriverOptions& options) {
  if (!endpoint) return make_error(Errc::invalid_argument, "transport driver: no endpoint");
  if (options.transmit_bytes < 2048 || options.transmit_bytes > (1u << 20)) {
    return make_error(Errc::invalid_argument, "transport driver: transmit_bytes must be in [2048, 1048576]");
  }
  if (options.transmits_per_batch == 0 || options.transmits_per_batch > kMaxBatch) {
    return make_error(Errc::invalid_argument, "transport driver: transmits_per_batch must be in [1, 64]");
  }
  if (options.recv_batches_per_event == 0) {
    return make_error(Errc::invalid_argument, "transport driver: recv_batches_per_event must be >= 1");
  }
  auto socket = UdpSocket::bind(local, options.socket);
  if (!socket) return std::move(socket).error();
  std::unique_ptr<TransportDriver> d(new TransportDriver(loop, std::move(endpoint), std::move(*socket), options));
  TransportDriver* self = d.get();
  KETTLE_TRY(loop.add(d->socket_.fd(), [self](unsigned events) { self->on_socket(events); }));
  return d;
}

TransportDriver::TransportDriver(EventLoop& loop, std::unique_ptr<transport::Endpoint> endpoint, UdpSocket socket,
                                 const DriverOptions& options)
    : loop_(loop),
      endpoint_(std::move(endpoint)),
      socket_(std::move(socket)),
      options_(options),
      rx_(recv_slots(socket_), socket_.recommended_slot_bytes()),
      arena_(std::make_unique_for_overwrite<std::uint8_t[]>(options.transmit_bytes * options.transmits_per_batch)),
      arena_size_(options.transmit_bytes * options.transmits_per_batch + kTapHeadroom) {
  pending_.reserve(options.transmits_per_batch);
}

TransportDriver::~TransportDriver() { loop_.remove(socket_.fd()); }

void TransportDriver::on_socket(unsigned events) {
  if ((events & EventLoop::kReadable) != 0) {
    const Instant now = monotonic_now();
    const auto slots = rx_.slots();
    for (std::size_t b = 0; b < options_.recv_batches_per_event; ++b) {
      auto n = socket_.recv_batch(slots);
      if (!n) {
        if (error_.ok()) error_ = std::move(n).error();
        return;
      }
      if (*n == 0) break;
      ++counters_.recv_batches;
      for (std::size_t i = 0; i < *n; ++i) {
        const RecvSlot& slot = slots[i];
        if (slot.truncated) continue;  // counted by the socket; a cut datagram would fail AEAD anyway
        slot.for_each_segment([&](Bytes datagram) {
          ++counters_.datagrams_in;
          if (tap_ != nullptr) {
            Bytes inner = datagram;
            Address inner_from = slot.from;
            if (tap_->on_receive(datagram, slot.from, now, inner, inner_from)) return;
            endpoint_->on_datagram(inner, inner_from, now);
            return;
          }
          endpoint_->on_datagram(datagram, slot.from, now);
        });
      }
      if (*n < slots.size()) break;  // the socket is drained
    }
  }
  // Readable or writable: either way the engine may have something to send now (acks after
  // input, or the tail that waited for buffer space).
  if (auto st = flush(monotonic_now()); !st && error_.ok()) error_ = std::move(st).error();
}

Result<bool> TransportDriver::send_pending() {
  const std::span<const OutDatagram> unsent = std::span(pending_).subspan(pending_first_);
  auto progress = socket_.send_batch(unsent);
  if (!progress) return std::move(progress).error();
  pending_first_ += progress->entries;
  if (progress->partial_bytes > 0 && pending_first_ < pending_.size()) {
    // Whole segments of a GSO run went out; the rest keeps its segment size.
    OutDatagram& e = pending_[pending_first_];
    e.data = e.data.subspan(progress->partial_bytes);
  }
  return pending_first_ == pending_.size();
}

std::size_t TransportDriver::wrap_virtual(const transport::Transmit& t, MutBytes buf) {
  // Segments are moved back, last first, to open a gap for each header; each wrapped segment is
  // then one datagram to the real address.
  std::array<std::uint8_t, DatagramTap::kMaxTapHeader> header{};
  Address real_to;
  const std::size_t h = tap_->wrap_header(t.to, header, real_to);
  if (h == 0 || h > header.size()) return 0;
  const std::size_t seg = t.segment_size == 0 ? t.size : t.segment_size;
  const std::size_t n = (t.size + seg - 1) / seg;
  std::uint8_t* base = buf.data();
  for (std::size_t i = n; i-- > 0;) {
    const std::size_t len = std::min(seg, t.size - i * seg);
    std::memmove(base + i * (seg + h) + h, base + i * seg, len);
    std::memcpy(base + i * (seg + h), header.data(), h);
  }
  // The wrapped segments lie back to back at stride seg + h, only the last may be shorter: the
  // layout GSO wants, so they still leave in few sendmsg calls (send_batch splits runs at the
  // GSO limits).
  const std::size_t stride = seg + h;
  const std::size_t total = (n - 1) * stride + (t.size - (n - 1) * seg) + h;
  pending_.push_back(OutDatagram{real_to, Bytes(base, total), n > 1 ? stride : 0});
  return total;
}

Status TransportDriver::flush(Instant now) {
  if (!error_.ok()) return error_;
  for (;;) {
    if (pending_first_ < pending_.size()) {
      auto done = send_pending();
      if (!done) return std::move(done).error();
      if (!*done) {
        // Socket buffer full: keep the tail and stop polling the engine, which holds the
        // rest (its pacing and congestion state already count what we took).
        ++counters_.send_blocked;
        if (!want_write_) {
          KETTLE_TRY(loop_.set_want_write(socket_.fd(), true));
          want_write_ = true;
        }
        return {};
      }
    }
    pending_.clear();
    pending_first_ = 0;
    arena_used_ = 0;
    // With a tap, leave room for a header in front of every segment of a wrapped transmit.
    const std::size_t need = options_.transmit_bytes + (tap_ != nullptr ? kTapHeadroom : 0);
    while (pending_.size() < options_.transmits_per_batch && arena_size_ - arena_used_ >= need) {
      const MutBytes buf(arena_.get() + arena_used_, options_.transmit_bytes);
      const auto t = endpoint_->poll_transmit(now, buf);
      if (!t) break;
      ++counters_.transmits;
      if (tap_ != nullptr && tap_->is_virtual(t->to)) {
        arena_used_ += wrap_virtual(*t, buf);
        continue;
      }
      const std::size_t segment = t->segment_size == 0 || t->segment_size >= t->size ? 0 : t->segment_size;
      pending_.push_back(OutDatagram{t->to, Bytes(buf.data(), t->size), segment});
      arena_used_ += t->size;
    }
    if (pending_.empty()) {
      if (want_write_) {
        KETTLE_TRY(loop_.set_want_write(socket_.fd(), false));
        want_write_ = false;
      }
      return {};
    }
  }
}

Status TransportDriver::run_once(Instant wait_until) {
  if (!error_.ok()) return error_;
  const Instant wake_at = std::min(wait_until, endpoint_->next_deadline());
  auto it = loop_.run_once(wake_at);
  if (!it) return std::move(it).error();
  if (!error_.ok()) return error_;
  const Instant now = monotonic_now();
  if (now >= endpoint_->next_deadline()) {
    endpoint_->on_timer(now);
    ++counters_.timer_fires;
  }
  return flush(now);
}

}  // namespace kettle::net
