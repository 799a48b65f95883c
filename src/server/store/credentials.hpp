// Password hashing and access tokens for kettle-server accounts. Passwords are stored as
// crypto_pwhash_str strings (Argon2id, self-describing: algorithm, limits and salt inside), so
// limits can rise later without a schema change. Tokens are random and shown to the user once;
// the store keeps only their BLAKE2b-256 hash, so a leaked database does not leak logins.
// Never log a password or a token; their hashes are not secret but are not logged either.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace kettle::server {

inline constexpr std::string_view kTokenPrefix = "kt_";

// Argon2id with libsodium's INTERACTIVE limits (~64 MiB, tens of milliseconds): run it on an
// auth worker, not the I/O thread. Errors: invalid_argument (empty, or longer than
// control::kMaxSecretBytes), internal (libsodium failure, e.g. out of memory).
Result<std::string> hash_password(std::string_view password);
// Constant-time with respect to the password; false for a malformed hash.
bool verify_password(std::string_view hash, std::string_view password);
// True if `hash` was made with weaker limits than hash_password uses now (rehash on login).
bool password_needs_rehash(std::string_view hash);

// "kt_" + 43 characters: 32 random bytes, base64url without padding.
std::string generate_token();
// BLAKE2b-256 of the whole token string, lowercase hex (64 characters): what the store keeps.
std::string hash_token(std::string_view token);

}  // namespace kettle::server
