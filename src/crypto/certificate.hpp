// A certificate binds {steam_id, app_id, identity public key, expiry} with the
// issuer's Ed25519 signature. kettle-server issues them at login; peers check
// each other's during the handshake against the pinned server key. Wire layout
// in docs/protocol.md §2.
#pragma once

#include <cstdint>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/steam_id.hpp"
#include "crypto/keys.hpp"

namespace kettle::crypto {

struct Certificate {
  static constexpr std::uint8_t kVersion = 1;
  // version(1) steam_id(8) app_id(4) public_key(32) expiry_unix_s(8) signature(64)
  static constexpr std::size_t kEncodedSize = 1 + 8 + 4 + 32 + 8 + 64;

  SteamID steam_id;
  std::uint32_t app_id = 0;
  SigningPublicKey public_key;  // the subject's identity key
  std::uint64_t expiry_unix_s = 0;
  Signature signature{};

  static Certificate issue(const SigningKeyPair& issuer, SteamID steam_id, std::uint32_t app_id,
                           const SigningPublicKey& subject, std::uint64_t expiry_unix_s);
  // A key that has not logged in yet: steam_id 0, app_id 0, never expires, signed by the key
  // itself. Only a responder that allows anonymous peers (kettle-server's login port) accepts
  // it, and it proves nothing but possession of the key, which the HELLO signature shows
  // (docs/protocol.md §2.1).
  static Certificate anonymous(const SigningKeyPair& key);
  bool is_anonymous() const noexcept { return steam_id.value() == 0; }

  // Errors: auth_failed (bad signature), expired (now >= expiry).
  Status verify(const SigningPublicKey& issuer, std::uint64_t now_unix_s) const;

  void encode(ByteWriter& w) const;
  // Errors: truncated, unsupported (version). Does not verify the signature.
  static Result<Certificate> decode(ByteReader& r);
};

// What one endpoint needs to authenticate itself and its peers.
struct Identity {
  Certificate cert;
  SigningKeyPair key;           // cert.public_key == key.pub
  SigningPublicKey trust_root;  // issuer whose signature peers' certificates must carry

  // A self-contained identity for tests/LAN: issue a certificate for `steam_id`
  // signed by `root`.
  static Identity make(const SigningKeyPair& root, SteamID steam_id, std::uint32_t app_id, std::uint64_t expiry_unix_s);
  // `key` with an anonymous certificate, trusting `trust_root` (the server key a client pins).
  static Identity anonymous(SigningKeyPair key, const SigningPublicKey& trust_root);
};

}  // namespace kettle::crypto
