// Stateless address-validation cookies (the responder keeps no per-request
// state). A cookie is {issued_unix_s u64, MAC 16 bytes} where MAC =
// BLAKE2b-128 keyed with a rotating secret over (address key bytes, initiator
// ephemeral public key, issued_unix_s). Valid for kLifetimeS; the previous
// secret is kept one rotation so cookies survive a rotation.
#pragma once

#include <array>
#include <cstdint>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/keys.hpp"

namespace kettle::crypto {

class CookieJar {
 public:
  static constexpr std::size_t kSize = 8 + 16;
  static constexpr std::uint64_t kLifetimeS = 30;
  static constexpr std::uint64_t kRotateS = 60;
  using Cookie = std::array<std::uint8_t, kSize>;

  CookieJar();  // random secrets

  // `context` = address key bytes || initiator ephemeral public key.
  Cookie make(Bytes context, std::uint64_t now_unix_s);
  // Errors: auth_failed (wrong MAC / wrong size), expired.
  Status check(Bytes cookie, Bytes context, std::uint64_t now_unix_s);

 private:
  void rotate_if_due(std::uint64_t now_unix_s);
  SecretBytes<32> current_, previous_;
  std::uint64_t rotated_at_s_ = 0;
};

}  // namespace kettle::crypto
