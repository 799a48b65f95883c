#include "crypto/cookie.hpp"

#include <gtest/gtest.h>

namespace kettle::crypto {
namespace {

constexpr std::uint64_t kT0 = 1'800'000'000;

std::array<std::uint8_t, 51> context(std::uint8_t addr_byte) {
  std::array<std::uint8_t, 51> c{};
  c.fill(0x11);
  c[3] = addr_byte;
  return c;
}

TEST(Cookie, ValidWithinLifetime) {
  CookieJar jar;
  const auto cookie = jar.make(context(1), kT0);
  EXPECT_EQ(load_le64(cookie.data()), kT0);
  EXPECT_TRUE(jar.check(cookie, context(1), kT0).ok());
  EXPECT_TRUE(jar.check(cookie, context(1), kT0 + CookieJar::kLifetimeS - 1).ok());
}

TEST(Cookie, ExpiresAtLifetime) {
  CookieJar jar;
  const auto cookie = jar.make(context(1), kT0);
  EXPECT_EQ(jar.check(cookie, context(1), kT0 + CookieJar::kLifetimeS).code(), Errc::expired);
  CookieJar jar2;
  const auto future = jar2.make(context(1), kT0 + 10);
  EXPECT_EQ(jar2.check(future, context(1), kT0 + 5).code(), Errc::expired);  // clock stepped back
}

TEST(Cookie, WrongContextFails) {
  CookieJar jar;
  const auto cookie = jar.make(context(1), kT0);
  EXPECT_EQ(jar.check(cookie, context(2), kT0 + 1).code(), Errc::auth_failed);
  auto ctx = context(1);
  ctx[50] ^= 1;  // different ephemeral key
  EXPECT_EQ(jar.check(cookie, ctx, kT0 + 1).code(), Errc::auth_failed);
}

TEST(Cookie, TamperedOrWrongSizeFails) {
  CookieJar jar;
  const auto cookie = jar.make(context(1), kT0);
  for (std::size_t i = 0; i < cookie.size(); ++i) {
    auto bad = cookie;
    bad[i] ^= 0x40;
    EXPECT_EQ(jar.check(bad, context(1), kT0 + 1).code(), Errc::auth_failed) << "byte " << i;
  }
  EXPECT_EQ(jar.check(Bytes(cookie).first(23), context(1), kT0).code(), Errc::auth_failed);
  EXPECT_EQ(jar.check({}, context(1), kT0).code(), Errc::auth_failed);
}

TEST(Cookie, OtherJarRejects) {
  CookieJar a, b;
  EXPECT_EQ(b.check(a.make(context(1), kT0), context(1), kT0).code(), Errc::auth_failed);
}

TEST(Cookie, SurvivesOneRotationNotTwo) {
  CookieJar jar;
  jar.make(context(9), kT0);  // starts the rotation clock at kT0
  const std::uint64_t issued = kT0 + CookieJar::kRotateS - 5;
  const auto cookie = jar.make(context(1), issued);
  // This check rotates (now >= kT0 + kRotateS): the cookie is now under the previous secret.
  EXPECT_TRUE(jar.check(cookie, context(1), kT0 + CookieJar::kRotateS).ok());
  // A fresh cookie is under the new secret.
  const auto fresh = jar.make(context(1), kT0 + CookieJar::kRotateS);
  EXPECT_TRUE(jar.check(fresh, context(1), kT0 + CookieJar::kRotateS + 1).ok());
  // Two rotations later the old secret is gone: MAC no longer verifies, not merely expired.
  jar.make(context(9), kT0 + 2 * CookieJar::kRotateS);
  EXPECT_EQ(jar.check(cookie, context(1), kT0 + 3 * CookieJar::kRotateS).code(), Errc::auth_failed);
}

}  // namespace
}  // namespace kettle::crypto
