#include "crypto/certificate.hpp"

#include <array>
#include <cstring>
#include <mutex>
#include <string_view>

namespace kettle::crypto {

namespace {

// Domain separation: a certificate signature can never be replayed as a
// signature over any other Kettle message (HELLO/WELCOME use other prefixes).
constexpr std::string_view kCertDomain = "kettle cert v1";
constexpr std::size_t kSignedSize = Certificate::kEncodedSize - 64;  // everything but the signature
static_assert(kSignedSize == 53);

void encode_signed_part(const Certificate& c, ByteWriter& w) {
  w.u8(Certificate::kVersion);
  w.u64(c.steam_id.value());
  w.u32(c.app_id);
  w.bytes(c.public_key.bytes);
  w.u64(c.expiry_unix_s);
}

// "kettle cert v1" || the first 53 encoded bytes.
std::array<std::uint8_t, kCertDomain.size() + kSignedSize> signed_message(const Certificate& c) {
  std::array<std::uint8_t, kCertDomain.size() + kSignedSize> msg{};
  std::memcpy(msg.data(), kCertDomain.data(), kCertDomain.size());
  ByteWriter w(MutBytes(msg).subspan(kCertDomain.size()));
  encode_signed_part(c, w);
  return msg;
}

// Signatures already checked, so a peer that reconnects (or the server's own certificate, which
// every login checks) costs one Ed25519 verify (~60 µs) once per process, not per handshake.
// Direct-mapped on the signature's first byte; a hit needs the exact same issuer, signed bytes
// and signature, so it can only confirm what a real verify confirmed. Expiry is never cached.
class VerifiedCache {
 public:
  using Msg = std::array<std::uint8_t, kCertDomain.size() + kSignedSize>;
  bool contains(const SigningPublicKey& issuer, const Msg& msg, const Signature& sig) {
    std::lock_guard lock(mu_);
    const Entry& e = slots_[sig[0]];
    return e.used && e.sig == sig && e.msg == msg && e.issuer == issuer.bytes;
  }
  void insert(const SigningPublicKey& issuer, const Msg& msg, const Signature& sig) {
    std::lock_guard lock(mu_);
    slots_[sig[0]] = Entry{true, issuer.bytes, msg, sig};
  }

 private:
  struct Entry {
    bool used = false;
    decltype(SigningPublicKey::bytes) issuer{};
    Msg msg{};
    Signature sig{};
  };
  std::mutex mu_;
  std::array<Entry, 256> slots_{};
};

VerifiedCache& verified_cache() {
  static VerifiedCache cache;
  return cache;
}

}  // namespace

Certificate Certificate::issue(const SigningKeyPair& issuer, SteamID steam_id, std::uint32_t app_id,
                               const SigningPublicKey& subject, std::uint64_t expiry_unix_s) {
  Certificate c;
  c.steam_id = steam_id;
  c.app_id = app_id;
  c.public_key = subject;
  c.expiry_unix_s = expiry_unix_s;
  c.signature = issuer.sign(signed_message(c));
  return c;
}

Certificate Certificate::anonymous(const SigningKeyPair& key) {
  return issue(key, SteamID(0), 0, key.pub, ~std::uint64_t{0});
}

Status Certificate::verify(const SigningPublicKey& issuer, std::uint64_t now_unix_s) const {
  const auto msg = signed_message(*this);
  if (!verified_cache().contains(issuer, msg, signature)) {
    if (!verify_signature(issuer, msg, signature)) {
      return make_error(Errc::auth_failed, "certificate: signature does not verify against the trust root");
    }
    verified_cache().insert(issuer, msg, signature);
  }
  if (now_unix_s >= expiry_unix_s) {
    return make_error(Errc::expired, "certificate: expired at " + std::to_string(expiry_unix_s));
  }
  return {};
}

void Certificate::encode(ByteWriter& w) const {
  encode_signed_part(*this, w);
  w.bytes(signature);
}

Result<Certificate> Certificate::decode(ByteReader& r) {
  Certificate c;
  const std::uint8_t version = r.u8();
  if (!r.ok()) return make_error(Errc::truncated, "certificate: empty");
  if (version != kVersion) {
    return make_error(Errc::unsupported, "certificate: version " + std::to_string(version));
  }
  c.steam_id = SteamID(r.u64());
  c.app_id = r.u32();
  r.copy_to(c.public_key.bytes);
  c.expiry_unix_s = r.u64();
  r.copy_to(c.signature);
  if (!r.ok()) return make_error(Errc::truncated, "certificate: shorter than 117 bytes");
  return c;
}

Identity Identity::make(const SigningKeyPair& root, SteamID steam_id, std::uint32_t app_id,
                        std::uint64_t expiry_unix_s) {
  Identity id;
  id.key = SigningKeyPair::generate();
  id.cert = Certificate::issue(root, steam_id, app_id, id.key.pub, expiry_unix_s);
  id.trust_root = root.pub;
  return id;
}

Identity Identity::anonymous(SigningKeyPair key, const SigningPublicKey& trust_root) {
  Identity id;
  id.cert = Certificate::anonymous(key);
  id.key = std::move(key);
  id.trust_root = trust_root;
  return id;
}

}  // namespace kettle::crypto
