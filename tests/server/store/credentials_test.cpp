#include "server/store/credentials.hpp"

#include <gtest/gtest.h>

#include <set>

namespace kettle::server {
namespace {

TEST(Credentials, PasswordHashVerifies) {
  auto h = hash_password("correct horse battery staple");
  ASSERT_TRUE(h.ok()) << h.error().to_string();
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u) << *h;
  EXPECT_TRUE(verify_password(*h, "correct horse battery staple"));
  EXPECT_FALSE(verify_password(*h, "correct horse battery stapl"));
  EXPECT_FALSE(verify_password(*h, ""));
  EXPECT_FALSE(password_needs_rehash(*h));
  // Salted: the same password hashes differently each time, and both verify.
  auto h2 = hash_password("correct horse battery staple");
  ASSERT_TRUE(h2.ok());
  EXPECT_NE(*h, *h2);
  EXPECT_TRUE(verify_password(*h2, "correct horse battery staple"));
}

TEST(Credentials, BadInputIsRefusedNotCrashed) {
  EXPECT_EQ(hash_password("").code(), Errc::invalid_argument);
  EXPECT_EQ(hash_password(std::string(1025, 'p')).code(), Errc::invalid_argument);
  EXPECT_FALSE(verify_password("", "x"));
  EXPECT_FALSE(verify_password("not a hash", "x"));
  EXPECT_FALSE(verify_password(std::string(1000, '$'), "x"));
  EXPECT_TRUE(password_needs_rehash("garbage"));
}

TEST(Credentials, TokensAreRandomAndWellFormed) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string t = generate_token();
    ASSERT_EQ(t.size(), 3u + 43u) << t;
    EXPECT_EQ(t.rfind("kt_", 0), 0u);
    for (char c : t.substr(3)) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << t;
    }
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Credentials, TokenHashIsStableBlake2b256Hex) {
  // python3 -c "import hashlib; print(hashlib.blake2b(b'kt_test', digest_size=32).hexdigest())"
  EXPECT_EQ(hash_token("kt_test"), "72f639ed07592e94611a386280766fe303aba1663775bb078d722c96a57219eb");
  EXPECT_EQ(hash_token("kt_test"), hash_token("kt_test"));
  EXPECT_NE(hash_token("kt_test"), hash_token("kt_tesu"));
  const std::string t = generate_token();
  EXPECT_EQ(hash_token(t).size(), 64u);
}

}  // namespace
}  // namespace kettle::server
