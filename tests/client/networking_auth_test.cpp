// P2P session error 0 (k_EP2PSessionErrorNone, p2p-api.md error table): "the peer's identity
// could not be authenticated" or "speaks an incompatible protocol version", emitted as soon as
// detected. A real Client against a real server; the other side is an impostor built from the
// transport and control layers: it is logged in as "bob" (so it gets alice's OFFER through the
// server), punches alice from its own socket, and then answers alice's handshake with someone
// else's certificate, or as a Kettle of another protocol version.
#include <gtest/gtest.h>

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "client_test_util.hpp"
#include "control/messages.hpp"
#include "crypto/certificate.hpp"
#include "crypto/handshake.hpp"
#include "kettle/client.hpp"
#include "net/event_loop.hpp"
#include "net/transport_driver.hpp"
#include "net/udp_socket.hpp"
#include "p2p/signal.hpp"

namespace kettle::testing {
namespace {

// One transport endpoint on a real loopback socket with control connections to the server.
// Single-threaded: the test pumps it from its wait conditions.
class Impostor {
 public:
  static std::unique_ptr<Impostor> start(const EmbeddedServer& server) {
    std::unique_ptr<Impostor> n(new Impostor());
    auto key = crypto::SigningPublicKey::from_hex(server.public_key());
    auto addr = Address::parse(server.address());
    auto loop = net::EventLoop::create();
    if (!key || !addr || !loop) return nullptr;
    n->server_key_ = *key;
    n->server_ = *addr;
    n->loop_ = std::move(*loop);
    auto ep = transport::Endpoint::create(
        transport::Config{}, crypto::Identity::anonymous(crypto::SigningKeyPair::generate(), n->server_key_),
        crypto::random_u64());
    if (!ep) return nullptr;
    auto d = net::TransportDriver::create(*n->loop_, std::move(*ep), Address::loopback_v4(0));
    if (!d) return nullptr;
    n->driver_ = std::move(*d);
    return n;
  }

  ~Impostor() {
    for (auto& [conn, state] : conns_) (void)driver_->endpoint().close(conn, 0, "test done", monotonic_now());
    (void)driver_->flush(monotonic_now());
  }

  // Logs in as `name` over a new control connection whose handshake key is `key`; the reply
  // carries a server-issued certificate for that key.
  std::optional<control::LoginOk> login(const std::string& name, const crypto::SigningKeyPair& key) {
    driver_->endpoint().set_identity(crypto::Identity::anonymous(key, server_key_));
    auto conn = driver_->endpoint().connect(server_, monotonic_now());
    if (!conn) return std::nullopt;
    control::Login l;
    l.app_id = 480;
    l.method = control::LoginMethod::dev;
    l.name = name;
    const auto bytes = control::encode(control::Message{1, l});
    if (!driver_->endpoint()
             .send(*conn, control::kControlChannel, transport::SendType::reliable, bytes, monotonic_now())
             .ok())
      return std::nullopt;
    std::optional<control::LoginOk> ok;
    wait([&] {
      auto& inbox = conns_[*conn].inbox;
      for (auto it = inbox.begin(); it != inbox.end(); ++it) {
        if (it->request_id != 1) continue;
        if (const auto* o = std::get_if<control::LoginOk>(&it->body)) ok = *o;
        inbox.erase(it);
        return true;
      }
      return false;
    });
    if (ok) login_conn_[ok->steam_id] = *conn;
    return ok;
  }

  // From now on, handshakes are answered with this certificate.
  void present(const crypto::Certificate& cert, const crypto::SigningKeyPair& key) {
    driver_->endpoint().set_identity(crypto::Identity{cert, key, server_key_});
  }

  void pump(Duration max_wait) {
    (void)driver_->run_once(monotonic_now() + max_wait);
    while (auto ev = driver_->endpoint().poll_event()) {
      if (const auto* c = std::get_if<transport::Connected>(&*ev)) {
        if (c->incoming) incoming_.push_back(*c);
      } else {
        const auto& cl = std::get<transport::Closed>(*ev);
        if (conns_.count(cl.conn) == 0) closed_incoming_.push_back(cl);
      }
    }
    while (driver_->endpoint().poll_message(msg_)) {
      if (msg_.channel != control::kControlChannel) continue;
      if (auto m = control::decode(msg_.data)) conns_[msg_.conn].inbox.push_back(std::move(*m));
    }
  }

  bool wait(const std::function<bool()>& cond, Duration timeout = secs(5)) {
    const Instant deadline = monotonic_now() + timeout;
    while (!cond()) {
      if (monotonic_now() >= deadline) return false;
      pump(ms(10));
    }
    return true;
  }

  // The next P2P OFFER `from` sent to `to` (a player this node is logged in as), if one came.
  std::optional<p2p::Signal> take_offer(SteamID to, SteamID from) {
    auto& inbox = conns_[login_conn_.at(to)].inbox;
    for (auto it = inbox.begin(); it != inbox.end(); ++it) {
      const auto* sf = std::get_if<control::SignalFrom>(&it->body);
      if (it->request_id != 0 || sf == nullptr || sf->from != from) continue;
      auto sig = p2p::decode_signal(sf->payload);
      inbox.erase(it);
      if (sig && sig->kind == p2p::SignalKind::offer) return *sig;
    }
    return std::nullopt;
  }

  net::TransportDriver& driver() { return *driver_; }
  const std::vector<transport::Connected>& incoming() const { return incoming_; }
  const std::vector<transport::Closed>& closed_incoming() const { return closed_incoming_; }

 private:
  struct Conn {
    std::deque<control::Message> inbox;
  };
  Impostor() = default;

  crypto::SigningPublicKey server_key_;
  Address server_;
  std::unique_ptr<net::EventLoop> loop_;
  std::unique_ptr<net::TransportDriver> driver_;  // destroyed before loop_
  std::map<transport::ConnectionId, Conn> conns_;
  std::map<SteamID, transport::ConnectionId> login_conn_;
  std::vector<transport::Connected> incoming_;
  std::vector<transport::Closed> closed_incoming_;
  transport::Message msg_;
};

// Punches (docs/protocol.md §14) every candidate of `offer` from `socket_send`, at most every 250 ms.
template <class Send>
void punch(const p2p::Signal& offer, Instant& next, Send&& socket_send) {
  if (monotonic_now() < next) return;
  next = monotonic_now() + ms(250);
  const auto bytes = p2p::encode(p2p::Punch{offer.session, false});
  for (const auto& a : offer.candidates) socket_send(Bytes(bytes), a);
}

bool send_and_receive(Client& from, Client& to, std::uint8_t value) {
  const SteamID dest = to.GetSteamID();
  if (!from.networking().SendP2PPacket(dest, &value, 1, k_EP2PSendReliable, 0)) return false;
  std::vector<std::uint8_t> got;
  SteamID sender;
  return run_until({&from, &to}, [&] { return read_one(to, 0, got, sender); }) && got.size() == 1 && got[0] == value &&
         sender == from.GetSteamID();
}

// Alice is still whole after the failure: logged on, and a real peer holds a session with her.
void expect_alice_unharmed(const EmbeddedServer& server, Client& alice) {
  EXPECT_TRUE(alice.BLoggedOn());
  auto carol = logged_in(config_for(server, "carol"));
  ASSERT_TRUE(carol->networking().AcceptP2PSessionWithUser(alice.GetSteamID()));
  EXPECT_TRUE(send_and_receive(alice, *carol, 7));
  EXPECT_TRUE(send_and_receive(*carol, alice, 8));
}

void expect_failed_with_none(Client& alice, SteamID bob) {
  P2PSessionState_t st;
  ASSERT_TRUE(alice.networking().GetP2PSessionState(bob, &st));
  EXPECT_EQ(st.m_bConnectionActive, 0);
  EXPECT_EQ(st.m_bConnecting, 0);
  EXPECT_EQ(st.m_eP2PSessionError, k_EP2PSessionErrorNone);
}

TEST(NetworkingAuth, PeerAuthenticatedAsSomeoneElseFailsWithErrorNoneAtOnce) {
  auto server = start_server();
  auto ca = config_for(*server, "alice");
  ca.p2p_connect_timeout_s = 10;
  auto alice = logged_in(ca);  // first account: the lowest SteamID, so alice initiates
  auto bob = Impostor::start(*server);
  ASSERT_NE(bob, nullptr);
  const auto bob_key = crypto::SigningKeyPair::generate(), mallory_key = crypto::SigningKeyPair::generate();
  const auto bob_ok = bob->login("bob", bob_key);
  const auto mallory_ok = bob->login("mallory", mallory_key);
  ASSERT_TRUE(bob_ok && mallory_ok);
  const SteamID a = alice->GetSteamID(), b = bob_ok->steam_id;
  ASSERT_LT(a.value(), b.value()) << "alice must be the initiator";
  ASSERT_NE(mallory_ok->steam_id, b);
  // A valid certificate from this server, but mallory's: "bob" cannot prove he is bob.
  bob->present(mallory_ok->certificate, mallory_key);

  std::vector<P2PSessionConnectFail_t> fails;
  alice->On<P2PSessionConnectFail_t>([&](const P2PSessionConnectFail_t& f) { fails.push_back(f); });
  const std::uint8_t x = 1;
  const auto start = Clock::now();
  ASSERT_TRUE(alice->networking().SendP2PPacket(b, &x, 1, k_EP2PSendReliable, 0));
  std::optional<p2p::Signal> offer;
  Instant next_punch = kInstantNever;
  ASSERT_TRUE(run_until(
      {alice.get()},
      [&] {
        bob->pump(ms(1));
        if (!offer && (offer = bob->take_offer(b, a))) next_punch = monotonic_now();
        if (offer) punch(*offer, next_punch, [&](Bytes d, const Address& to) { (void)bob->driver().send_raw(d, to); });
        return !fails.empty();
      },
      std::chrono::seconds(5)));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5)) << "well before the 10 s connect timeout";
  ASSERT_EQ(fails.size(), 1u);
  EXPECT_EQ(fails[0].m_steamIDRemote, b);
  EXPECT_EQ(fails[0].m_eP2PSessionError, k_EP2PSessionErrorNone);
  expect_failed_with_none(*alice, b);

  // The failure came from the handshake: alice completed it with mallory's certificate in
  // front of her and closed that connection at once.
  ASSERT_TRUE(bob->wait([&] { return !bob->closed_incoming().empty(); }));
  ASSERT_EQ(bob->incoming().size(), 1u);
  EXPECT_EQ(bob->incoming()[0].peer.steam_id, a);
  EXPECT_TRUE(bob->closed_incoming()[0].by_peer);
  EXPECT_EQ(bob->closed_incoming()[0].reason, transport::CloseReason::application);

  expect_alice_unharmed(*server, *alice);
  EXPECT_EQ(fails.size(), 1u) << "bob's session failed once; carol's did not fail";
}

TEST(NetworkingAuth, PeerOfAnotherProtocolVersionFailsWithErrorNoneAtOnce) {
  auto server = start_server();
  auto ca = config_for(*server, "alice");
  ca.p2p_connect_timeout_s = 10;
  auto alice = logged_in(ca);
  auto bob = Impostor::start(*server);
  ASSERT_NE(bob, nullptr);
  const auto bob_ok = bob->login("bob", crypto::SigningKeyPair::generate());
  ASSERT_TRUE(bob_ok);
  const SteamID a = alice->GetSteamID(), b = bob_ok->steam_id;
  ASSERT_LT(a.value(), b.value()) << "alice must be the initiator";
  // Bob's P2P side is a socket that answers every HELLO as a Kettle of the next protocol
  // version does (docs/protocol.md §4: VERSION_MISMATCH naming its version).
  net::SocketOptions so;
  so.enable_gro = false;
  auto sock = net::UdpSocket::bind(Address::loopback_v4(0), so);
  ASSERT_TRUE(sock);

  std::vector<P2PSessionConnectFail_t> fails;
  alice->On<P2PSessionConnectFail_t>([&](const P2PSessionConnectFail_t& f) { fails.push_back(f); });
  const std::uint8_t x = 1;
  const auto start = Clock::now();
  ASSERT_TRUE(alice->networking().SendP2PPacket(b, &x, 1, k_EP2PSendReliable, 0));
  std::optional<p2p::Signal> offer;
  Instant next_punch = kInstantNever;
  int hellos = 0;
  std::array<std::uint8_t, 2048> buf{};
  ASSERT_TRUE(run_until(
      {alice.get()},
      [&] {
        bob->pump(ms(1));
        if (!offer && (offer = bob->take_offer(b, a))) next_punch = monotonic_now();
        if (offer) punch(*offer, next_punch, [&](Bytes d, const Address& to) { (void)sock->send_to(d, to); });
        net::RecvSlot slot{MutBytes(buf), {}, 0, 0, false};
        for (;;) {
          auto got = sock->recv_batch(std::span(&slot, 1));
          if (!got || *got == 0) break;
          if (slot.size < crypto::kHelloSize || buf[0] != static_cast<std::uint8_t>(crypto::PacketType::hello))
            continue;
          ++hellos;
          const std::array<std::uint8_t, crypto::kVersionMismatchSize> reply = {
              static_cast<std::uint8_t>(crypto::PacketType::version_mismatch),
              crypto::kProtocolVersion + 1,
              buf[2],
              buf[3],
              buf[4],
              buf[5]};  // echoes the initiator's connection id
          (void)sock->send_to(reply, slot.from);
        }
        return !fails.empty();
      },
      std::chrono::seconds(5)));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5)) << "well before the 10 s connect timeout";
  EXPECT_GE(hellos, 1) << "the failure came from the handshake";
  ASSERT_EQ(fails.size(), 1u);
  EXPECT_EQ(fails[0].m_steamIDRemote, b);
  EXPECT_EQ(fails[0].m_eP2PSessionError, k_EP2PSessionErrorNone);
  expect_failed_with_none(*alice, b);

  expect_alice_unharmed(*server, *alice);
  EXPECT_EQ(fails.size(), 1u);
}

}  // namespace
}  // namespace kettle::testing
