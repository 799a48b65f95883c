// Receive-side bound (issue #3: "flow control bounds on buffered bytes per connection,
// never grow without bound"): an application that stops calling poll_message holds at
// most max_recv_buffer_bytes plus one message and one packet; unreliable data beyond it
// is dropped and counted; once it polls again every reliable message still arrives,
// in order and byte-exact.
#include "sim_harness.hpp"

namespace kettle::sim {
namespace {

using namespace kettle::sim::testing;
using transport::SendType;

TEST(SimUnreadBound, AnApplicationThatStopsPollingHoldsABoundedQueueAndLosesNoReliableData) {
  const std::uint64_t seed = 21;
  transport::Config cfg;
  cfg.max_recv_buffer_bytes = 256 * 1024;
  TwoNodes nodes(seed, 150, cfg);
  Network& net = nodes.net;
  const Address a = nodes.a, b = nodes.b;
  transport::Endpoint& sender = nodes.sender;
  transport::Endpoint& receiver = nodes.receiver;
  net.set_default_latency(ms(5));
  auto conn = sender.connect(b, net.now());
  ASSERT_TRUE(conn.ok());

  transport::ConnectionId rconn = 0;
  ASSERT_TRUE(net.run_until(
      [&] {
        while (auto e = receiver.poll_event())
          if (auto* c = std::get_if<transport::Connected>(&*e)) rconn = c->conn;
        return rconn != 0;
      },
      net.now() + secs(5)));

  // 2 MiB of reliable 4 KiB messages (8x the bound) plus unreliable traffic; never poll.
  constexpr int kMessages = 512;
  std::vector<std::uint8_t> payload;
  int sent = 0;
  const std::vector<std::uint8_t> small(100, 0x5A);
  net.run_until(
      [&] {
        while (sent < kMessages) {
          fill_message(seed, 0, static_cast<std::uint64_t>(sent) + 2, payload);
          payload.resize(4096);
          if (!sender.send(*conn, 0, SendType::reliable, payload, net.now()).ok()) break;
          ++sent;
        }
        (void)sender.send(*conn, 1, SendType::unreliable, small, net.now());
        return false;
      },
      net.now() + secs(20));
  ASSERT_EQ(sent, kMessages) << "the sender's 4 MiB buffer holds all of it";
  auto st = receiver.connection_stats(rconn);
  ASSERT_TRUE(st.ok());
  EXPECT_LE(st->undelivered_bytes, cfg.max_recv_buffer_bytes + 4096 + cfg.max_datagram_size);
  EXPECT_GE(st->undelivered_bytes, cfg.max_recv_buffer_bytes) << "the queue should have filled";
  EXPECT_GT(st->unreliable_dropped_unread, 0u);

  // Poll again: every reliable message arrives, in order, byte-exact.
  int got = 0;
  std::uint64_t bad = 0;
  transport::Message msg;
  std::vector<std::uint8_t> expect;
  ASSERT_TRUE(net.run_until(
      [&] {
        while (receiver.poll_message(msg)) {
          if (!msg.reliable) continue;
          fill_message(seed, 0, static_cast<std::uint64_t>(got) + 2, expect);
          expect.resize(4096);
          if (msg.data != expect) ++bad;
          ++got;
        }
        return got == kMessages;
      },
      net.now() + secs(120)))
      << "got " << got << " of " << kMessages;
  EXPECT_EQ(bad, 0u);
  auto after = receiver.connection_stats(rconn);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->undelivered_bytes, 0u);
}

}  // namespace
}  // namespace kettle::sim
