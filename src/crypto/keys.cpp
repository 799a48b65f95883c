#include "crypto/keys.hpp"

#include <sodium.h>

#include <cassert>

namespace kettle::crypto {

Status init() {
  // A function-local static makes the first call thread-safe; sodium_init itself
  // is idempotent, but this also caches a failure so callers see it every time.
  static const int rc = sodium_init();
  if (rc < 0) return make_error(Errc::internal, "sodium_init failed");
  return {};
}

void secure_wipe(MutBytes bytes) noexcept {
  if (!bytes.empty()) sodium_memzero(bytes.data(), bytes.size());
}

std::string SigningPublicKey::to_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

namespace {
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Result<SigningPublicKey> SigningPublicKey::from_hex(std::string_view hex) {
  SigningPublicKey key;
  if (hex.size() != key.bytes.size() * 2) {
    return make_error(Errc::invalid_argument,
                      "public key: expected 64 hex characters, got " + std::to_string(hex.size()));
  }
  for (std::size_t i = 0; i < hex.size(); ++i) {
    if (hex_value(hex[i]) < 0) {
      return make_error(Errc::invalid_argument, "public key: invalid hex character at position " + std::to_string(i));
    }
  }
  for (std::size_t i = 0; i < key.bytes.size(); ++i) {
    key.bytes[i] = static_cast<std::uint8_t>(hex_value(hex[2 * i]) << 4 | hex_value(hex[2 * i + 1]));
  }
  return key;
}

SigningKeyPair SigningKeyPair::generate() {
  (void)init();
  SigningKeyPair kp;
  crypto_sign_keypair(kp.pub.bytes.data(), kp.secret.bytes.data());
  return kp;
}

SigningKeyPair SigningKeyPair::from_seed(std::span<const std::uint8_t, 32> seed) {
  (void)init();
  SigningKeyPair kp;
  crypto_sign_seed_keypair(kp.pub.bytes.data(), kp.secret.bytes.data(), seed.data());
  return kp;
}

Signature SigningKeyPair::sign(Bytes message) const {
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret.bytes.data());
  return sig;
}

bool verify_signature(const SigningPublicKey& key, Bytes message, const Signature& sig) {
  return crypto_sign_verify_detached(sig.data(), message.data(), message.size(), key.bytes.data()) == 0;
}

KxKeyPair KxKeyPair::generate() {
  (void)init();
  KxKeyPair kp;
  crypto_kx_keypair(kp.pub.data(), kp.secret.bytes.data());
  return kp;
}

KxKeyPair KxKeyPair::from_seed(std::span<const std::uint8_t, 32> seed) {
  (void)init();
  KxKeyPair kp;
  crypto_kx_seed_keypair(kp.pub.data(), kp.secret.bytes.data(), seed.data());
  return kp;
}

void random_bytes(MutBytes out) {
  (void)init();
  if (!out.empty()) randombytes_buf(out.data(), out.size());
}

std::uint64_t random_u64() {
  std::array<std::uint8_t, 8> b{};
  random_bytes(b);
  return load_le64(b.data());
}

static_assert(crypto_sign_PUBLICKEYBYTES == 32 && crypto_sign_SECRETKEYBYTES == 64 && crypto_sign_BYTES == 64);
static_assert(crypto_kx_PUBLICKEYBYTES == 32 && crypto_kx_SECRETKEYBYTES == 32 && crypto_kx_SEEDBYTES == 32);

}  // namespace kettle::crypto
