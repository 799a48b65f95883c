// Throwaway loopback throughput measurement (not a test; not registered with ctest).
//
//   net_udp_throughput MODE [seconds] [rate_MBps] [spec]
//     mmsg   sendmmsg/recvmmsg, one datagram per entry, no GSO/GRO
//     gso    sendmmsg of GSO runs (54 x 1200 B) -> recvmmsg with GRO
//     proxy  gso sender -> UdpProxy (in-process thread, conditioner spec) -> GRO receiver
//     proxy-mmsg  as proxy, but the sender and receiver use plain sendmmsg/recvmmsg (ENet-like traffic)
// rate_MBps 0 (default) sends as fast as possible; MB = 10^6 bytes. Prints one line per run.
#include <poll.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "net/udp_proxy.hpp"
#include "net/udp_socket.hpp"

using namespace kettle;
using namespace kettle::net;

namespace {

constexpr std::size_t kDatagram = 1200;

struct RxResult {
  std::uint64_t bytes = 0, datagrams = 0;
  Instant first = kInstantNever, last = kInstantZero;
};

void receive_loop(UdpSocket& rx, const std::atomic<bool>& sender_done, RxResult& out) {
  RecvBuffers bufs(64, rx.recommended_slot_bytes());
  for (;;) {
    pollfd p{rx.fd(), POLLIN, 0};
    if (::poll(&p, 1, 200) != 1) {
      if (sender_done.load()) return;
      continue;
    }
    auto n = rx.recv_batch(bufs.slots());
    if (!n.ok()) return;
    const Instant now = monotonic_now();
    for (std::size_t i = 0; i < *n; ++i) {
      const RecvSlot& s = bufs.slots()[i];
      out.bytes += s.size;
      out.datagrams += s.segment_size ? (s.size + s.segment_size - 1) / s.segment_size : 1;
    }
    if (*n > 0) {
      if (out.first == kInstantNever) out.first = now;
      out.last = now;
    }
  }
}

struct TxResult {
  std::uint64_t bytes = 0;
  Duration elapsed{0};
  std::uint64_t calls = 0;
};

TxResult send_loop(UdpSocket& tx, const Address& to, bool gso, double seconds, double rate_mbps) {
  std::vector<std::uint8_t> buf(kGsoMaxBytes);
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<std::uint8_t>(i);
  std::vector<OutDatagram> batch;
  if (gso) {
    const std::size_t segs = kGsoMaxBytes / kDatagram;  // 54
    for (int i = 0; i < 8; ++i) batch.push_back({to, Bytes{buf.data(), segs * kDatagram}, kDatagram});
  } else {
    for (int i = 0; i < 64; ++i) batch.push_back({to, Bytes{buf.data(), kDatagram}, 0});
  }
  TxResult r;
  const Instant start = monotonic_now();
  const Instant end = start + Duration(static_cast<std::int64_t>(seconds * 1e6));
  std::size_t next = 0;
  for (Instant now = start; now < end; now = monotonic_now()) {
    if (rate_mbps > 0) {
      const double allowed = rate_mbps * 1e6 * static_cast<double>(to_us(now - start)) / 1e6;
      if (static_cast<double>(r.bytes) > allowed) {
        std::this_thread::sleep_for(std::chrono::microseconds(50));  // pacing in a measurement tool, not a test
        continue;
      }
    }
    auto s = tx.send_batch(std::span<const OutDatagram>(batch).subspan(next));
    ++r.calls;
    if (!s.ok()) break;
    for (std::size_t i = next; i < next + s->entries; ++i) r.bytes += batch[i].data.size();
    next += s->entries;
    if (next == batch.size()) {
      next = 0;
    } else {
      pollfd p{tx.fd(), POLLOUT, 0};
      (void)::poll(&p, 1, 10);
    }
  }
  r.elapsed = monotonic_now() - start;
  return r;
}

double mbps(std::uint64_t bytes, Duration d) {
  return d > Duration::zero() ? static_cast<double>(bytes) / static_cast<double>(to_us(d)) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "gso";
  const double seconds = argc > 2 ? std::atof(argv[2]) : 2.0;
  const double rate = argc > 3 ? std::atof(argv[3]) : 0.0;
  const std::string spec = argc > 4 ? argv[4] : "";
  const bool offload = mode == "gso" || mode == "proxy";
  SocketOptions opt;
  opt.enable_gso = offload;
  opt.enable_gro = offload;
  auto rx = UdpSocket::bind(Address::loopback_v4(0), opt);
  auto tx = UdpSocket::bind(Address::loopback_v4(0), opt);
  if (!rx.ok() || !tx.ok()) return std::fprintf(stderr, "bind failed\n"), 1;

  std::unique_ptr<UdpProxy> proxy;
  std::thread proxy_thread;
  Address target = rx->local_address();
  if (mode == "proxy" || mode == "proxy-mmsg") {
    ProxyConfig c;
    c.upstream = rx->local_address();
    auto link = LinkSettings::parse(spec);
    if (!link.ok()) return std::fprintf(stderr, "%s\n", link.error().to_string().c_str()), 2;
    c.links = {*link, *link};
    auto p = UdpProxy::create(c);
    if (!p.ok()) return std::fprintf(stderr, "%s\n", p.error().to_string().c_str()), 1;
    proxy = std::move(p).value();
    target = proxy->local_address();
    proxy_thread = std::thread([&] { (void)proxy->run(); });
  }

  std::atomic<bool> done{false};
  RxResult rr;
  std::thread receiver([&] { receive_loop(*rx, done, rr); });
  const TxResult tr = send_loop(*tx, target, offload, seconds, rate);
  done = true;
  receiver.join();
  if (proxy) {
    proxy->stop();
    proxy_thread.join();
  }
  const double rx_window_s = static_cast<double>(to_us(rr.last - rr.first)) / 1e6;
  std::printf(
      "%-5s rcvbuf=%zu gso=%d gro=%d: sent %.1f MB/s (%llu syscalls), received %.1f MB/s over %.2fs, "
      "%.2f%% of sent bytes arrived%s%s\n",
      mode.c_str(), rx->recv_buffer_bytes(), tx->gso_enabled(), rx->gro_enabled(), mbps(tr.bytes, tr.elapsed),
      static_cast<unsigned long long>(tr.calls), mbps(rr.bytes, rr.last - rr.first), rx_window_s,
      tr.bytes ? 100.0 * static_cast<double>(rr.bytes) / static_cast<double>(tr.bytes) : 0.0,
      proxy ? "\n  proxy: " : "", proxy ? proxy->stats().to_string().c_str() : "");
  return 0;
}
