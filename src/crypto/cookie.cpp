#include "crypto/cookie.hpp"

#include <sodium.h>

namespace kettle::crypto {

namespace {

constexpr std::size_t kMacSize = 16;
static_assert(CookieJar::kSize == 8 + kMacSize);
static_assert(crypto_generichash_BYTES_MIN == kMacSize);

// BLAKE2b-128(key = secret, context || issued_unix_s u64 LE)
void mac(const SecretBytes<32>& secret, Bytes context, std::uint64_t issued_unix_s, std::uint8_t out[kMacSize]) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, secret.bytes.data(), secret.bytes.size(), kMacSize);
  crypto_generichash_update(&st, context.data(), context.size());
  std::uint8_t issued[8];
  store_le64(issued, issued_unix_s);
  crypto_generichash_update(&st, issued, sizeof issued);
  crypto_generichash_final(&st, out, kMacSize);
}

}  // namespace

CookieJar::CookieJar() {
  random_bytes(current_.bytes);
  random_bytes(previous_.bytes);
}

void CookieJar::rotate_if_due(std::uint64_t now_unix_s) {
  if (rotated_at_s_ == 0) {  // first use: start the rotation clock, keep the fresh secrets
    rotated_at_s_ = now_unix_s;
    return;
  }
  if (now_unix_s < rotated_at_s_ + kRotateS) return;
  previous_ = current_;
  random_bytes(current_.bytes);
  rotated_at_s_ = now_unix_s;
}

CookieJar::Cookie CookieJar::make(Bytes context, std::uint64_t now_unix_s) {
  rotate_if_due(now_unix_s);
  Cookie c{};
  store_le64(c.data(), now_unix_s);
  mac(current_, context, now_unix_s, c.data() + 8);
  return c;
}

Status CookieJar::check(Bytes cookie, Bytes context, std::uint64_t now_unix_s) {
  rotate_if_due(now_unix_s);
  if (cookie.size() != kSize) return make_error(Errc::auth_failed, "cookie: wrong size");
  const std::uint64_t issued = load_le64(cookie.data());
  std::uint8_t expect[kMacSize];
  // Previous secret too, so a cookie issued just before a rotation still works.
  bool ok = false;
  for (const auto* secret : {&current_, &previous_}) {
    mac(*secret, context, issued, expect);
    if (sodium_memcmp(expect, cookie.data() + 8, kMacSize) == 0) ok = true;
  }
  if (!ok) return make_error(Errc::auth_failed, "cookie: MAC mismatch");
  // Issued in the future means our clock stepped back; don't extend its life.
  if (issued > now_unix_s || now_unix_s - issued >= kLifetimeS) {
    return make_error(Errc::expired, "cookie: issued at " + std::to_string(issued));
  }
  return {};
}

}  // namespace kettle::crypto
