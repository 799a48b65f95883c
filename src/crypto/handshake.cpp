// Wire layouts and check order: docs/protocol.md §4.
#include "crypto/handshake.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace kettle::crypto {

namespace {

// Domain separation: a HELLO signature can't pass as a WELCOME's or a
// certificate's, even though the same Ed25519 keys may sign all three.
constexpr std::string_view kHelloDomain = "kettle hello v1";
constexpr std::string_view kWelcomeDomain = "kettle welcome v1";

constexpr std::size_t kHelloFixed = 1 + 1 + 4 + 1 + 32 + Certificate::kEncodedSize + 1;  // up to cookie_len
constexpr std::size_t kHelloUnpadded = kHelloFixed + CookieJar::kSize + 64;
static_assert(kHelloUnpadded <= kHelloSize);
constexpr std::size_t kWelcomeSigned = kWelcomeSize - 64;

// The longest signed message: the WELCOME's domain || HELLO || WELCOME prefix.
constexpr std::size_t kMaxSigned = kWelcomeDomain.size() + kHelloSize + kWelcomeSigned;

// domain || a || b in a stack buffer (no allocation on the handshake path).
class SignedMessage {
 public:
  SignedMessage(std::string_view domain, Bytes a, Bytes b = {}) {
    ByteWriter w(buf_);
    w.bytes(as_bytes(domain));
    w.bytes(a);
    w.bytes(b);
    ok_ = w.ok();
    size_ = w.size();
  }
  bool ok() const { return ok_; }
  Bytes bytes() const { return Bytes(buf_).first(size_); }

 private:
  std::array<std::uint8_t, kMaxSigned> buf_{};
  std::size_t size_ = 0;
  bool ok_ = false;
};

bool is_suite_bit(std::uint8_t mask, Suite s) { return (mask >> static_cast<unsigned>(s)) & 1u; }

// A HELLO as received, after the size and version checks.
struct ParsedHello {
  std::uint32_t conn_id = 0;
  std::uint8_t suites = 0;
  std::array<std::uint8_t, 32> ephemeral{};
  Certificate cert;
  Bytes cookie;
  std::size_t signed_len = 0;
  Signature signature{};
};

Result<ParsedHello> parse_hello(Bytes d) {
  ParsedHello h;
  ByteReader r(d);
  r.u8();  // type
  r.u8();  // version
  h.conn_id = r.u32();
  h.suites = r.u8();
  r.copy_to(h.ephemeral);
  auto cert = Certificate::decode(r);
  if (!cert) return std::move(cert).error();
  h.cert = *cert;
  const std::uint8_t cookie_len = r.u8();
  if (cookie_len != 0 && cookie_len != CookieJar::kSize) {
    return make_error(Errc::malformed, "HELLO: cookie length " + std::to_string(cookie_len));
  }
  h.cookie = r.take(cookie_len);
  h.signed_len = r.position();
  r.copy_to(h.signature);
  const Bytes padding = r.rest();
  if (!r.ok()) return make_error(Errc::truncated, "HELLO: fields overrun the datagram");
  // Zero padding is checked so the HELLO has exactly one valid encoding.
  if (std::any_of(padding.begin(), padding.end(), [](std::uint8_t b) { return b != 0; })) {
    return make_error(Errc::malformed, "HELLO: nonzero padding");
  }
  return h;
}

// Common prefix of COOKIE / WELCOME / VERSION_MISMATCH: type, version, initiator conn id.
Status check_reply_header(Bytes d, std::size_t expected_size, std::uint32_t local_conn_id, const char* what) {
  if (d.size() < expected_size) return make_error(Errc::truncated, std::string(what) + ": too short");
  if (d.size() > expected_size) return make_error(Errc::malformed, std::string(what) + ": too long");
  if (load_le32(d.data() + kReplyConnIdOffset) != local_conn_id) {
    return make_error(Errc::malformed, std::string(what) + ": not for this connection id");
  }
  return {};
}

}  // namespace

// ---------------------------------------------------------------- initiator

HandshakeInitiator::HandshakeInitiator(const Identity& me, std::uint32_t local_conn_id)
    : HandshakeInitiator(me, local_conn_id, KxKeyPair::generate()) {}

HandshakeInitiator::HandshakeInitiator(const Identity& me, std::uint32_t local_conn_id, KxKeyPair ephemeral)
    : me_(&me), local_conn_id_(local_conn_id), eph_(std::move(ephemeral)) {
  build_hello();
}

void HandshakeInitiator::build_hello() {
  last_hello_.assign(kHelloSize, 0);
  ByteWriter w(last_hello_);
  w.u8(static_cast<std::uint8_t>(PacketType::hello));
  w.u8(kProtocolVersion);
  w.u32(local_conn_id_);
  w.u8(supported_suites());
  w.bytes(eph_.pub);
  me_->cert.encode(w);
  w.u8(static_cast<std::uint8_t>(cookie_.size()));
  w.bytes(cookie_);
  const SignedMessage msg(kHelloDomain, w.written());
  w.bytes(me_->key.sign(msg.bytes()));
  // The rest stays zero: padding up to kHelloSize.
}

Result<std::size_t> HandshakeInitiator::write_hello(MutBytes out) const {
  if (out.size() < kHelloSize) return make_error(Errc::too_large, "HELLO needs a 1200-byte buffer");
  std::memcpy(out.data(), last_hello_.data(), kHelloSize);
  return kHelloSize;
}

Result<std::variant<HandshakeInitiator::Retry, Established>> HandshakeInitiator::on_reply(Bytes d,
                                                                                          std::uint64_t now_unix_s) {
  if (d.size() < 2) return make_error(Errc::truncated, "handshake reply: shorter than 2 bytes");
  const auto type = static_cast<PacketType>(d[0]);
  const std::uint8_t version = d[1];

  if (type == PacketType::version_mismatch) {
    KETTLE_TRY(check_reply_header(d, kVersionMismatchSize, local_conn_id_, "VERSION_MISMATCH"));
    if (version == kProtocolVersion) return make_error(Errc::malformed, "VERSION_MISMATCH names our own version");
    return make_error(Errc::unsupported, "responder speaks protocol version " + std::to_string(version));
  }
  if (type != PacketType::cookie && type != PacketType::welcome) {
    return make_error(Errc::malformed, "handshake reply: unexpected packet type " + std::to_string(d[0]));
  }
  if (version != kProtocolVersion) {
    return make_error(Errc::malformed, "handshake reply: version " + std::to_string(version));
  }

  if (type == PacketType::cookie) {
    KETTLE_TRY(check_reply_header(d, kCookiePacketSize, local_conn_id_, "COOKIE"));
    const Bytes cookie = d.subspan(6, CookieJar::kSize);
    // A repeat would only make us resend the same HELLO: don't let it.
    if (std::equal(cookie.begin(), cookie.end(), cookie_.begin(), cookie_.end())) {
      return make_error(Errc::malformed, "COOKIE: duplicate");
    }
    cookie_.assign(cookie.begin(), cookie.end());
    build_hello();
    return std::variant<Retry, Established>{Retry{}};
  }

  KETTLE_TRY(check_reply_header(d, kWelcomeSize, local_conn_id_, "WELCOME"));
  ByteReader r(d);
  r.take(kReplyConnIdOffset + 4);
  const std::uint32_t responder_conn_id = r.u32();
  const std::uint8_t suite_byte = r.u8();
  std::array<std::uint8_t, 32> responder_eph{};
  r.copy_to(responder_eph);
  auto cert = Certificate::decode(r);
  if (!cert) return std::move(cert).error();
  Signature sig{};
  r.copy_to(sig);
  if (!r.ok()) return make_error(Errc::truncated, "WELCOME: fields overrun the datagram");

  const auto suite = static_cast<Suite>(suite_byte);
  const bool known = suite == Suite::aes256gcm || suite == Suite::chacha20poly1305;
  if (!known || !is_suite_bit(supported_suites(), suite)) {
    return make_error(Errc::malformed, "WELCOME: suite " + std::to_string(suite_byte) + " was not offered");
  }
  if (cert->is_anonymous()) return make_error(Errc::auth_failed, "WELCOME: a responder must not be anonymous");
  KETTLE_TRY(cert->verify(me_->trust_root, now_unix_s));
  const SignedMessage msg(kWelcomeDomain, last_hello_, d.first(kWelcomeSigned));
  if (!verify_signature(cert->public_key, msg.bytes(), sig)) {
    return make_error(Errc::auth_failed, "WELCOME: signature does not match the certificate key");
  }
  auto keys = derive_initiator_keys(suite, eph_, responder_eph);
  if (!keys) return std::move(keys).error();
  return std::variant<Retry, Established>{Established{std::move(*keys), *cert, responder_conn_id}};
}

// ---------------------------------------------------------------- responder

HandshakeResponder::HandshakeResponder(const Identity& me, bool accept_anonymous)
    : me_(&me), accept_anonymous_(accept_anonymous) {}

Result<
    std::variant<HandshakeResponder::SendCookie, HandshakeResponder::Accept, HandshakeResponder::SendVersionMismatch>>
HandshakeResponder::on_hello(Bytes d, const Address& from, std::uint32_t local_conn_id, bool require_cookie,
                             std::uint64_t now_unix_s, MutBytes out) {
  using Reply = std::variant<SendCookie, Accept, SendVersionMismatch>;
  // Cheap checks first: type, size and version cost nothing and decide most junk.
  if (out.size() < kHelloSize) return make_error(Errc::too_large, "on_hello: out must hold 1200 bytes");
  if (d.empty()) return make_error(Errc::truncated, "HELLO: empty");
  if (d[0] != static_cast<std::uint8_t>(PacketType::hello)) return make_error(Errc::malformed, "not a HELLO");
  // Every version's HELLO is at least kHelloSize, so no reply can amplify.
  if (d.size() < kHelloSize) return make_error(Errc::truncated, "HELLO: shorter than 1200 bytes");
  const std::uint32_t initiator_conn_id = load_le32(d.data() + 2);
  if (d[1] != kProtocolVersion) {
    ByteWriter w(out);
    w.u8(static_cast<std::uint8_t>(PacketType::version_mismatch));
    w.u8(kProtocolVersion);
    w.u32(initiator_conn_id);
    return Reply{SendVersionMismatch{w.size()}};
  }
  if (d.size() != kHelloSize) return make_error(Errc::malformed, "HELLO: longer than 1200 bytes");
  auto parsed = parse_hello(d);
  if (!parsed) return std::move(parsed).error();
  ParsedHello& h = *parsed;

  // Address validation before any public-key work, so a spoofed flood costs us one MAC each.
  if (require_cookie) {
    std::array<std::uint8_t, 19 + 32> context{};
    const auto addr = from.key_bytes();
    std::memcpy(context.data(), addr.data(), addr.size());
    std::memcpy(context.data() + addr.size(), h.ephemeral.data(), h.ephemeral.size());
    if (h.cookie.empty() || !cookies_.check(h.cookie, context, now_unix_s).ok()) {
      ByteWriter w(out);
      w.u8(static_cast<std::uint8_t>(PacketType::cookie));
      w.u8(kProtocolVersion);
      w.u32(h.conn_id);
      w.bytes(cookies_.make(context, now_unix_s));
      return Reply{SendCookie{w.size()}};
    }
  }

  auto suite = choose_suite(h.suites);
  if (!suite) return std::move(suite).error();
  if (h.cert.is_anonymous()) {
    if (!accept_anonymous_) return make_error(Errc::auth_failed, "HELLO: anonymous certificate not accepted here");
    // Its own signature is not checked: the HELLO signature below is by cert.public_key over
    // bytes that include the whole certificate (docs/protocol.md §2.1).
    if (h.cert.app_id != 0) return make_error(Errc::malformed, "HELLO: anonymous certificate with an app_id");
  } else {
    KETTLE_TRY(h.cert.verify(me_->trust_root, now_unix_s));
  }
  const SignedMessage hello_msg(kHelloDomain, d.first(h.signed_len));
  if (!verify_signature(h.cert.public_key, hello_msg.bytes(), h.signature)) {
    return make_error(Errc::auth_failed, "HELLO: signature does not match the certificate key");
  }

  const KxKeyPair eph = KxKeyPair::generate();
  auto keys = derive_responder_keys(*suite, eph, h.ephemeral);
  if (!keys) return std::move(keys).error();

  ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(PacketType::welcome));
  w.u8(kProtocolVersion);
  w.u32(h.conn_id);
  w.u32(local_conn_id);
  w.u8(static_cast<std::uint8_t>(*suite));
  w.bytes(eph.pub);
  me_->cert.encode(w);
  const SignedMessage welcome_msg(kWelcomeDomain, d, w.written());
  w.bytes(me_->key.sign(welcome_msg.bytes()));
  if (!w.ok() || w.size() != kWelcomeSize) return make_error(Errc::internal, "WELCOME: encoder size mismatch");

  return Reply{Accept{w.size(), Established{std::move(*keys), h.cert, h.conn_id}, h.conn_id, h.ephemeral}};
}

}  // namespace kettle::crypto
