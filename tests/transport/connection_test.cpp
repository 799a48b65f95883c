// Connection behaviour through the Pair harness: send types, Nagle, close,
// idle timeout and keepalive, bad input.
#include <gtest/gtest.h>

#include "transport/packet.hpp"
#include "transport/transport_pair.hpp"

namespace kettle::transport {
namespace {

using test::Datagram;
using test::make_payload;
using test::Pair;

std::size_t count_on(const std::vector<Message>& msgs, int channel, bool reliable) {
  std::size_t n = 0;
  for (const auto& m : msgs) n += (m.channel == channel && m.reliable == reliable);
  return n;
}

TEST(Connection, EverySendTypeArrives) {
  Pair p(10);
  auto [ca, cb] = p.connect();
  for (std::uint32_t i = 0; i < 4; ++i) {
    const auto type = static_cast<SendType>(i);
    ASSERT_TRUE(p.a->send(ca, static_cast<int>(i), type, make_payload(static_cast<int>(i), i, 300), p.now).ok());
  }
  ASSERT_TRUE(p.run_until([&] { return p.msgs_b.size() == 4; }, secs(2))) << "seed " << p.seed();
  for (const auto& m : p.msgs_b) {
    EXPECT_EQ(m.conn, cb);
    EXPECT_EQ(m.data, make_payload(m.channel, static_cast<std::uint32_t>(m.channel), 300));
    EXPECT_EQ(m.reliable, m.channel >= 2);
  }
  // And back the other way.
  ASSERT_TRUE(p.b->send(cb, 5, SendType::reliable, make_payload(5, 9, 10), p.now).ok());
  ASSERT_TRUE(p.run_until([&] { return !p.msgs_a.empty(); }, secs(2)));
  EXPECT_EQ(p.msgs_a[0].conn, ca);
}

TEST(Connection, UnreliableQueuedWhileConnectingIsSentOnConnect) {
  Pair p(11);
  auto id = p.a->connect(p.addr_b, p.now);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(p.a->send(*id, 0, SendType::unreliable, make_payload(0, 1, 1200), p.now).ok());
  ASSERT_TRUE(p.a->send(*id, 0, SendType::reliable, make_payload(0, 2, 100), p.now).ok());
  // No-delay while connecting: dropped and counted, never an error.
  ASSERT_TRUE(p.a->send(*id, 0, SendType::unreliable_no_delay, make_payload(0, 3, 10), p.now).ok());
  EXPECT_EQ(p.a->connection_stats(*id)->unreliable_dropped_no_delay, 1u);
  ASSERT_TRUE(p.run_until([&] { return p.msgs_b.size() == 2; }, secs(2)));
  EXPECT_EQ(p.msgs_b[0].data, make_payload(0, 1, 1200));
  EXPECT_FALSE(p.msgs_b[0].reliable);
  EXPECT_EQ(p.msgs_b[1].data, make_payload(0, 2, 100));
}

TEST(Connection, NoDelaySendsThatCannotGoOutSoonAreDroppedNotBlocked) {
  Config c;
  c.max_send_buffer_bytes = 64u << 20;
  Pair p(12, c);
  auto [ca, cb] = p.connect();
  p.run_for(ms(50));
  ASSERT_TRUE(p.a->send(ca, 0, SendType::unreliable_no_delay, make_payload(0, 0, 100), p.now).ok());
  EXPECT_EQ(p.a->connection_stats(ca)->unreliable_dropped_no_delay, 0u);  // idle link: it goes out
  // ~7 MB of unreliable data queued ahead cannot drain within 200 ms at the current pacing rate.
  for (std::uint32_t i = 0; i < 6000; ++i) {
    ASSERT_TRUE(p.a->send(ca, 0, SendType::unreliable, make_payload(0, i, 1200), p.now).ok());
  }
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(p.a->send(ca, 1, SendType::unreliable_no_delay, make_payload(1, 0, 100), p.now).ok());
  }
  EXPECT_EQ(p.a->connection_stats(ca)->unreliable_dropped_no_delay, 10u);
  ASSERT_TRUE(p.run_until([&] { return count_on(p.msgs_b, 0, false) >= 6001; }, secs(20)));
  EXPECT_EQ(count_on(p.msgs_b, 1, false), 0u);
}

// Long keepalives so no PING lands inside the measured windows.
Config quiet() {
  Config c;
  c.keepalive_interval = secs(5);
  return c;
}

TEST(Connection, NagleCoalescesBufferedSendsUntilDelay) {
  Pair p(13, quiet(), quiet());
  auto [ca, cb] = p.connect();
  p.run_for(ms(100));
  const auto sent_before = p.datagrams_a_to_b;
  for (std::uint32_t i = 0; i < 50; ++i) {  // 50 × 12 B: well under one packet
    ASSERT_TRUE(p.a->send(ca, 2, SendType::reliable_buffered, make_payload(2, i, 11), p.now).ok());
  }
  p.run_for(ms(150));
  EXPECT_EQ(p.datagrams_a_to_b, sent_before) << "held by Nagle";
  EXPECT_TRUE(p.msgs_b.empty());
  p.run_for(ms(60));  // nagle_delay (200 ms) has passed
  EXPECT_EQ(p.msgs_b.size(), 50u);
  EXPECT_EQ(p.datagrams_a_to_b, sent_before + 1) << "all 50 messages in one packet";
  for (std::uint32_t i = 0; i < 50; ++i) EXPECT_EQ(p.msgs_b[i].data, make_payload(2, i, 11));
}

TEST(Connection, NagleIsFlushedByAReliableSendAndByAFullPacket) {
  Pair p(14, quiet(), quiet());
  auto [ca, cb] = p.connect();
  p.run_for(ms(100));
  auto sent_before = p.datagrams_a_to_b;
  for (std::uint32_t i = 0; i < 20; ++i) {
    ASSERT_TRUE(p.a->send(ca, 3, SendType::reliable_buffered, make_payload(3, i, 20), p.now).ok());
  }
  ASSERT_TRUE(p.a->send(ca, 4, SendType::reliable, make_payload(4, 0, 20), p.now).ok());  // flushes channel 3 too
  p.run_for(ms(20));
  EXPECT_EQ(p.msgs_b.size(), 21u);
  EXPECT_EQ(p.datagrams_a_to_b, sent_before + 1);

  // 1000 × 64 B buffered: every full packet's worth goes out without waiting.
  sent_before = p.datagrams_a_to_b;
  for (std::uint32_t i = 0; i < 1000; ++i) {
    ASSERT_TRUE(p.a->send(ca, 3, SendType::reliable_buffered, make_payload(3, 100 + i, 64), p.now).ok());
  }
  p.run_for(ms(50));
  EXPECT_GE(p.msgs_b.size(), 21u + 950u);  // at most one packet's worth still held
  EXPECT_LE(p.datagrams_a_to_b - sent_before, 60u) << "≈ 65 KB in ~55 packets, not 1000";
  p.run_for(ms(200));
  EXPECT_EQ(p.msgs_b.size(), 1021u);
}

TEST(Connection, CloseDeliversQueuedReliableDataThenClosedOnBothSides) {
  Pair p(15);
  auto [ca, cb] = p.connect();
  for (std::uint32_t i = 0; i < 40; ++i) {
    ASSERT_TRUE(p.a->send(ca, 0, SendType::reliable, make_payload(0, i, 5000), p.now).ok());
  }
  ASSERT_TRUE(p.a->close(ca, 7, "bye", p.now).ok());
  EXPECT_EQ(p.a->send(ca, 0, SendType::reliable, make_payload(0, 0, 1), p.now).code(), Errc::closed);
  EXPECT_EQ(p.a->close(ca, 7, "again", p.now).code(), Errc::closed);
  ASSERT_TRUE(p.run_until([&] { return Pair::closed(p.events_a) && Pair::closed(p.events_b); }, secs(5)));
  EXPECT_EQ(count_on(p.msgs_b, 0, true), 40u);
  const Closed* ea = Pair::closed(p.events_a);
  const Closed* eb = Pair::closed(p.events_b);
  EXPECT_FALSE(ea->by_peer);
  EXPECT_TRUE(eb->by_peer);
  EXPECT_EQ(eb->reason, CloseReason::application);
  EXPECT_EQ(eb->app_code, 7);
  EXPECT_EQ(eb->message, "bye");
  EXPECT_EQ(eb->conn, cb);
  p.run_for(secs(2));  // draining ends; both connections are gone
  EXPECT_EQ(p.a->connection_stats(ca).code(), Errc::not_connected);
  EXPECT_EQ(p.b->connection_stats(cb).code(), Errc::not_connected);
  EXPECT_EQ(p.a->send(ca, 0, SendType::reliable, make_payload(0, 0, 1), p.now).code(), Errc::not_connected);
}

TEST(Connection, IdleTimeoutClosesBothSidesWhenOneDirectionIsBlackholed) {
  Config c;
  c.idle_timeout = secs(3);
  Pair p(16, c, c);
  p.connect();
  p.a_to_b.blackhole = true;
  const Instant start = p.now;
  ASSERT_TRUE(p.run_until([&] { return Pair::closed(p.events_a) && Pair::closed(p.events_b); }, secs(20)));
  EXPECT_EQ(Pair::closed(p.events_a)->reason, CloseReason::idle_timeout);
  EXPECT_EQ(Pair::closed(p.events_b)->reason, CloseReason::idle_timeout);
  EXPECT_FALSE(Pair::closed(p.events_b)->by_peer);
  EXPECT_GE(p.now - start, secs(3));
  EXPECT_LE(p.now - start, secs(6));  // both within twice the limit
}

TEST(Connection, HealthyIdleConnectionSurvivesFarBeyondIdleTimeout) {
  Config c;
  c.idle_timeout = secs(2);
  c.keepalive_interval = ms(500);
  Pair p(17, c, c);
  auto [ca, cb] = p.connect();
  p.run_for(secs(60));  // 30 idle timeouts
  EXPECT_EQ(Pair::closed(p.events_a), nullptr);
  EXPECT_EQ(Pair::closed(p.events_b), nullptr);
  ASSERT_TRUE(p.a->send(ca, 0, SendType::reliable, make_payload(0, 1, 10), p.now).ok());
  ASSERT_TRUE(p.run_until([&] { return !p.msgs_b.empty(); }, secs(1)));
  // Keepalives are cheap: about one PING and one ACK per interval per side.
  EXPECT_LT(p.datagrams_a_to_b, 300u);
}

TEST(Connection, BadInputIsAnErrorAndLeavesTheConnectionWorking) {
  Pair p(18);
  auto [ca, cb] = p.connect();
  const auto small = make_payload(0, 0, 10);
  EXPECT_EQ(p.a->send(ca, -1, SendType::reliable, small, p.now).code(), Errc::invalid_argument);
  EXPECT_EQ(p.a->send(ca, 256, SendType::reliable, small, p.now).code(), Errc::invalid_argument);
  EXPECT_EQ(p.a->send(ca, 0, static_cast<SendType>(9), small, p.now).code(), Errc::invalid_argument);
  EXPECT_EQ(p.a->send(ca, 0, SendType::reliable, Bytes{}, p.now).code(), Errc::invalid_argument);
  EXPECT_EQ(p.a->send(ca, 0, SendType::unreliable, make_payload(0, 0, 1201), p.now).code(), Errc::too_large);
  EXPECT_TRUE(p.a->send(ca, 0, SendType::unreliable, make_payload(0, 0, 1200), p.now).ok());  // the boundary
  EXPECT_EQ(p.a->send(ca, 0, SendType::reliable, make_payload(0, 0, (1 << 20) + 1), p.now).code(), Errc::too_large);
  EXPECT_EQ(p.a->send(ca + 1, 0, SendType::reliable, small, p.now).code(), Errc::not_connected);
  EXPECT_EQ(p.a->close(ca + 1, 0, "", p.now).code(), Errc::not_connected);
  // The send buffer bound: a few 1 MiB messages fill the default 4 MiB, then would_block.
  Status s;
  int accepted = 0;
  while ((s = p.a->send(ca, 1, SendType::reliable, make_payload(1, 0, 1 << 20), p.now)).ok()) ++accepted;
  EXPECT_EQ(s.code(), Errc::would_block);
  EXPECT_EQ(accepted, 3);
  EXPECT_LE(p.a->connection_stats(ca)->queued_reliable_bytes, Config{}.max_send_buffer_bytes);
  ASSERT_TRUE(p.a->send(ca, 2, SendType::reliable, make_payload(2, 5, 50), p.now).ok());
  ASSERT_TRUE(
      p.run_until([&] { return count_on(p.msgs_b, 1, true) == 3 && count_on(p.msgs_b, 2, true) == 1; }, secs(10)))
      << "seed " << p.seed();
  EXPECT_EQ(Pair::closed(p.events_b), nullptr);

  Config bad;
  bad.nagle_delay = secs(5);
  const auto r = Endpoint::create(bad, crypto::Identity{}, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nagle_delay"), std::string::npos);
}

}  // namespace
}  // namespace kettle::transport

namespace kettle::transport {
namespace {

TEST(Connection, LingerExpiresWhenQueuedDataCannotBeDelivered) {
  Config c;
  c.close_linger = ms(500);
  Pair p(19, c);
  auto [ca, cb] = p.connect();
  p.a_to_b.blackhole = true;
  ASSERT_TRUE(p.a->send(ca, 0, SendType::reliable, make_payload(0, 0, 1000), p.now).ok());
  const Instant start = p.now;
  ASSERT_TRUE(p.a->close(ca, 3, "later", p.now).ok());
  ASSERT_TRUE(p.run_until([&] { return Pair::closed(p.events_a) != nullptr; }, secs(5)));
  EXPECT_EQ(p.now - start, ms(500));
  EXPECT_EQ(Pair::closed(p.events_a)->app_code, 3);
  EXPECT_FALSE(Pair::closed(p.events_a)->by_peer);
}

// An authenticated but invalid frame (a channel the receiver does not have) closes the
// connection with protocol_violation, and the peer learns why from the CLOSE frame.
TEST(Connection, ProtocolViolationClosesBothSidesWithTheReason) {
  Config few;
  few.channels = 4;
  Pair p(23, {}, few);
  auto [ca, cb] = p.connect();
  ASSERT_TRUE(p.a->send(ca, 10, SendType::reliable, make_payload(10, 0, 10), p.now).ok());
  ASSERT_TRUE(p.run_until([&] { return Pair::closed(p.events_a) && Pair::closed(p.events_b); }, secs(5)));
  EXPECT_EQ(Pair::closed(p.events_b)->reason, CloseReason::protocol_violation);
  EXPECT_FALSE(Pair::closed(p.events_b)->by_peer);
  EXPECT_EQ(Pair::closed(p.events_a)->reason, CloseReason::protocol_violation);
  EXPECT_TRUE(Pair::closed(p.events_a)->by_peer);
  EXPECT_NE(Pair::closed(p.events_a)->message.find("channel"), std::string::npos);
  EXPECT_TRUE(p.msgs_b.empty());
}

}  // namespace
}  // namespace kettle::transport

namespace kettle::transport {
namespace {

TEST(Connection, LostCloseIsRepeatedAfterAProbeTimeout) {
  Pair p(24);
  auto [ca, cb] = p.connect();
  p.run_for(ms(100));
  int drop = 1;  // the CLOSE packet
  p.filter = [&](const Datagram& d) { return !(d.from_a && d.bytes[0] == kDataType && drop-- > 0); };
  const Instant start = p.now;
  ASSERT_TRUE(p.a->close(ca, 9, "gone", p.now).ok());
  ASSERT_TRUE(p.run_until([&] { return Pair::closed(p.events_b) != nullptr; }, secs(20)));
  EXPECT_LE(drop, 0);
  EXPECT_EQ(Pair::closed(p.events_b)->app_code, 9);
  EXPECT_TRUE(Pair::closed(p.events_b)->by_peer);
  EXPECT_LT(p.now - start, ms(300)) << "repeated after one PTO, not left to the 10 s idle timeout";
}

}  // namespace
}  // namespace kettle::transport
