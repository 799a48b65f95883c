#include "net/udp_socket.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include "net_test_util.hpp"

namespace kettle::net {
namespace {

using test::bind_loopback;
using test::pattern;
using test::receive;

TEST(UdpSocket, BindEphemeralReportsAddressAndBuffers) {
  auto s = UdpSocket::bind(Address::loopback_v4(0));
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(s->local_address().family, Address::Family::v4);
  EXPECT_EQ(s->local_address().v4_host_order(), 0x7F000001u);
  EXPECT_NE(s->local_address().port, 0);
  EXPECT_GT(s->recv_buffer_bytes(), 0u);
  EXPECT_GT(s->send_buffer_bytes(), 0u);
  EXPECT_GE(s->fd(), 0);
}

TEST(UdpSocket, BindErrorsAreValuesWithErrnoText) {
  auto a = bind_loopback();
  auto clash = UdpSocket::bind(a.local_address());  // same port, no SO_REUSEADDR
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.code(), Errc::io);
  EXPECT_NE(clash.error().message.find("errno"), std::string::npos) << clash.error().message;
  EXPECT_EQ(UdpSocket::bind(Address{}).code(), Errc::invalid_argument);
}

TEST(UdpSocket, MoveTransfersOwnership) {
  auto a = bind_loopback();
  const int fd = a.fd();
  UdpSocket b = std::move(a);
  EXPECT_EQ(b.fd(), fd);
  EXPECT_EQ(a.fd(), -1);  // NOLINT(bugprone-use-after-move): moved-from state is documented
}

TEST(UdpSocket, SockaddrRoundTripV4V6AndMapped) {
  for (const char* text : {"127.0.0.1:9", "10.1.2.3:65535", "[::1]:7", "[2001:db8::5]:27015"}) {
    const Address a = *Address::parse(text);
    sockaddr_storage ss;
    const socklen_t len = to_sockaddr(a, ss);
    EXPECT_EQ(from_sockaddr(ss, len), a) << text;
  }
  const Address v4 = Address::loopback_v4(1234);
  sockaddr_storage ss;
  const socklen_t len = to_sockaddr(v4, ss, /*v6_socket=*/true);
  EXPECT_EQ(ss.ss_family, AF_INET6);
  EXPECT_EQ(from_sockaddr(ss, len), v4);  // v4-mapped comes back as plain v4
  EXPECT_EQ(to_sockaddr(Address{}, ss), 0u);
  EXPECT_FALSE(from_sockaddr(ss, 0).is_set());
}

TEST(UdpSocket, BatchSendReceivePreservesBytesAndSources) {
  auto rx = bind_loopback();
  auto a = bind_loopback();
  auto b = bind_loopback();
  std::vector<std::vector<std::uint8_t>> payloads;
  for (std::uint32_t i = 0; i < 100; ++i) payloads.push_back(pattern(i, 1 + (i * 37) % 1400));
  std::vector<OutDatagram> batch_a, batch_b;
  for (std::uint32_t i = 0; i < 100; ++i) (i % 2 == 0 ? batch_a : batch_b).push_back({rx.local_address(), payloads[i]});
  auto ra = a.send_batch(batch_a);
  auto rb = b.send_batch(batch_b);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->entries, batch_a.size());
  EXPECT_EQ(rb->entries, batch_b.size());
  EXPECT_EQ(a.counters().datagrams_sent, 50u);
  EXPECT_LE(a.counters().send_calls, 2u);  // 50 datagrams fit one sendmmsg

  auto got = receive(rx, 100);
  ASSERT_EQ(got.size(), 100u);
  std::size_t next_a = 0, next_b = 1;  // per-source order is preserved on loopback
  for (const auto& r : got) {
    if (r.from == a.local_address()) {
      EXPECT_EQ(r.data, payloads[next_a]);
      next_a += 2;
    } else {
      ASSERT_EQ(r.from, b.local_address());
      EXPECT_EQ(r.data, payloads[next_b]);
      next_b += 2;
    }
  }
  EXPECT_EQ(next_a, 100u);
  EXPECT_EQ(next_b, 101u);
  EXPECT_EQ(rx.counters().datagrams_received, 100u);
}

TEST(UdpSocket, EmptyDatagramIsDelivered) {
  auto rx = bind_loopback();
  auto tx = bind_loopback();
  auto r = tx.send_to(Bytes{}, rx.local_address());
  ASSERT_TRUE(r.ok() && *r);
  auto got = receive(rx, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].data.empty());
}

// Sends `segments` segments of seg_bytes (last one `last_bytes`) as one GSO entry.
void check_segmented_send(UdpSocket& tx, UdpSocket& rx, std::size_t segments, std::size_t seg_bytes,
                          std::size_t last_bytes, std::size_t* coalesced = nullptr) {
  std::vector<std::uint8_t> buf;
  for (std::size_t i = 0; i < segments; ++i) {
    auto p = pattern(static_cast<std::uint32_t>(i), i + 1 == segments ? last_bytes : seg_bytes);
    buf.insert(buf.end(), p.begin(), p.end());
  }
  const OutDatagram d{rx.local_address(), buf, seg_bytes};
  auto r = tx.send_batch({&d, 1});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->entries, 1u);
  auto got = receive(rx, segments, coalesced);
  ASSERT_EQ(got.size(), segments);
  for (std::size_t i = 0; i < segments; ++i) {
    EXPECT_EQ(got[i].from, tx.local_address());
    EXPECT_EQ(got[i].data, pattern(static_cast<std::uint32_t>(i), i + 1 == segments ? last_bytes : seg_bytes))
        << "segment " << i;
  }
}

TEST(UdpSocket, GsoSendArrivesWithExactSegmentBoundaries) {
  auto tx = bind_loopback();
  auto rx_gro = bind_loopback();
  SocketOptions no_gro;
  no_gro.enable_gro = false;
  auto rx_plain = bind_loopback(no_gro);
  std::size_t coalesced = 0;
  check_segmented_send(tx, rx_gro, 10, 1200, 500, &coalesced);
  check_segmented_send(tx, rx_plain, 10, 1200, 500);
  check_segmented_send(tx, rx_plain, 7, 1000, 1000);  // last segment full-size
  // More segments than one GSO send may carry: split into chunks of <= kGsoMaxSegments.
  check_segmented_send(tx, rx_gro, 150, 1200, 17, &coalesced);
  EXPECT_EQ(tx.counters().datagrams_sent, 10u + 10 + 7 + 150);
  EXPECT_EQ(tx.counters().gso_fallbacks, 0u);
  if (tx.gso_enabled() && rx_gro.gro_enabled()) {
    EXPECT_GT(coalesced, 0u);  // loopback hands GSO batches to a GRO socket intact
  }
}

TEST(UdpSocket, FallbackWithoutGsoSendsEachSegment) {
  SocketOptions no_gso;
  no_gso.enable_gso = false;
  auto tx = bind_loopback(no_gso);
  ASSERT_FALSE(tx.gso_enabled());
  auto rx = bind_loopback();
  check_segmented_send(tx, rx, 10, 1200, 500);
  check_segmented_send(tx, rx, 100, 300, 1);  // > kMaxBatch parts: several sendmmsg calls
  EXPECT_EQ(tx.counters().datagrams_sent, 110u);
  EXPECT_GE(tx.counters().send_calls, 3u);
}

TEST(UdpSocket, GsoRejectedAtSendTimeFallsBackWithoutLoss) {
  auto tx = bind_loopback();
  auto rx = bind_loopback();
  ASSERT_TRUE(tx.gso_enabled()) << "kernel without UDP_SEGMENT: the runtime fallback cannot be exercised";
  // Linux refuses GSO sends on a socket without UDP checksums (EINVAL), like a path without offload.
  const int one = 1;
  ASSERT_EQ(setsockopt(tx.fd(), SOL_SOCKET, SO_NO_CHECK, &one, sizeof one), 0);
  check_segmented_send(tx, rx, 20, 1200, 300);
  EXPECT_EQ(tx.counters().gso_fallbacks, 1u);
  EXPECT_FALSE(tx.gso_enabled());
  EXPECT_EQ(tx.counters().send_errors, 0u);
  check_segmented_send(tx, rx, 5, 800, 800);  // later sends go straight to the split path
  EXPECT_EQ(tx.counters().gso_fallbacks, 1u);
}

TEST(UdpSocket, TruncatedDatagramIsFlagged) {
  SocketOptions no_gro;
  no_gro.enable_gro = false;
  auto rx = bind_loopback(no_gro);
  auto tx = bind_loopback();
  auto big = pattern(1, 500);
  ASSERT_TRUE(tx.send_to(big, rx.local_address()).ok());
  ASSERT_TRUE(test::wait_readable(rx.fd()));
  RecvBuffers bufs(1, 100);
  auto n = rx.recv_batch(bufs.slots());
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, 1u);
  EXPECT_TRUE(bufs.slots()[0].truncated);
  EXPECT_EQ(bufs.slots()[0].size, 100u);
  EXPECT_EQ(rx.counters().recv_truncated, 1u);
}

TEST(UdpSocket, UndeliverableDatagramIsCountedAndSkipped) {
  auto rx = bind_loopback();
  auto tx = bind_loopback();
  const auto good = pattern(2, 64);
  std::vector<OutDatagram> batch{{Address{}, good}, {rx.local_address(), good}};  // first has no destination
  auto r = tx.send_batch(batch);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->entries, 2u);
  EXPECT_EQ(tx.counters().send_errors, 1u);
  auto got = receive(rx, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, good);
}

TEST(UdpSocket, RecvWithNothingPendingReturnsZero) {
  auto rx = bind_loopback();
  RecvBuffers bufs(4, rx.recommended_slot_bytes());
  auto n = rx.recv_batch(bufs.slots());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

}  // namespace
}  // namespace kettle::net
