#include "crypto/aead.hpp"

#include <sodium.h>

#include <cassert>
#include <cstring>
#include <string_view>

namespace kettle::crypto {

namespace {

constexpr std::size_t kIvSize = 12;
constexpr std::string_view kKeyLabel = "kettle aead key";
constexpr std::string_view kIvLabel = "kettle aead iv";

constexpr std::uint8_t bit(Suite s) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(s)); }

static_assert(crypto_aead_aes256gcm_KEYBYTES == 32 && crypto_aead_aes256gcm_NPUBBYTES == kIvSize &&
              crypto_aead_aes256gcm_ABYTES == PacketKey::kTagSize);
static_assert(crypto_aead_chacha20poly1305_IETF_KEYBYTES == 32 &&
              crypto_aead_chacha20poly1305_IETF_NPUBBYTES == kIvSize &&
              crypto_aead_chacha20poly1305_IETF_ABYTES == PacketKey::kTagSize);

// BLAKE2b-256 keyed with the kx direction key over a label (docs/protocol.md §3.2).
void derive(std::span<const std::uint8_t, 32> kx_key, std::string_view label, std::uint8_t out[32]) {
  crypto_generichash(out, 32, reinterpret_cast<const unsigned char*>(label.data()), label.size(), kx_key.data(),
                     kx_key.size());
}

}  // namespace

// The AES state is 512 opaque bytes that libsodium requires 16-byte aligned;
// the type carries CRYPTO_ALIGN(16), and C++17 aligned new honours it through
// make_unique. ChaCha has no precomputation, so it keeps the raw key.
struct PacketKey::State {
  crypto_aead_aes256gcm_state aes;
  std::uint8_t chacha_key[32];
  std::uint8_t iv[kIvSize];
  Suite suite;

  // iv XOR (4 zero bytes || packet_number little-endian)
  void nonce(std::uint64_t pn, std::uint8_t out[kIvSize]) const noexcept {
    std::memcpy(out, iv, kIvSize);
    for (int i = 0; i < 8; ++i) out[4 + i] ^= static_cast<std::uint8_t>(pn >> (8 * i));
  }
};
static_assert(alignof(crypto_aead_aes256gcm_state) >= 16);

std::uint8_t supported_suites() {
  (void)init();
  std::uint8_t mask = bit(Suite::chacha20poly1305);
  if (crypto_aead_aes256gcm_is_available()) mask |= bit(Suite::aes256gcm);
  return mask;
}

Result<Suite> choose_suite(std::uint8_t offered) {
  const std::uint8_t common = offered & supported_suites();
  if (common & bit(Suite::aes256gcm)) return Suite::aes256gcm;  // hardware AES is faster and constant-time
  if (common & bit(Suite::chacha20poly1305)) return Suite::chacha20poly1305;
  return make_error(Errc::unsupported, "no common AEAD suite (offered mask " + std::to_string(offered) + ")");
}

PacketKey::PacketKey(Suite suite, std::span<const std::uint8_t, kKeySize> key) : s_(std::make_unique<State>()) {
  (void)init();
  assert(reinterpret_cast<std::uintptr_t>(&s_->aes) % 16 == 0);
  s_->suite = suite;
  std::uint8_t aead_key[32];
  derive(key, kKeyLabel, aead_key);
  std::uint8_t iv_full[32];
  derive(key, kIvLabel, iv_full);
  std::memcpy(s_->iv, iv_full, kIvSize);
  if (suite == Suite::aes256gcm) {
    assert(crypto_aead_aes256gcm_is_available() && "AES-256-GCM needs AES-NI; negotiate with choose_suite");
    crypto_aead_aes256gcm_beforenm(&s_->aes, aead_key);
  } else {
    std::memcpy(s_->chacha_key, aead_key, sizeof aead_key);
  }
  sodium_memzero(aead_key, sizeof aead_key);
  sodium_memzero(iv_full, sizeof iv_full);
}

PacketKey::~PacketKey() {
  if (s_) sodium_memzero(s_.get(), sizeof(State));
}
PacketKey::PacketKey(PacketKey&&) noexcept = default;
PacketKey& PacketKey::operator=(PacketKey&& other) noexcept {
  if (this != &other) {
    if (s_) sodium_memzero(s_.get(), sizeof(State));
    s_ = std::move(other.s_);
  }
  return *this;
}

Suite PacketKey::suite() const noexcept { return s_->suite; }

std::size_t PacketKey::seal(std::uint64_t packet_number, Bytes aad, MutBytes buf, std::size_t plaintext_len) const {
  assert(s_ && "PacketKey used after move");
  assert(plaintext_len <= buf.size() && buf.size() - plaintext_len >= kTagSize);
  if (plaintext_len > buf.size() || buf.size() - plaintext_len < kTagSize) return 0;
  std::uint8_t nonce[kIvSize];
  s_->nonce(packet_number, nonce);
  std::uint8_t* p = buf.data();
  std::uint8_t* tag = p + plaintext_len;
  if (s_->suite == Suite::aes256gcm) {
    crypto_aead_aes256gcm_encrypt_detached_afternm(p, tag, nullptr, p, plaintext_len, aad.data(), aad.size(), nullptr,
                                                   nonce, &s_->aes);
  } else {
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(p, tag, nullptr, p, plaintext_len, aad.data(), aad.size(),
                                                       nullptr, nonce, s_->chacha_key);
  }
  return plaintext_len + kTagSize;
}

Result<std::size_t> PacketKey::open(std::uint64_t packet_number, Bytes aad, MutBytes buf) const {
  assert(s_ && "PacketKey used after move");
  // Messages on this path stay within std::string's inline buffer (15 chars): a
  // flood of forged packets must not cost a heap allocation each.
  if (buf.size() < kTagSize) return make_error(Errc::auth_failed, "aead: no tag");
  const std::size_t len = buf.size() - kTagSize;
  std::uint8_t nonce[kIvSize];
  s_->nonce(packet_number, nonce);
  std::uint8_t* p = buf.data();
  const std::uint8_t* tag = p + len;
  int rc;
  if (s_->suite == Suite::aes256gcm) {
    rc = crypto_aead_aes256gcm_decrypt_detached_afternm(p, nullptr, p, len, tag, aad.data(), aad.size(), nonce,
                                                        &s_->aes);
  } else {
    rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(p, nullptr, p, len, tag, aad.data(), aad.size(), nonce,
                                                            s_->chacha_key);
  }
  if (rc != 0) return make_error(Errc::auth_failed, "aead: bad tag");
  return len;
}

namespace {
SessionKeys make_keys(Suite suite, const std::uint8_t rx[32], const std::uint8_t tx[32]) {
  return SessionKeys{PacketKey(suite, std::span<const std::uint8_t, 32>(tx, 32)),
                     PacketKey(suite, std::span<const std::uint8_t, 32>(rx, 32))};
}
}  // namespace

Result<SessionKeys> derive_initiator_keys(Suite suite, const KxKeyPair& mine,
                                          std::span<const std::uint8_t, 32> responder_pub) {
  SecretBytes<32> rx, tx;
  if (crypto_kx_client_session_keys(rx.bytes.data(), tx.bytes.data(), mine.pub.data(), mine.secret.bytes.data(),
                                    responder_pub.data()) != 0) {
    return make_error(Errc::auth_failed, "kx: responder public key rejected");
  }
  return make_keys(suite, rx.bytes.data(), tx.bytes.data());
}

Result<SessionKeys> derive_responder_keys(Suite suite, const KxKeyPair& mine,
                                          std::span<const std::uint8_t, 32> initiator_pub) {
  SecretBytes<32> rx, tx;
  if (crypto_kx_server_session_keys(rx.bytes.data(), tx.bytes.data(), mine.pub.data(), mine.secret.bytes.data(),
                                    initiator_pub.data()) != 0) {
    return make_error(Errc::auth_failed, "kx: initiator public key rejected");
  }
  return make_keys(suite, rx.bytes.data(), tx.bytes.data());
}

}  // namespace kettle::crypto
