// Per-direction packet protection. AES-256-GCM where the CPU has AES-NI+PCLMUL
// (≈1.2 GB/s per core here), ChaCha20-Poly1305-IETF otherwise (≈0.7 GB/s). The
// nonce is the 12-byte IV XOR the 64-bit packet number (little-endian in the last
// 8 bytes), so a nonce is never reused under one key as long as packet numbers
// never repeat (the transport guarantees that). Details: docs/protocol.md §3.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/keys.hpp"

namespace kettle::crypto {

enum class Suite : std::uint8_t { chacha20poly1305 = 1, aes256gcm = 2 };

// Bitmask of suites this machine can run: bit (1 << Suite value). AES only with hardware support.
std::uint8_t supported_suites();
// The preferred suite among a bitmask offered by the peer and ours (AES first), or error unsupported.
Result<Suite> choose_suite(std::uint8_t offered);

class PacketKey {
 public:
  static constexpr std::size_t kTagSize = 16;
  static constexpr std::size_t kKeySize = 32;

  // `key` is the 32-byte direction key from the key exchange; the AEAD key and IV
  // are derived from it (docs/protocol.md §3.2).
  PacketKey(Suite suite, std::span<const std::uint8_t, kKeySize> key);
  ~PacketKey();
  PacketKey(PacketKey&&) noexcept;
  PacketKey& operator=(PacketKey&&) noexcept;

  Suite suite() const noexcept;

  // Encrypts buf[0, plaintext_len) in place and appends the tag, so buf must hold
  // plaintext_len + kTagSize bytes. Returns the ciphertext length.
  std::size_t seal(std::uint64_t packet_number, Bytes aad, MutBytes buf, std::size_t plaintext_len) const;
  // Decrypts in place; returns the plaintext length. Error: auth_failed (tag
  // mismatch, or buf shorter than a tag). buf is garbage after a failure.
  Result<std::size_t> open(std::uint64_t packet_number, Bytes aad, MutBytes buf) const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

struct SessionKeys {
  PacketKey tx;  // seals what we send
  PacketKey rx;  // opens what we receive
};

// crypto_kx: initiator = kx "client", responder = kx "server". Error: auth_failed
// when the peer's public key is weak (libsodium rejects it).
Result<SessionKeys> derive_initiator_keys(Suite suite, const KxKeyPair& mine,
                                          std::span<const std::uint8_t, 32> responder_pub);
Result<SessionKeys> derive_responder_keys(Suite suite, const KxKeyPair& mine,
                                          std::span<const std::uint8_t, 32> initiator_pub);

}  // namespace kettle::crypto
