#include "server/store/credentials.hpp"

#include <sodium.h>

#include <array>
#include <cstdlib>

#include "control/messages.hpp"

namespace kettle::server {
namespace {

void ensure_sodium() {
  // sodium_init() is idempotent and thread-safe, but a static keeps it off the hot path.
  static const int rc = sodium_init();
  if (rc < 0) std::abort();  // no usable randomness: nothing sensible to continue with
}

}  // namespace

Result<std::string> hash_password(std::string_view password) {
  ensure_sodium();
  if (password.empty()) return make_error(Errc::invalid_argument, "password is empty");
  if (password.size() > control::kMaxSecretBytes) {
    return make_error(Errc::invalid_argument,
                      "password is longer than " + std::to_string(control::kMaxSecretBytes) + " bytes");
  }
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return make_error(Errc::internal, "crypto_pwhash_str failed (out of memory?)");
  }
  return std::string(out.data());
}

bool verify_password(std::string_view hash, std::string_view password) {
  ensure_sodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  if (password.size() > control::kMaxSecretBytes) return false;
  const std::string h(hash);  // crypto_pwhash_str_verify wants a NUL-terminated string
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

bool password_needs_rehash(std::string_view hash) {
  ensure_sodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return true;
  const std::string h(hash);
  return crypto_pwhash_str_needs_rehash(h.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
}

std::string generate_token() {
  ensure_sodium();
  std::array<unsigned char, 32> raw{};
  randombytes_buf(raw.data(), raw.size());
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::array<char, sodium_base64_ENCODED_LEN(32, kVariant)> b64{};
  sodium_bin2base64(b64.data(), b64.size(), raw.data(), raw.size(), kVariant);
  sodium_memzero(raw.data(), raw.size());
  std::string token(kTokenPrefix);
  token += b64.data();
  sodium_memzero(b64.data(), b64.size());
  return token;
}

std::string hash_token(std::string_view token) {
  ensure_sodium();
  std::array<unsigned char, crypto_generichash_BYTES> digest{};  // 32 bytes: BLAKE2b-256
  crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     nullptr, 0);
  std::array<char, crypto_generichash_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return std::string(hex.data());
}

}  // namespace kettle::server
