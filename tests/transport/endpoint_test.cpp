// Endpoint routing and handshake, and the §10 drop rules: every bad datagram is
// dropped, counted under its reason, and the connection carries on unharmed.
#include <gtest/gtest.h>

#include <set>

#include "transport/packet.hpp"
#include "transport/transport_pair.hpp"

namespace kettle::transport {
namespace {

using test::Datagram;
using test::Pair;

// Sends one reliable message a → b and checks it arrives.
void expect_healthy(Pair& p, ConnectionId ca, const char* tag) {
  const std::size_t before = p.msgs_b.size();
  const auto payload = test::make_payload(1, 4242, 100);
  ASSERT_TRUE(p.a->send(ca, 1, SendType::reliable, payload, p.now).ok()) << tag;
  ASSERT_TRUE(p.run_until([&] { return p.msgs_b.size() > before; }, secs(5))) << tag << " seed " << p.seed();
  EXPECT_EQ(p.msgs_b.back().data, payload) << tag;
}

TEST(Endpoint, ConnectDeliversConnectedOnBothSidesWithVerifiedCertificates) {
  Pair p(1);
  const Instant start = p.now;
  auto [ca, cb] = p.connect();
  EXPECT_EQ(p.now - start, ms(15));  // HELLO, WELCOME, DATA: 1.5 RTT without a cookie
  EXPECT_EQ(p.b->stats().cookies_sent, 0u);
  ASSERT_NE(ca, 0u);
  ASSERT_NE(cb, 0u);
  const auto& ea = std::get<Connected>(p.events_a.front());
  const auto& eb = std::get<Connected>(p.events_b.front());
  EXPECT_FALSE(ea.incoming);
  EXPECT_TRUE(eb.incoming);
  EXPECT_EQ(ea.peer.steam_id, SteamID::individual(2));
  EXPECT_EQ(eb.peer.steam_id, SteamID::individual(1));
  EXPECT_EQ(eb.peer_address, p.addr_a);
  EXPECT_EQ(p.a->stats().handshakes_completed, 1u);
  EXPECT_EQ(p.b->stats().handshakes_completed, 1u);
  expect_healthy(p, ca, "after connect");
}

TEST(Endpoint, LostHelloAndWelcomeAreRetransmitted) {
  Pair p(2);
  int hellos = 0, welcomes = 0;
  p.filter = [&](const Datagram& d) {
    if (d.bytes[0] == 0x01 && hellos++ < 2) return false;    // drop two HELLOs
    if (d.bytes[0] == 0x03 && welcomes++ < 1) return false;  // and the first WELCOME
    return true;
  };
  const Instant start = p.now;
  auto [ca, cb] = p.connect();
  EXPECT_NE(cb, 0u);
  // 250 ms + 500 ms for the HELLOs, then 1 s until the HELLO that fetches the stored WELCOME.
  EXPECT_GE(p.now - start, ms(1750));
  EXPECT_LE(p.now - start, ms(1900));
  EXPECT_EQ(p.b->stats().handshakes_completed, 1u);
  expect_healthy(p, ca, "after retransmitted handshake");
}

TEST(Endpoint, CookiePolicyAlwaysAddsOneRoundTrip) {
  Config cb;
  cb.cookie_policy = CookiePolicy::always;
  Pair p(3, {}, cb);
  const Instant start = p.now;
  auto [ca, id_b] = p.connect();
  EXPECT_NE(id_b, 0u);
  EXPECT_EQ(p.b->stats().cookies_sent, 1u);
  EXPECT_EQ(p.now - start, ms(25));  // HELLO, COOKIE, HELLO, WELCOME, DATA: 2.5 RTT at 10 ms RTT
  expect_healthy(p, ca, "after cookie");
}

TEST(Endpoint, HandshakeTimeoutClosesTheAttempt) {
  Config ca;
  ca.handshake_timeout = secs(2);
  Pair p(4, ca);
  p.a_to_b.blackhole = true;
  auto id = p.a->connect(p.addr_b, p.now);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(p.a->send(*id, 0, SendType::unreliable, test::make_payload(0, 1, 50), p.now).ok());
  const Instant start = p.now;
  ASSERT_TRUE(p.run_until([&] { return Pair::closed(p.events_a) != nullptr; }, secs(10)));
  EXPECT_EQ(Pair::closed(p.events_a)->reason, CloseReason::handshake_timeout);
  EXPECT_EQ(p.now - start, secs(2));
  EXPECT_EQ(p.a->connection_stats(*id).code(), Errc::not_connected);  // gone
  EXPECT_EQ(p.a->stats().unreliable_dropped_on_close, 1u);            // the queued message, counted
}

TEST(Endpoint, MaxConnectionsBoundsConnect) {
  Config ca;
  ca.max_connections = 1;
  Pair p(5, ca);
  ASSERT_TRUE(p.a->connect(p.addr_b, p.now).ok());
  EXPECT_EQ(p.a->connect(p.addr_b, p.now).code(), Errc::would_block);
}

TEST(Endpoint, PollTransmitFillsGsoBatchesOfFullSizeSegments) {
  Pair p(7);
  auto [ca, cb] = p.connect();
  ASSERT_TRUE(p.a->send(ca, 0, SendType::reliable, test::make_payload(0, 0, 30000), p.now).ok());
  std::vector<std::uint8_t> buf(64 * 1024);
  auto t = p.a->poll_transmit(p.now, buf);
  ASSERT_TRUE(t);
  const std::size_t mds = Config{}.max_datagram_size;
  EXPECT_EQ(t->to, p.addr_b);
  EXPECT_EQ(t->segment_size, mds);
  EXPECT_GT(t->size, 2 * mds);  // several datagrams in one call
  for (std::size_t off = 0; off < t->size; off += mds) EXPECT_EQ(buf[off], kDataType);
  // A one-datagram buffer gets exactly one datagram.
  auto t2 = p.a->poll_transmit(p.now, MutBytes(buf).first(mds));
  if (t2) EXPECT_EQ(t2->segment_size, t2->size);
}

class DropTest : public ::testing::Test {
 protected:
  DropTest() : p(6) {
    ids = p.connect();
    // Capture a genuine DATA datagram a → b for tampering.
    p.filter = [this](const Datagram& d) {
      if (d.from_a && d.bytes[0] == kDataType && captured.empty()) captured = d.bytes;
      return true;
    };
    expect_healthy(p, ids.first, "capture");
    p.filter = nullptr;
  }
  Pair p;
  std::pair<ConnectionId, ConnectionId> ids;
  std::vector<std::uint8_t> captured;
};

TEST_F(DropTest, TamperedTruncatedReplayedAndGarbageAreDroppedAndCounted) {
  ASSERT_FALSE(captured.empty());
  const EndpointStats before = p.b->stats();

  p.inject(true, captured, p.addr_a);  // replay of a packet already accepted
  EXPECT_EQ(p.b->stats().dropped_replayed, before.dropped_replayed + 1);

  auto tampered = captured;
  tampered[5] ^= 0x40;  // packet number: now fresh, but the AEAD fails (header is associated data)
  p.inject(true, tampered, p.addr_a);
  EXPECT_EQ(p.b->stats().dropped_auth_failed, before.dropped_auth_failed + 1);
  auto tampered2 = captured;
  tampered2[5] ^= 0x40;
  tampered2[tampered2.size() - 20] ^= 1;  // ciphertext
  p.inject(true, tampered2, p.addr_a);
  EXPECT_EQ(p.b->stats().dropped_auth_failed, before.dropped_auth_failed + 2);

  p.inject(true, std::vector<std::uint8_t>(captured.begin(), captured.begin() + kMinDataPacketSize - 1), p.addr_a);
  EXPECT_EQ(p.b->stats().dropped_too_short, before.dropped_too_short + 1);
  p.inject(true, {}, p.addr_a);
  EXPECT_EQ(p.b->stats().dropped_too_short, before.dropped_too_short + 2);

  p.inject(true, {0x77, 1, 2, 3}, p.addr_a);
  EXPECT_EQ(p.b->stats().dropped_unknown_type, before.dropped_unknown_type + 1);

  auto unknown = captured;
  unknown[1] ^= 0xFF;  // another connection id
  p.inject(true, unknown, p.addr_a);
  EXPECT_EQ(p.b->stats().dropped_unknown_connection, before.dropped_unknown_connection + 1);

  // A garbage HELLO of the right size: the responder checks and drops it.
  std::vector<std::uint8_t> hello(1200, 0xAB);
  hello[0] = 0x01;
  hello[1] = 1;
  p.inject(true, hello, p.addr_a);
  EXPECT_GT(p.b->stats().dropped_handshake + p.b->stats().dropped_auth_failed,
            before.dropped_handshake + before.dropped_auth_failed);
  // A short HELLO is not answered (no amplification).
  p.inject(true, {0x01, 1, 0, 0, 0, 0}, p.addr_a);
  EXPECT_EQ(p.b->stats().dropped_too_short, before.dropped_too_short + 3);
  // Stray handshake replies for unknown connections.
  p.inject(true, {0x03, 1, 9, 9, 9, 9, 0}, p.addr_a);
  EXPECT_EQ(p.b->stats().dropped_unknown_connection, before.dropped_unknown_connection + 2);

  expect_healthy(p, ids.first, "after the junk");
  EXPECT_EQ(Pair::closed(p.events_b), nullptr);
}

TEST_F(DropTest, RandomGarbageNeverHarmsTheConnection) {
  Rng rng(0xBAD);
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::uint8_t> junk(rng.below(1400));
    for (auto& x : junk) x = static_cast<std::uint8_t>(rng.next());
    if (!junk.empty() && rng.below(2)) junk[0] = kDataType;
    if (junk.size() > 5 && rng.below(2)) std::copy_n(captured.begin() + 1, 4, junk.begin() + 1);  // real conn id
    p.inject(rng.below(2) == 0, junk, rng.below(2) ? p.addr_a : p.addr_b);
  }
  const auto& s = p.b->stats();
  EXPECT_GT(s.dropped_auth_failed + s.dropped_replayed, 0u);
  expect_healthy(p, ids.first, "after garbage");
}

}  // namespace
}  // namespace kettle::transport

namespace kettle::transport {
namespace {

// A relayed P2P session that found a direct path: a moves its side, b follows a's new source.
TEST(Endpoint, MigrateMovesTheConnectionAndThePeerFollows) {
  Pair p(21);
  const auto [ia, ib] = p.connect();
  ASSERT_NE(ia, 0u);
  const Address b_direct = Address::v4(0xC6336410, 5000);  // 198.51.100.16:5000
  const Address a_direct = Address::v4(0xC6336411, 6000);
  EXPECT_EQ(p.a->migrate(ia + 1000, b_direct, p.now).code(), Errc::not_connected);
  p.addr_a = a_direct;  // each side's datagrams now come from its direct address
  p.addr_b = b_direct;
  ASSERT_TRUE(p.a->migrate(ia, b_direct, p.now));
  EXPECT_EQ(p.a->connection_stats(ia)->peer_address, b_direct);
  // The PING migrate() queues is enough for b to follow, with no application data.
  ASSERT_TRUE(p.run_until([&] { return p.b->connection_stats(ib)->peer_address == a_direct; }, secs(2)));
  EXPECT_EQ(p.last_to_from_a, b_direct);
  // Both directions keep working on the same connection and streams.
  const auto payload = test::make_payload(3, 1, 3000);
  ASSERT_TRUE(p.a->send(ia, 3, SendType::reliable, payload, p.now));
  ASSERT_TRUE(p.b->send(ib, 3, SendType::reliable, payload, p.now));
  ASSERT_TRUE(p.run_until([&] { return p.msgs_a.size() == 1 && p.msgs_b.size() == 1; }));
  EXPECT_EQ(p.msgs_b[0].data, payload);
  EXPECT_EQ(p.last_to_from_b, a_direct);
  EXPECT_EQ(p.last_to_from_a, b_direct);
  EXPECT_EQ(p.a->connection_stats(ia)->peer_address, b_direct);
  ASSERT_TRUE(p.a->close(ia, 0, "", p.now));
  EXPECT_EQ(p.a->migrate(ia, Address::v4(0xC6336412, 7000), p.now).code(), Errc::closed);
}

// Many connections on one endpoint pair: each is routed, timed and scheduled
// independently (deadline set + ready list), and closing some leaves the rest working.
TEST(Endpoint, ManyConnectionsAreIndependent) {
  Pair p(8);
  constexpr int kConns = 40;
  std::vector<ConnectionId> ids;
  for (int i = 0; i < kConns; ++i) ids.push_back(*p.a->connect(p.addr_b, p.now));
  ASSERT_TRUE(p.run_until([&] { return p.events_b.size() == kConns; }, secs(5)));
  for (int i = 0; i < kConns; ++i) {
    ASSERT_TRUE(
        p.a->send(ids[i], 1, SendType::reliable, test::make_payload(1, static_cast<std::uint32_t>(i), 3000), p.now)
            .ok());
  }
  ASSERT_TRUE(p.run_until([&] { return p.msgs_b.size() == kConns; }, secs(5)));
  std::set<ConnectionId> conns_b;
  for (const auto& m : p.msgs_b) {
    const std::uint32_t idx = m.data[0] | m.data[1] << 8;
    EXPECT_EQ(m.data, test::make_payload(1, idx, 3000));
    conns_b.insert(m.conn);
  }
  EXPECT_EQ(conns_b.size(), static_cast<std::size_t>(kConns));
  for (int i = 0; i < kConns; i += 2) ASSERT_TRUE(p.a->close(ids[i], 0, "half", p.now).ok());
  p.run_for(secs(3));
  for (int i = 0; i < kConns; ++i) {
    EXPECT_EQ(p.a->connection_stats(ids[i]).ok(), i % 2 == 1) << i;
  }
  for (int i = 1; i < kConns; i += 2) {
    ASSERT_TRUE(p.a->send(ids[i], 2, SendType::unreliable, test::make_payload(2, 0, 10), p.now).ok());
  }
  ASSERT_TRUE(p.run_until([&] { return p.msgs_b.size() == kConns + kConns / 2; }, secs(2)));
}

}  // namespace
}  // namespace kettle::transport
