#include "crypto/handshake.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "core/rng.hpp"
#include "fuzz/handshake_fixture.hpp"

namespace kettle::crypto {
namespace {

constexpr std::uint64_t kNow = 1'800'000'000;
constexpr std::uint32_t kInitConn = 0x11223344;
constexpr std::uint32_t kRespConn = 0x55667788;

using Buf = std::vector<std::uint8_t>;

struct HandshakeTest : ::testing::Test {
  SigningKeyPair root = SigningKeyPair::generate();
  Identity alice = Identity::make(root, SteamID::individual(1), 480, kNow + 3600);
  Identity bob = Identity::make(root, SteamID::individual(2), 480, kNow + 3600);
  Address alice_addr = Address::loopback_v4(40001);
  HandshakeResponder responder{bob};
  Buf out = Buf(kHelloSize);

  Buf hello_of(const HandshakeInitiator& i) {
    Buf h(kHelloSize + 10);
    auto n = i.write_hello(h);
    EXPECT_TRUE(n.ok());
    EXPECT_EQ(*n, kHelloSize);
    h.resize(*n);
    return h;
  }

  using Reply =
      std::variant<HandshakeResponder::SendCookie, HandshakeResponder::Accept, HandshakeResponder::SendVersionMismatch>;
  // Calls on_hello and checks the anti-amplification property on every reply.
  Result<Reply> hello(const Buf& h, bool require_cookie, const Address& from, std::uint64_t now = kNow) {
    auto r = responder.on_hello(h, from, kRespConn, require_cookie, now, out);
    if (r.ok()) {
      EXPECT_LT(reply_size(*r), h.size()) << "reply not smaller than the HELLO";
    }
    return r;
  }
  static std::size_t reply_size(const Reply& r) {
    return std::visit([](const auto& v) { return v.size; }, r);
  }
  Buf reply_bytes(const Reply& r) const { return Buf(out.begin(), out.begin() + static_cast<long>(reply_size(r))); }

  // Runs HELLO → WELCOME and returns (initiator established, responder accept).
  void expect_keys_match(Established& init, Established& resp) {
    std::array<std::uint8_t, 5 + 16> buf{1, 2, 3, 4, 5};
    init.keys.tx.seal(0, {}, buf, 5);
    ASSERT_TRUE(resp.keys.rx.open(0, {}, buf).ok()) << "initiator tx must open with responder rx";
    resp.keys.tx.seal(0, {}, buf, 5);
    ASSERT_TRUE(init.keys.rx.open(0, {}, buf).ok()) << "responder tx must open with initiator rx";
    EXPECT_EQ(buf[4], 5);
  }
};

TEST_F(HandshakeTest, CompletesWithoutCookie) {
  HandshakeInitiator init(alice, kInitConn);
  const Buf h = hello_of(init);
  EXPECT_EQ(h[0], 0x01);
  EXPECT_EQ(load_le32(h.data() + 2), kInitConn);

  auto r = hello(h, false, alice_addr);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  auto* accept = std::get_if<HandshakeResponder::Accept>(&*r);
  ASSERT_NE(accept, nullptr);
  EXPECT_EQ(accept->size, kWelcomeSize);
  EXPECT_EQ(accept->initiator_conn_id, kInitConn);
  EXPECT_EQ(accept->session.peer_conn_id, kInitConn);
  EXPECT_EQ(accept->session.peer.steam_id, alice.cert.steam_id);

  const Buf welcome = reply_bytes(*r);
  EXPECT_EQ(welcome[0], 0x03);
  EXPECT_EQ(load_le32(welcome.data() + kReplyConnIdOffset), kInitConn);
  auto done = init.on_reply(welcome, kNow);
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  auto* est = std::get_if<Established>(&*done);
  ASSERT_NE(est, nullptr);
  EXPECT_EQ(est->peer_conn_id, kRespConn);
  EXPECT_EQ(est->peer.steam_id, bob.cert.steam_id);
  EXPECT_EQ(est->peer.public_key, bob.key.pub);
  EXPECT_EQ(est->keys.tx.suite(), accept->session.keys.rx.suite());
  expect_keys_match(*est, accept->session);
}

TEST_F(HandshakeTest, CompletesWithCookie) {
  HandshakeInitiator init(alice, kInitConn);
  const Buf h1 = hello_of(init);
  auto r1 = hello(h1, true, alice_addr);
  ASSERT_TRUE(r1.ok()) << r1.error().to_string();
  ASSERT_TRUE(std::holds_alternative<HandshakeResponder::SendCookie>(*r1));
  const Buf cookie = reply_bytes(*r1);
  ASSERT_EQ(cookie.size(), kCookiePacketSize);
  EXPECT_EQ(cookie[0], 0x02);

  auto retry = init.on_reply(cookie, kNow);
  ASSERT_TRUE(retry.ok()) << retry.error().to_string();
  ASSERT_TRUE(std::holds_alternative<HandshakeInitiator::Retry>(*retry));
  EXPECT_EQ(init.on_reply(cookie, kNow).code(), Errc::malformed);  // duplicate COOKIE: no second Retry

  const Buf h2 = hello_of(init);
  EXPECT_NE(h1, h2);
  EXPECT_EQ(h2[1 + 1 + 4 + 1 + 32 + Certificate::kEncodedSize], CookieJar::kSize);  // cookie_len

  // From another address the cookie is not valid: a fresh COOKIE, not an Accept.
  auto moved = hello(h2, true, Address::loopback_v4(40002), kNow + 1);
  ASSERT_TRUE(moved.ok());
  EXPECT_TRUE(std::holds_alternative<HandshakeResponder::SendCookie>(*moved));
  // Expired cookie: also a fresh COOKIE.
  auto late = hello(h2, true, alice_addr, kNow + CookieJar::kLifetimeS);
  ASSERT_TRUE(late.ok());
  EXPECT_TRUE(std::holds_alternative<HandshakeResponder::SendCookie>(*late));

  auto r2 = hello(h2, true, alice_addr, kNow + 2);
  ASSERT_TRUE(r2.ok()) << r2.error().to_string();
  auto* accept = std::get_if<HandshakeResponder::Accept>(&*r2);
  ASSERT_NE(accept, nullptr);
  auto done = init.on_reply(reply_bytes(*r2), kNow + 2);
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  expect_keys_match(std::get<Established>(*done), accept->session);
}

TEST_F(HandshakeTest, RetransmittedHelloIsIdenticalAndIdentifiable) {
  HandshakeInitiator init(alice, kInitConn);
  EXPECT_EQ(hello_of(init), hello_of(init));
  auto a = hello(hello_of(init), false, alice_addr);
  auto b = hello(hello_of(init), false, alice_addr);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(std::get<HandshakeResponder::Accept>(*a).initiator_ephemeral,
            std::get<HandshakeResponder::Accept>(*b).initiator_ephemeral);
}

TEST_F(HandshakeTest, ResponderRejectsUntrustedInitiator) {
  const auto other_root = SigningKeyPair::generate();
  Identity mallory = Identity::make(other_root, SteamID::individual(3), 480, kNow + 3600);
  HandshakeInitiator init(mallory, kInitConn);
  EXPECT_EQ(hello(hello_of(init), false, alice_addr).code(), Errc::auth_failed);
}

TEST_F(HandshakeTest, InitiatorRejectsUntrustedResponderAndKeepsState) {
  const auto other_root = SigningKeyPair::generate();
  Identity mallory = Identity::make(other_root, SteamID::individual(3), 480, kNow + 3600);
  HandshakeResponder fake(mallory);
  HandshakeInitiator init(alice, kInitConn);
  const Buf h = hello_of(init);
  // Mallory's responder doesn't trust alice either; give it alice's root to get a WELCOME out.
  mallory.trust_root = root.pub;
  auto r = fake.on_hello(h, alice_addr, kRespConn, false, kNow, out);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(init.on_reply(reply_bytes(*r), kNow).code(), Errc::auth_failed);
  // The attempt survives: the genuine WELCOME still completes it.
  auto real = hello(h, false, alice_addr);
  ASSERT_TRUE(real.ok());
  EXPECT_TRUE(init.on_reply(reply_bytes(*real), kNow).ok());
}

TEST_F(HandshakeTest, AnonymousInitiatorOnlyWhereAllowed) {
  // A client before login: its key with a self-signed certificate, pinning bob's root.
  Identity anon = Identity::anonymous(SigningKeyPair::generate(), root.pub);
  EXPECT_TRUE(anon.cert.is_anonymous());
  HandshakeInitiator init(anon, kInitConn);
  const Buf h = hello_of(init);
  EXPECT_EQ(hello(h, false, alice_addr).code(), Errc::auth_failed) << "peer endpoints refuse anonymous keys";

  HandshakeResponder server(bob, /*accept_anonymous=*/true);
  auto r = server.on_hello(h, alice_addr, kRespConn, false, kNow, out);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  auto* accept = std::get_if<HandshakeResponder::Accept>(&*r);
  ASSERT_NE(accept, nullptr);
  EXPECT_TRUE(accept->session.peer.is_anonymous());
  EXPECT_EQ(accept->session.peer.public_key, anon.key.pub);
  auto done = init.on_reply(reply_bytes(*r), kNow);
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  EXPECT_EQ(std::get<Established>(*done).peer.steam_id, bob.cert.steam_id);
}

TEST_F(HandshakeTest, AnonymousCertificateIsBoundByTheHelloSignature) {
  HandshakeResponder server(bob, true);
  Identity anon = Identity::anonymous(SigningKeyPair::generate(), root.pub);
  HandshakeInitiator init(anon, kInitConn);
  Buf h = hello_of(init);
  // Any change to the certificate inside the HELLO (here its key) breaks the HELLO signature,
  // which is what authenticates an anonymous certificate.
  constexpr std::size_t kCertKeyOffset = 1 + 1 + 4 + 1 + 32 + 1 + 8 + 4;
  h[kCertKeyOffset] ^= 1;
  EXPECT_EQ(server.on_hello(h, alice_addr, kRespConn, false, kNow, out).code(), Errc::auth_failed);
  // An anonymous certificate claiming an app is malformed.
  Identity with_app;
  with_app.key = SigningKeyPair::generate();
  with_app.cert = Certificate::issue(with_app.key, SteamID(0), 480, with_app.key.pub, ~std::uint64_t{0});
  with_app.trust_root = root.pub;
  HandshakeInitiator init2(with_app, kInitConn);
  EXPECT_EQ(server.on_hello(hello_of(init2), alice_addr, kRespConn, false, kNow, out).code(), Errc::malformed);
}

TEST(CertificateCache, RepeatedVerifyIsConsistentAndExpiryIsAlwaysChecked) {
  const auto issuer = SigningKeyPair::generate();
  const auto other = SigningKeyPair::generate();
  const auto subject = SigningKeyPair::generate();
  const Certificate c = Certificate::issue(issuer, SteamID::individual(9), 480, subject.pub, kNow + 10);
  for (int i = 0; i < 3; ++i) {  // the first call verifies, later ones hit the cache
    EXPECT_TRUE(c.verify(issuer.pub, kNow).ok());
    EXPECT_EQ(c.verify(other.pub, kNow).code(), Errc::auth_failed) << "a cached entry is per issuer";
    EXPECT_EQ(c.verify(issuer.pub, kNow + 10).code(), Errc::expired) << "expiry is never cached";
  }
  Certificate tampered = c;
  tampered.app_id = 481;  // same signature, other content: must not hit the cache
  EXPECT_EQ(tampered.verify(issuer.pub, kNow).code(), Errc::auth_failed);
  Certificate resigned = c;
  resigned.signature[5] ^= 1;  // same first byte (same slot), other signature
  EXPECT_EQ(resigned.verify(issuer.pub, kNow).code(), Errc::auth_failed);
}

TEST_F(HandshakeTest, InitiatorRefusesAnonymousResponder) {
  // Even one that alice's trust root signed: a responder must have an identity.
  Identity anon_server;
  anon_server.key = SigningKeyPair::generate();
  anon_server.cert = Certificate::issue(root, SteamID(0), 0, anon_server.key.pub, kNow + 3600);
  anon_server.trust_root = root.pub;
  HandshakeResponder fake(anon_server);
  HandshakeInitiator init(alice, kInitConn);
  auto r = fake.on_hello(hello_of(init), alice_addr, kRespConn, false, kNow, out);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(init.on_reply(reply_bytes(*r), kNow).code(), Errc::auth_failed);
}

TEST_F(HandshakeTest, WelcomeForAnotherHelloFails) {
  HandshakeInitiator init(alice, kInitConn);
  HandshakeInitiator other(alice, kInitConn);  // same conn id, different ephemeral key
  auto r = hello(hello_of(other), false, alice_addr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(init.on_reply(reply_bytes(*r), kNow).code(), Errc::auth_failed);
}

TEST_F(HandshakeTest, ExpiredCertificates) {
  Identity old_alice = Identity::make(root, SteamID::individual(1), 480, kNow);
  HandshakeInitiator stale(old_alice, kInitConn);
  EXPECT_EQ(hello(hello_of(stale), false, alice_addr).code(), Errc::expired);
  // One second earlier it is still valid.
  EXPECT_TRUE(hello(hello_of(stale), false, alice_addr, kNow - 1).ok());

  Identity old_bob = Identity::make(root, SteamID::individual(2), 480, kNow);
  HandshakeResponder stale_responder(old_bob);
  HandshakeInitiator init(alice, kInitConn);
  auto r = stale_responder.on_hello(hello_of(init), alice_addr, kRespConn, false, kNow - 10, out);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(init.on_reply(reply_bytes(*r), kNow).code(), Errc::expired);
}

TEST_F(HandshakeTest, VersionMismatch) {
  HandshakeInitiator init(alice, kInitConn);
  Buf h = hello_of(init);
  h[1] = kProtocolVersion + 1;
  auto r = hello(h, false, alice_addr);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_TRUE(std::holds_alternative<HandshakeResponder::SendVersionMismatch>(*r));
  const Buf vm = reply_bytes(*r);
  ASSERT_EQ(vm.size(), kVersionMismatchSize);
  EXPECT_EQ(vm[0], 0x05);
  EXPECT_EQ(vm[1], kProtocolVersion);
  EXPECT_EQ(load_le32(vm.data() + kReplyConnIdOffset), kInitConn);

  // A larger future-version HELLO also gets the small reply.
  Buf big = h;
  big.resize(1400);
  auto r2 = hello(big, false, alice_addr);
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(std::holds_alternative<HandshakeResponder::SendVersionMismatch>(*r2));
  // A short one gets nothing: no reply to anything under 1200 bytes.
  Buf small = h;
  small.resize(kHelloSize - 1);
  EXPECT_EQ(hello(small, false, alice_addr).code(), Errc::truncated);

  // The initiator gives up on it (the responder speaks our own version here, so fake one).
  Buf their = vm;
  their[1] = kProtocolVersion + 1;
  auto fail = init.on_reply(their, kNow);
  EXPECT_EQ(fail.code(), Errc::unsupported);
  EXPECT_EQ(init.on_reply(vm, kNow).code(), Errc::malformed);  // "mismatch" naming our own version
}

TEST_F(HandshakeTest, NoCommonSuite) {
  HandshakeInitiator init(alice, kInitConn);
  Buf h = hello_of(init);
  h[6] = 1u << 5;  // an unknown suite only (the signature would also fail, but suites are checked first)
  EXPECT_EQ(hello(h, false, alice_addr).code(), Errc::unsupported);
}

TEST_F(HandshakeTest, TruncatedAndGarbageHello) {
  HandshakeInitiator init(alice, kInitConn);
  const Buf h = hello_of(init);
  for (std::size_t n = 0; n < h.size(); n += (n < 300 ? 1 : 50)) {
    auto r = hello(Buf(h.begin(), h.begin() + static_cast<long>(n)), false, alice_addr);
    EXPECT_FALSE(r.ok()) << n;
  }
  Buf longer = h;
  longer.push_back(0);
  EXPECT_EQ(hello(longer, false, alice_addr).code(), Errc::malformed);

  Buf padded = h;
  padded.back() = 1;
  EXPECT_EQ(hello(padded, false, alice_addr).code(), Errc::malformed);

  Buf bad_cookie_len = h;
  bad_cookie_len[1 + 1 + 4 + 1 + 32 + Certificate::kEncodedSize] = 5;
  EXPECT_EQ(hello(bad_cookie_len, false, alice_addr).code(), Errc::malformed);

  Buf wrong_type = h;
  wrong_type[0] = 0x03;
  EXPECT_EQ(hello(wrong_type, false, alice_addr).code(), Errc::malformed);

  // Any flipped bit in the signed part or the signature is rejected.
  const std::size_t signed_end = 1 + 1 + 4 + 1 + 32 + Certificate::kEncodedSize + 1 + 64;
  for (std::size_t i = 2; i < signed_end; ++i) {
    Buf flipped = h;
    flipped[i] ^= 0x04;
    EXPECT_FALSE(hello(flipped, false, alice_addr).ok()) << "byte " << i;
  }

  const std::uint64_t seed = 0xC0FFEE;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Rng rng(seed);
  for (int k = 0; k < 200; ++k) {
    Buf g(rng.below(1500));
    for (auto& b : g) b = static_cast<std::uint8_t>(rng.next());
    if (!g.empty() && rng.chance(0.5)) g[0] = 0x01;
    auto r = hello(g, rng.chance(0.5), alice_addr);
    if (r.ok()) {
      EXPECT_FALSE(std::holds_alternative<HandshakeResponder::Accept>(*r));
    }
  }
}

TEST_F(HandshakeTest, TruncatedGarbageOrMisroutedWelcomeKeepsState) {
  HandshakeInitiator init(alice, kInitConn);
  auto r = hello(hello_of(init), false, alice_addr);
  ASSERT_TRUE(r.ok());
  const Buf welcome = reply_bytes(*r);
  for (std::size_t n = 0; n < welcome.size(); ++n) {
    EXPECT_FALSE(init.on_reply(Buf(welcome.begin(), welcome.begin() + static_cast<long>(n)), kNow).ok()) << n;
  }
  Buf longer = welcome;
  longer.push_back(0);
  EXPECT_EQ(init.on_reply(longer, kNow).code(), Errc::malformed);
  for (std::size_t i = 0; i < welcome.size(); ++i) {
    Buf flipped = welcome;
    flipped[i] ^= 0x20;
    EXPECT_FALSE(init.on_reply(flipped, kNow).ok()) << "byte " << i;
  }
  Buf misrouted = welcome;
  store_le32(misrouted.data() + kReplyConnIdOffset, kInitConn + 1);
  EXPECT_EQ(init.on_reply(misrouted, kNow).code(), Errc::malformed);

  Rng rng(77);
  for (int k = 0; k < 200; ++k) {
    Buf g(rng.below(400));
    for (auto& b : g) b = static_cast<std::uint8_t>(rng.next());
    EXPECT_FALSE(init.on_reply(g, kNow).ok());
  }
  // After all that, the real WELCOME still completes the handshake.
  auto done = init.on_reply(welcome, kNow);
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  expect_keys_match(std::get<Established>(*done), std::get<HandshakeResponder::Accept>(*r).session);
}

TEST_F(HandshakeTest, MisroutedCookieIsIgnored) {
  HandshakeInitiator init(alice, kInitConn);
  const Buf h = hello_of(init);
  auto r = hello(h, true, alice_addr);
  ASSERT_TRUE(r.ok());
  Buf cookie = reply_bytes(*r);
  store_le32(cookie.data() + kReplyConnIdOffset, kInitConn ^ 1);
  EXPECT_EQ(init.on_reply(cookie, kNow).code(), Errc::malformed);
  EXPECT_EQ(hello_of(init), h);  // no cookie stored
  cookie.pop_back();
  EXPECT_EQ(init.on_reply(cookie, kNow).code(), Errc::truncated);
}

TEST_F(HandshakeTest, ReplySizePropertyOverMutatedHellos) {
  // Every reply the responder ever sends is smaller than the datagram that caused it
  // (checked inside hello()); mutate valid HELLOs to reach every reply kind.
  HandshakeInitiator init(alice, kInitConn);
  const Buf h = hello_of(init);
  const std::uint64_t seed = 4242;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Rng rng(seed);
  int replies = 0;
  for (int k = 0; k < 300; ++k) {
    Buf m = h;
    const auto flips = rng.below(3);
    for (std::uint64_t f = 0; f < flips; ++f) m[rng.below(m.size())] ^= static_cast<std::uint8_t>(1u << rng.below(8));
    if (rng.chance(0.2)) m.resize(rng.range(kHelloSize - 5, kHelloSize + 5));
    auto r = hello(m, rng.chance(0.5), alice_addr);
    if (r.ok()) ++replies;
  }
  EXPECT_GT(replies, 10);
}

TEST_F(HandshakeTest, OutputBufferTooSmall) {
  HandshakeInitiator init(alice, kInitConn);
  Buf small(kHelloSize - 1);
  EXPECT_EQ(init.write_hello(small).code(), Errc::too_large);
  const Buf h = hello_of(init);
  EXPECT_EQ(responder.on_hello(h, alice_addr, kRespConn, false, kNow, small).code(), Errc::too_large);
}

}  // namespace
}  // namespace kettle::crypto

namespace kettle::crypto {
namespace {

Buf read_seed(const char* name) {
  const auto path = std::filesystem::path(KETTLE_SOURCE_DIR) / "fuzz/corpus/handshake" / name;
  std::ifstream f(path, std::ios::binary);
  return Buf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// The fuzz target only reaches the deep paths (Accept, Established) through these
// seeds; if the wire format changes they must be regenerated
// (crypto_make_handshake_corpus fuzz/corpus/handshake).
TEST(HandshakeFuzzSeeds, StillMatchTheWireFormat) {
  const fuzz::HandshakeFixture f;
  const Buf hello = read_seed("hello");
  auto init = f.initiator();
  Buf expected(kHelloSize);
  ASSERT_TRUE(init.write_hello(expected).ok());
  EXPECT_EQ(hello, expected) << "fuzz/corpus/handshake/hello is stale";

  HandshakeResponder responder(f.responder_id);
  Buf out(kHelloSize);
  auto r = responder.on_hello(hello, f.initiator_addr, fuzz::kResponderConnId, false, fuzz::kNow, out);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(std::holds_alternative<HandshakeResponder::Accept>(*r));

  auto done = init.on_reply(read_seed("welcome"), fuzz::kNow);
  ASSERT_TRUE(done.ok()) << "fuzz/corpus/handshake/welcome is stale: " << done.error().to_string();
  EXPECT_TRUE(std::holds_alternative<Established>(*done));

  auto retry = f.initiator().on_reply(read_seed("cookie"), fuzz::kNow);
  ASSERT_TRUE(retry.ok()) << retry.error().to_string();
  EXPECT_TRUE(std::holds_alternative<HandshakeInitiator::Retry>(*retry));
}

}  // namespace
}  // namespace kettle::crypto
