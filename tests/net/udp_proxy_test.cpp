#include "net/udp_proxy.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "net_test_util.hpp"

namespace kettle::net {
namespace {

using test::bind_loopback;
using test::pattern;
using test::receive;

std::unique_ptr<UdpProxy> make_proxy(const Address& upstream, const char* up = "", const char* down = "",
                                     std::function<void(ProxyConfig&)> tweak = nullptr) {
  ProxyConfig c;
  c.upstream = upstream;
  c.links.up = *LinkSettings::parse(up);
  c.links.down = *LinkSettings::parse(down);
  c.seed = 42;
  if (tweak) tweak(c);
  auto p = UdpProxy::create(c);
  EXPECT_TRUE(p.ok()) << p.error().to_string();
  return std::move(p).value();
}

// Runs the proxy's loop on this thread until pred() holds; the limit is an upper bound only.
bool pump_until(UdpProxy& p, const std::function<bool(const ProxyStats&)>& pred) {
  const Instant limit = monotonic_now() + ms(test::kWaitLimitMs);
  while (!pred(p.stats())) {
    if (monotonic_now() >= limit) return false;
    if (!p.run_once(std::min(limit, monotonic_now() + ms(50))).ok()) return false;
  }
  return true;
}

std::vector<std::vector<std::uint8_t>> send_pattern(UdpSocket& from, const Address& to, std::uint32_t first,
                                                    std::uint32_t count) {
  std::vector<std::vector<std::uint8_t>> sent;
  std::vector<OutDatagram> batch;
  for (std::uint32_t i = first; i < first + count; ++i) sent.push_back(pattern(i, 1 + (i * 53) % 1400));
  for (auto& d : sent) batch.push_back({to, d});
  auto r = from.send_batch(batch);
  EXPECT_TRUE(r.ok() && r->entries == batch.size());
  return sent;
}

TEST(UdpProxy, ForwardsBothDirectionsByteExact) {
  auto server = bind_loopback();
  auto client = bind_loopback();
  auto proxy = make_proxy(server.local_address());
  const Address px = proxy->local_address();
  EXPECT_NE(px.port, 0);

  const auto up = send_pattern(client, px, 0, 200);
  ASSERT_TRUE(pump_until(*proxy, [](const ProxyStats& s) { return s.up.passed == 200; }));
  auto at_server = receive(server, 200);
  ASSERT_EQ(at_server.size(), 200u);
  const Address session = at_server[0].from;
  EXPECT_NE(session, client.local_address());  // the upstream sees the proxy's session socket
  for (std::size_t i = 0; i < 200; ++i) {
    EXPECT_EQ(at_server[i].data, up[i]) << i;
    EXPECT_EQ(at_server[i].from, session);
  }

  const auto down = send_pattern(server, session, 1000, 200);
  ASSERT_TRUE(pump_until(*proxy, [](const ProxyStats& s) { return s.down.passed == 200; }));
  auto at_client = receive(client, 200);
  ASSERT_EQ(at_client.size(), 200u);
  for (std::size_t i = 0; i < 200; ++i) {
    EXPECT_EQ(at_client[i].data, down[i]) << i;
    EXPECT_EQ(at_client[i].from, px);
  }
  const ProxyStats st = proxy->stats();
  EXPECT_EQ(st.clients_accepted, 1u);
  EXPECT_EQ(st.up.lost + st.down.lost, 0u);
}

TEST(UdpProxy, GsoBatchFromClientKeepsSegmentBoundaries) {
  auto server = bind_loopback();
  auto client = bind_loopback();
  auto proxy = make_proxy(server.local_address());
  std::vector<std::uint8_t> buf;
  for (std::uint32_t i = 0; i < 100; ++i) {
    auto p = pattern(i, i == 99 ? 77 : 1200);
    buf.insert(buf.end(), p.begin(), p.end());
  }
  const OutDatagram d{proxy->local_address(), buf, 1200};
  ASSERT_TRUE(client.send_batch({&d, 1}).ok());
  ASSERT_TRUE(pump_until(*proxy, [](const ProxyStats& s) { return s.up.passed == 100; }));
  auto got = receive(server, 100);
  ASSERT_EQ(got.size(), 100u);
  for (std::uint32_t i = 0; i < 100; ++i) EXPECT_EQ(got[i].data, pattern(i, i == 99 ? 77 : 1200)) << i;
}

TEST(UdpProxy, FullLossDeliversNothing) {
  auto server = bind_loopback();
  auto client = bind_loopback();
  auto proxy = make_proxy(server.local_address(), "loss=100%", "loss=100%");
  (void)send_pattern(client, proxy->local_address(), 0, 100);
  ASSERT_TRUE(pump_until(*proxy, [](const ProxyStats& s) { return s.up.lost == 100; }));
  // Anything forwarded would already sit in the server's queue (loopback delivers in the send call).
  RecvBuffers bufs(4, server.recommended_slot_bytes());
  auto n = server.recv_batch(bufs.slots());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(proxy->stats().up.passed, 0u);
}

TEST(UdpProxy, LatencyHoldsDatagramsAtLeastThatLong) {
  auto server = bind_loopback();
  auto client = bind_loopback();
  auto proxy = make_proxy(server.local_address(), "latency=20ms");
  const Instant sent_at = monotonic_now();
  (void)send_pattern(client, proxy->local_address(), 0, 10);
  ASSERT_TRUE(pump_until(*proxy, [](const ProxyStats& s) { return s.up.passed == 10; }));
  EXPECT_GE(monotonic_now(), sent_at + ms(20));  // lower bound only
  EXPECT_EQ(receive(server, 10).size(), 10u);
}

TEST(UdpProxy, SeparateSessionsPerClientRouteRepliesBack) {
  auto server = bind_loopback();
  auto a = bind_loopback();
  auto b = bind_loopback();
  auto proxy = make_proxy(server.local_address());
  ASSERT_TRUE(a.send_to(as_bytes("from a"), proxy->local_address()).ok());
  ASSERT_TRUE(b.send_to(as_bytes("from b"), proxy->local_address()).ok());
  ASSERT_TRUE(pump_until(*proxy, [](const ProxyStats& s) { return s.up.passed == 2; }));
  auto got = receive(server, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NE(got[0].from, got[1].from);
  for (const auto& g : got) {  // echo with a marker so each client can check it got its own
    std::vector<std::uint8_t> reply = g.data;
    reply.push_back('!');
    ASSERT_TRUE(server.send_to(reply, g.from).ok());
  }
  ASSERT_TRUE(pump_until(*proxy, [](const ProxyStats& s) { return s.down.passed == 2; }));
  auto ra = receive(a, 1), rb = receive(b, 1);
  ASSERT_EQ(ra.size(), 1u);
  ASSERT_EQ(rb.size(), 1u);
  EXPECT_EQ(std::string(ra[0].data.begin(), ra[0].data.end()), "from a!");
  EXPECT_EQ(std::string(rb[0].data.begin(), rb[0].data.end()), "from b!");
  EXPECT_EQ(proxy->stats().clients_accepted, 2u);
}

TEST(UdpProxy, StrangersWritingToASessionSocketAreDroppedAndCounted) {
  auto server = bind_loopback();
  auto client = bind_loopback();
  auto stranger = bind_loopback();
  auto proxy = make_proxy(server.local_address());
  ASSERT_TRUE(client.send_to(as_bytes("hi"), proxy->local_address()).ok());
  ASSERT_TRUE(pump_until(*proxy, [](const ProxyStats& s) { return s.up.passed == 1; }));
  auto got = receive(server, 1);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(stranger.send_to(as_bytes("spoof"), got[0].from).ok());  // not the upstream
  ASSERT_TRUE(pump_until(*proxy, [](const ProxyStats& s) { return s.stray_dropped == 1; }));
  EXPECT_EQ(proxy->stats().down.pushed, 0u);
}

TEST(UdpProxy, ClientsBeyondMaxAreRejected) {
  auto server = bind_loopback();
  auto a = bind_loopback();
  auto b = bind_loopback();
  auto proxy = make_proxy(server.local_address(), "", "", [](ProxyConfig& c) { c.max_clients = 1; });
  ASSERT_TRUE(a.send_to(as_bytes("a"), proxy->local_address()).ok());
  ASSERT_TRUE(pump_until(*proxy, [](const ProxyStats& s) { return s.clients_accepted == 1; }));
  ASSERT_TRUE(b.send_to(as_bytes("b"), proxy->local_address()).ok());
  ASSERT_TRUE(pump_until(*proxy, [](const ProxyStats& s) { return s.clients_rejected == 1; }));
  EXPECT_EQ(proxy->stats().up.pushed, 1u);
}

TEST(UdpProxy, IdleSessionsExpire) {
  auto server = bind_loopback();
  auto client = bind_loopback();
  auto proxy = make_proxy(server.local_address(), "", "", [](ProxyConfig& c) { c.client_idle_timeout = ms(40); });
  ASSERT_TRUE(client.send_to(as_bytes("hi"), proxy->local_address()).ok());
  ASSERT_TRUE(pump_until(*proxy, [](const ProxyStats& s) { return s.clients_expired == 1; }));
  EXPECT_EQ(proxy->stats().up.passed, 1u);  // counters of closed sessions are kept
  // The same client comes back as a new session.
  ASSERT_TRUE(client.send_to(as_bytes("again"), proxy->local_address()).ok());
  ASSERT_TRUE(pump_until(*proxy, [](const ProxyStats& s) { return s.clients_accepted == 2; }));
}

TEST(UdpProxy, RunOnThreadUntilStopped) {
  auto server = bind_loopback();
  auto client = bind_loopback();
  auto proxy = make_proxy(server.local_address(), "latency=1ms", "latency=1ms");
  Status result = Error{Errc::internal, "not run"};
  std::thread t([&] { result = proxy->run(); });
  const auto sent = send_pattern(client, proxy->local_address(), 7, 50);
  auto got = receive(server, 50);  // waits on the server socket while the proxy thread forwards
  ASSERT_EQ(got.size(), 50u);
  for (std::size_t i = 0; i < 50; ++i) EXPECT_EQ(got[i].data, sent[i]);
  proxy->stop();
  t.join();
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(proxy->stats().up.passed, 50u);
  EXPECT_NE(proxy->stats().to_string().find("up: passed=50"), std::string::npos) << proxy->stats().to_string();
}

TEST(UdpProxy, ConfigErrorsAreValues) {
  ProxyConfig c;
  EXPECT_EQ(UdpProxy::create(c).code(), Errc::invalid_argument);  // no upstream
  c.upstream = Address::loopback_v4(9);
  c.links.up.loss_percent = 101;
  auto r = UdpProxy::create(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("up: ", 0), 0u) << r.error().message;
  c.links.up.loss_percent = 0;
  c.max_clients = 0;
  EXPECT_EQ(UdpProxy::create(c).code(), Errc::invalid_argument);
}

}  // namespace
}  // namespace kettle::net
