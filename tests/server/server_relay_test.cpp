// The relay end to end (docs/protocol.md §13): a real Server, control clients that allocate,
// and plain UDP sockets on 127.0.0.1 standing in for the two players' transports.
#include <gtest/gtest.h>
#include <poll.h>

#include <deque>
#include <optional>
#include <vector>

#include "net/udp_socket.hpp"
#include "server/http/http_server.hpp"
#include "server/server_fixture.hpp"

namespace kettle::server::test {
namespace {

using control::ResultCode;
using Buf = std::vector<std::uint8_t>;

Buf to_relay(std::uint64_t allocation, const control::RelayToken& token, const Buf& payload) {
  Buf d(relay::kToRelayHeaderBytes + payload.size());
  d[0] = relay::kToRelay;
  d[1] = relay::kRelayVersion;
  store_le64(d.data() + 2, allocation);
  std::copy(token.begin(), token.end(), d.begin() + 10);
  std::copy(payload.begin(), payload.end(), d.begin() + relay::kToRelayHeaderBytes);
  return d;
}

Buf from_relay(std::uint64_t allocation, const Buf& payload) {
  Buf d(relay::kFromRelayHeaderBytes + payload.size());
  d[0] = relay::kFromRelay;
  d[1] = relay::kRelayVersion;
  store_le64(d.data() + 2, allocation);
  std::copy(payload.begin(), payload.end(), d.begin() + relay::kFromRelayHeaderBytes);
  return d;
}

// A player's UDP socket talking to the relay directly.
class Player {
 public:
  Player() {
    auto s = net::UdpSocket::bind(Address::loopback_v4(0));
    EXPECT_TRUE(s) << s.error().to_string();
    if (s) socket_.emplace(std::move(*s));
  }
  bool ok() const { return socket_.has_value(); }
  const Address& address() const { return socket_->local_address(); }

  void send(const Buf& d, const Address& to) {
    auto r = socket_->send_to(d, to);
    ASSERT_TRUE(r && *r);
  }
  // The next datagram, waiting up to `timeout` for one (poll(2) on the socket: no sleep). A
  // GRO read of several segments (the relay sends runs with GSO) is split into its datagrams.
  std::optional<Buf> receive(Duration timeout, Address* from = nullptr) {
    const Instant deadline = monotonic_now() + timeout;
    for (;;) {
      if (!queued_.empty()) {
        if (from != nullptr) *from = queued_from_;
        Buf d = std::move(queued_.front());
        queued_.pop_front();
        return d;
      }
      auto slots = rx_.slots().first(1);
      auto n = socket_->recv_batch(slots);
      if (!n) return std::nullopt;
      if (*n == 1) {
        const net::RecvSlot& s = slots[0];
        const std::size_t seg = s.segment_size == 0 || s.segment_size > s.size ? s.size : s.segment_size;
        for (std::size_t off = 0; off < s.size; off += seg) {
          const auto b = s.buf.begin() + static_cast<std::ptrdiff_t>(off);
          queued_.emplace_back(b, b + static_cast<std::ptrdiff_t>(std::min(seg, s.size - off)));
        }
        queued_from_ = s.from;
        continue;
      }
      const auto left = deadline - monotonic_now();
      if (left <= Duration::zero()) return std::nullopt;
      pollfd p{socket_->fd(), POLLIN, 0};
      (void)::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(1, to_us(left) / 1000)));
    }
  }

 private:
  std::optional<net::UdpSocket> socket_;
  net::RecvBuffers rx_{1, 65536};  // a GRO read holds a whole run
  std::deque<Buf> queued_;
  Address queued_from_;
};

class ServerRelayTest : public ServerTest {
 protected:
  struct Pair {
    transport::ConnectionId a = 0, b = 0;
    control::LoginOk a_ok, b_ok;
    control::RelayAllocated grant;  // a's side
    control::RelayOffer offer;      // b's side
  };

  // Logs alice and bob in (app 480) and has alice allocate a relay to bob.
  void allocate_pair(Pair& p) {
    p.a = login("alice", 480, &p.a_ok);
    p.b = login("bob", 480, &p.b_ok);
    ASSERT_NE(p.a, 0u);
    ASSERT_NE(p.b, 0u);
    auto reply = node_->request(p.a, control::AllocateRelay{p.b_ok.steam_id});
    ASSERT_TRUE(reply);
    const auto* g = std::get_if<control::RelayAllocated>(&reply->body);
    ASSERT_NE(g, nullptr) << control::kind_name(control::kind_of(reply->body));
    p.grant = *g;
    auto offer = node_->wait_notification<control::RelayOffer>(
        p.b, [&](const control::RelayOffer& o) { return o.allocation == p.grant.allocation; });
    ASSERT_TRUE(offer);
    p.offer = *offer;
  }

  Address relay() const { return *server_->relay_address(); }
  std::uint64_t dropped(relay::Drop d) const {
    return server_->metrics().relay_dropped[static_cast<std::size_t>(d)].load();
  }

  // Sends `d` from `from` until `to` receives `want` (a datagram can race a bind still in the
  // relay's queue only in theory, but resending keeps the test exact either way).
  ::testing::AssertionResult relayed(Player& from, const Buf& d, Player& to, const Buf& want) {
    const Instant deadline = monotonic_now() + secs(10);
    while (monotonic_now() < deadline) {
      from.send(d, relay());
      Address src;
      if (auto got = to.receive(ms(200), &src)) {
        if (*got != want) return ::testing::AssertionFailure() << "received " << got->size() << " other bytes";
        if (src != relay()) return ::testing::AssertionFailure() << "came from " << src.to_string();
        return ::testing::AssertionSuccess();
      }
    }
    return ::testing::AssertionFailure() << "nothing relayed";
  }
};

TEST_F(ServerRelayTest, ListensNextToUdpAndIsOnByDefault) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto r = server_->relay_address();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->family, Address::Family::v4);
  EXPECT_EQ(r->ip, server_->udp_address().ip);
  EXPECT_NE(r->port, 0);  // udp port 0 → an ephemeral relay port
  EXPECT_NE(r->port, server_->udp_address().port);
}

TEST_F(ServerRelayTest, TwoMembersExchangeDatagramsByteExact) {
  ASSERT_NO_FATAL_FAILURE(start());
  Pair p;
  ASSERT_NO_FATAL_FAILURE(allocate_pair(p));
  EXPECT_NE(p.grant.allocation, 0u);
  EXPECT_EQ(p.grant.relay_port, relay().port);
  EXPECT_EQ(p.grant.peer, p.b_ok.steam_id);
  EXPECT_EQ(p.offer.relay_port, relay().port);
  EXPECT_EQ(p.offer.from, p.a_ok.steam_id);
  EXPECT_NE(p.offer.token, p.grant.token);

  Player alice, bob;
  ASSERT_TRUE(alice.ok() && bob.ok());
  const std::uint64_t id = p.grant.allocation;
  alice.send(to_relay(id, p.grant.token, {}), relay());
  bob.send(to_relay(id, p.offer.token, {}), relay());

  Buf big(relay::kMaxRelayPayload);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7);
  EXPECT_TRUE(relayed(alice, to_relay(id, p.grant.token, big), bob, from_relay(id, big)));
  const Buf small = {0x00, 0x11, 0x10, 0xff};
  EXPECT_TRUE(relayed(bob, to_relay(id, p.offer.token, small), alice, from_relay(id, small)));
  const std::uint64_t both_bytes = 2 * relay::kFromRelayHeaderBytes + big.size() + small.size();
  ASSERT_TRUE(node_->wait([&] {
    return server_->metrics().relay_forwarded_datagrams.load() >= 2 &&
           server_->metrics().relay_forwarded_bytes.load() >= both_bytes;
  }));
  EXPECT_EQ(server_->metrics().relay_allocations.load(), 1u);
  EXPECT_EQ(server_->metrics().relay_allocations_total.load(), 1u);
  const std::string text = render_metrics(server_->metrics());
  EXPECT_NE(text.find("kettle_relay_allocations 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kettle_relay_dropped_total{reason=\"bad_token\"} 0\n"), std::string::npos) << text;
}

// A bulk transfer: many equal datagrams to one member, then a shorter one. The relay sends
// such runs with GSO; each must still arrive as its own datagram, in order, byte-exact.
TEST_F(ServerRelayTest, BurstToOneMemberArrivesAsSeparateDatagramsInOrder) {
  ASSERT_NO_FATAL_FAILURE(start());
  Pair p;
  ASSERT_NO_FATAL_FAILURE(allocate_pair(p));
  Player alice, bob;
  ASSERT_TRUE(alice.ok() && bob.ok());
  const std::uint64_t id = p.grant.allocation;
  alice.send(to_relay(id, p.grant.token, {}), relay());
  bob.send(to_relay(id, p.offer.token, {}), relay());
  ASSERT_TRUE(relayed(alice, to_relay(id, p.grant.token, {1}), bob, from_relay(id, {1})));  // both bound
  constexpr int kBurst = 50;
  std::vector<Buf> sent;
  for (int i = 0; i < kBurst; ++i) {
    Buf d(i + 1 == kBurst ? 100 : 1000);
    for (std::size_t j = 0; j < d.size(); ++j) d[j] = static_cast<std::uint8_t>(i * 31 + j);
    sent.push_back(d);
    alice.send(to_relay(id, p.grant.token, d), relay());
  }
  for (int i = 0; i < kBurst; ++i) {
    auto got = bob.receive(secs(5));
    ASSERT_TRUE(got) << "datagram " << i << " of " << kBurst << " missing";
    EXPECT_EQ(*got, from_relay(id, sent[static_cast<std::size_t>(i)])) << "datagram " << i;
  }
  EXPECT_EQ(server_->metrics().relay_dropped[kRelayDroppedSendFull].load(), 0u);
}

TEST_F(ServerRelayTest, AThirdUsersTokenDoesNotOpenSomeoneElsesAllocation) {
  ASSERT_NO_FATAL_FAILURE(start());
  Pair p;
  ASSERT_NO_FATAL_FAILURE(allocate_pair(p));
  // Carol is logged in and holds a valid token of her own, for an allocation with bob.
  const auto c = login("carol", 480);
  ASSERT_NE(c, 0u);
  auto reply = node_->request(c, control::AllocateRelay{p.b_ok.steam_id});
  ASSERT_TRUE(reply);
  const auto* carols = std::get_if<control::RelayAllocated>(&reply->body);
  ASSERT_NE(carols, nullptr);
  EXPECT_NE(carols->allocation, p.grant.allocation);

  Player alice, bob, carol;
  const std::uint64_t id = p.grant.allocation;
  alice.send(to_relay(id, p.grant.token, {}), relay());
  bob.send(to_relay(id, p.offer.token, {}), relay());
  const Buf hello = {1, 2, 3};
  ASSERT_TRUE(relayed(alice, to_relay(id, p.grant.token, hello), bob, from_relay(id, hello)));

  // Carol's token on alice and bob's allocation: refused, and bob's address is not taken over.
  const Buf junk = {0xba, 0xad};
  carol.send(to_relay(id, carols->token, junk), relay());
  carol.send(to_relay(id, carols->token, {}), relay());
  ASSERT_TRUE(node_->wait([&] { return dropped(relay::Drop::bad_token) == 2; }));
  const Buf after = {4, 5, 6};
  ASSERT_TRUE(relayed(alice, to_relay(id, p.grant.token, after), bob, from_relay(id, after)));
  EXPECT_FALSE(carol.receive(Duration::zero()));
  EXPECT_EQ(dropped(relay::Drop::bad_token), 2u);
}

TEST_F(ServerRelayTest, LogoutDropsTheAllocation) {
  ASSERT_NO_FATAL_FAILURE(start());
  Pair p;
  ASSERT_NO_FATAL_FAILURE(allocate_pair(p));
  Player alice, bob;
  const std::uint64_t id = p.grant.allocation;
  alice.send(to_relay(id, p.grant.token, {}), relay());
  const Buf hi = {9};
  ASSERT_TRUE(relayed(bob, to_relay(id, p.offer.token, hi), alice, from_relay(id, hi)));

  auto ok = node_->request(p.a, control::Logout{});
  ASSERT_TRUE(ok);
  ASSERT_TRUE(node_->wait([&] { return server_->metrics().relay_allocations.load() == 0; }));
  const auto before = dropped(relay::Drop::unknown_allocation);
  bob.send(to_relay(id, p.offer.token, hi), relay());
  ASSERT_TRUE(node_->wait([&] { return dropped(relay::Drop::unknown_allocation) == before + 1; }));
  EXPECT_FALSE(alice.receive(Duration::zero()));
}

// The I/O loop wakes for the table's expiry deadline on its own (no traffic at all here).
TEST_F(ServerRelayTest, IdleAllocationExpires) {
  options_.relay_idle_timeout = secs(1);
  ASSERT_NO_FATAL_FAILURE(start());
  Pair p;
  ASSERT_NO_FATAL_FAILURE(allocate_pair(p));
  const Instant allocated = monotonic_now();
  ASSERT_TRUE(node_->wait([&] { return server_->metrics().relay_allocations_total.load() == 1; }));
  ASSERT_TRUE(node_->wait([&] { return server_->metrics().relay_allocations.load() == 0; }));
  EXPECT_GE(monotonic_now() - allocated, secs(1) - ms(50));  // the loop's clock read precedes ours
  Player alice;
  alice.send(to_relay(p.grant.allocation, p.grant.token, {}), relay());
  ASSERT_TRUE(node_->wait([&] { return dropped(relay::Drop::unknown_allocation) == 1; }));
}

TEST_F(ServerRelayTest, AllocationIsRefusedForSelfOfflineOtherAppAndOverTheCap) {
  options_.relay_max_allocations = 2;
  ASSERT_NO_FATAL_FAILURE(start());
  control::LoginOk a_ok, b_ok, c_ok;
  const auto a = login("alice", 480, &a_ok);
  const auto b = login("bob", 480, &b_ok);
  const auto c = login("carol", 570, &c_ok);  // another game
  ASSERT_TRUE(a != 0 && b != 0 && c != 0);
  EXPECT_TRUE(is_error(node_->request(a, control::AllocateRelay{a_ok.steam_id}), ResultCode::invalid_param));
  EXPECT_TRUE(is_error(node_->request(a, control::AllocateRelay{SteamID::individual(999)}), ResultCode::no_connection,
                       "user not online"));
  // Online, but in another app: the same answer as offline, and carol hears nothing.
  EXPECT_TRUE(
      is_error(node_->request(a, control::AllocateRelay{c_ok.steam_id}), ResultCode::no_connection, "user not online"));
  EXPECT_TRUE(is_error(node_->request(c, control::AllocateRelay{a_ok.steam_id}), ResultCode::no_connection));
  for (int i = 0; i < 2; ++i) {
    auto r = node_->request(a, control::AllocateRelay{b_ok.steam_id});
    ASSERT_TRUE(r);
    EXPECT_TRUE(std::holds_alternative<control::RelayAllocated>(r->body));
  }
  EXPECT_TRUE(is_error(node_->request(a, control::AllocateRelay{b_ok.steam_id}), ResultCode::limit_exceeded));
  // The cap is per caller: bob may still allocate to alice.
  auto r = node_->request(b, control::AllocateRelay{a_ok.steam_id});
  ASSERT_TRUE(r);
  EXPECT_TRUE(std::holds_alternative<control::RelayAllocated>(r->body));
  EXPECT_TRUE(node_->wait([&] { return server_->metrics().relay_allocations_total.load() == 3; }));
  // Two offers reached bob, one reached alice, none reached carol.
  ASSERT_TRUE(node_->wait([&] { return node_->conn(b).inbox.size() >= 2 && node_->conn(a).inbox.size() >= 1; }));
  for (const auto& m : node_->conn(c).inbox) EXPECT_FALSE(std::holds_alternative<control::RelayOffer>(m.body));
}

TEST_F(ServerRelayTest, RelayOffAnswersUnsupported) {
  options_.relay = std::nullopt;
  ASSERT_NO_FATAL_FAILURE(start());
  EXPECT_FALSE(server_->relay_address());
  control::LoginOk b_ok;
  const auto a = login("alice");
  ASSERT_NE(login("bob", 480, &b_ok), 0u);
  EXPECT_TRUE(is_error(node_->request(a, control::AllocateRelay{b_ok.steam_id}), ResultCode::unsupported));
}

TEST_F(ServerRelayTest, BusyRelayPortIsAClearError) {
  Player squatter;
  ASSERT_TRUE(squatter.ok());
  options_.relay = squatter.address();
  auto s = Server::create(options_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), Errc::io);
  EXPECT_NE(s.error().message.find("relay UDP " + squatter.address().to_string()), std::string::npos)
      << s.error().message;
}

TEST_F(ServerRelayTest, SignalToAUserInAnotherAppIsAnsweredLikeOffline) {
  ASSERT_NO_FATAL_FAILURE(start());
  control::LoginOk c_ok;
  const auto a = login("alice", 480);
  const auto c = login("carol", 570, &c_ok);
  ASSERT_TRUE(a != 0 && c != 0);
  EXPECT_TRUE(is_error(node_->request(a, control::SendSignal{c_ok.steam_id, {1, 2}}), ResultCode::no_connection,
                       "user not online"));
  // A request carol answers proves her inbox is current: no SignalFrom reached her.
  ASSERT_TRUE(node_->request(c, control::ListOnline{0}));
  for (const auto& m : node_->conn(c).inbox) EXPECT_FALSE(std::holds_alternative<control::SignalFrom>(m.body));
  EXPECT_EQ(server_->metrics().signals_relayed.load(), 0u);
  EXPECT_TRUE(is_error(node_->request(a, control::SendSignal{SteamID::individual(9999), {1}}),
                       ResultCode::no_connection, "user not online"))
      << "offline gets the very same answer";
}

TEST_F(ServerRelayTest, PreciseSessionErrorsPolicyTellsOfflineFromAnotherAppForItsAppOnly) {
  AppRule spacewar;
  spacewar.app_id = 480;
  spacewar.precise_session_errors = true;
  options_.apps = {spacewar};
  ASSERT_NO_FATAL_FAILURE(start());
  control::LoginOk a_ok, c_ok;
  const auto a = login("alice", 480, &a_ok);
  const auto c = login("carol", 570, &c_ok);
  ASSERT_TRUE(a != 0 && c != 0);
  EXPECT_TRUE(is_error(node_->request(a, control::SendSignal{c_ok.steam_id, {1}}), ResultCode::not_running_app,
                       "user is running another app"));
  EXPECT_TRUE(is_error(node_->request(a, control::SendSignal{SteamID::individual(9999), {1}}),
                       ResultCode::not_logged_on, "user not logged on"));
  // App 570 has no such policy: its users learn nothing beyond "not online here".
  EXPECT_TRUE(is_error(node_->request(c, control::SendSignal{a_ok.steam_id, {1}}), ResultCode::no_connection,
                       "user not online"));
  EXPECT_TRUE(is_error(node_->request(c, control::SendSignal{SteamID::individual(9999), {1}}),
                       ResultCode::no_connection, "user not online"));
}

TEST_F(ServerRelayTest, PreciseSessionErrorsForEveryApp) {
  options_.precise_session_errors = true;
  ASSERT_NO_FATAL_FAILURE(start());
  control::LoginOk a_ok;
  const auto a = login("alice", 480, &a_ok);
  const auto c = login("carol", 570);
  ASSERT_TRUE(a != 0 && c != 0);
  EXPECT_TRUE(is_error(node_->request(c, control::SendSignal{a_ok.steam_id, {1}}), ResultCode::not_running_app,
                       "user is running another app"));
  EXPECT_TRUE(is_error(node_->request(c, control::SendSignal{SteamID::individual(9999), {1}}),
                       ResultCode::not_logged_on, "user not logged on"));
}

}  // namespace
}  // namespace kettle::server::test
