// Identity keys (Ed25519) and ephemeral key-exchange keys (X25519 via crypto_kx).
// Secret material lives in SecretBytes, which wipes itself (sodium_memzero) on destruction.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace kettle::crypto {

// sodium_init(); safe to call many times and from many threads. Every other
// function in this layer assumes it has succeeded.
Status init();

// sodium_memzero: a wipe the optimizer may not elide. Kept out of line so this
// header does not pull in <sodium.h>.
void secure_wipe(MutBytes bytes) noexcept;

template <std::size_t N>
struct SecretBytes {
  std::array<std::uint8_t, N> bytes{};
  SecretBytes() = default;
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes&) = default;
  ~SecretBytes() { secure_wipe(bytes); }
};

// Ed25519 public key (identity / certificate issuer).
struct SigningPublicKey {
  std::array<std::uint8_t, 32> bytes{};
  std::string to_hex() const;  // 64 lowercase hex characters
  // Accepts upper or lower case. Error invalid_argument (names the length or the
  // offending character and its position).
  static Result<SigningPublicKey> from_hex(std::string_view hex);
  friend bool operator==(const SigningPublicKey&, const SigningPublicKey&) = default;
};

using Signature = std::array<std::uint8_t, 64>;

struct SigningKeyPair {
  SigningPublicKey pub;
  SecretBytes<64> secret;  // libsodium's Ed25519 secret key (seed || public key)

  static SigningKeyPair generate();
  static SigningKeyPair from_seed(std::span<const std::uint8_t, 32> seed);
  Signature sign(Bytes message) const;
};

bool verify_signature(const SigningPublicKey& key, Bytes message, const Signature& sig);

// Ephemeral X25519 key pair for crypto_kx; a fresh one per handshake (forward secrecy).
struct KxKeyPair {
  std::array<std::uint8_t, 32> pub{};
  SecretBytes<32> secret;
  static KxKeyPair generate();
  // Deterministic key pair (crypto_kx_seed_keypair): only for fixtures and fuzz seeds.
  static KxKeyPair from_seed(std::span<const std::uint8_t, 32> seed);
};

// Fill with cryptographically secure random bytes (randombytes_buf).
void random_bytes(MutBytes out);
std::uint64_t random_u64();

}  // namespace kettle::crypto
