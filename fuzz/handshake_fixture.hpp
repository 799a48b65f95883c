// Fixed, deterministic identities shared by fuzz/handshake.cpp and the seed
// generator (tests/crypto/make_handshake_corpus.cpp), so checked-in seeds stay
// valid HELLO/WELCOME messages for the fuzz target: Ed25519 and crypto_kx key
// pairs come from constant seeds, and certificates never expire before kNow.
#pragma once

#include <array>
#include <cstdint>

#include "core/address.hpp"
#include "crypto/certificate.hpp"
#include "crypto/handshake.hpp"

namespace kettle::fuzz {

inline constexpr std::uint64_t kNow = 1'800'000'000;
inline constexpr std::uint64_t kExpiry = 4'000'000'000;
inline constexpr std::uint32_t kInitiatorConnId = 0x0A0B0C0D;
inline constexpr std::uint32_t kResponderConnId = 0x01020304;

inline std::array<std::uint8_t, 32> seed_of(std::uint8_t tag) {
  std::array<std::uint8_t, 32> s{};
  s.fill(tag);
  return s;
}

struct HandshakeFixture {
  crypto::SigningKeyPair root = crypto::SigningKeyPair::from_seed(seed_of(1));
  crypto::Identity initiator_id = make_identity(2, 1);
  crypto::Identity responder_id = make_identity(3, 2);
  Address initiator_addr = Address::loopback_v4(27015);

  // A fresh initiator in its starting state (fixed ephemeral key, so its HELLO is constant).
  crypto::HandshakeInitiator initiator() const {
    return crypto::HandshakeInitiator(initiator_id, kInitiatorConnId, crypto::KxKeyPair::from_seed(seed_of(4)));
  }

 private:
  crypto::Identity make_identity(std::uint8_t seed_tag, std::uint32_t account) const {
    crypto::Identity id;
    id.key = crypto::SigningKeyPair::from_seed(seed_of(seed_tag));
    id.cert = crypto::Certificate::issue(root, SteamID::individual(account), 480, id.key.pub, kExpiry);
    id.trust_root = root.pub;
    return id;
  }
};

}  // namespace kettle::fuzz
