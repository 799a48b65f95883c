#include "crypto/keys.hpp"

#include <gtest/gtest.h>

namespace kettle::crypto {
namespace {

TEST(Keys, InitIsIdempotent) {
  ASSERT_TRUE(init().ok());
  ASSERT_TRUE(init().ok());
}

TEST(Keys, SignVerifyAndTamper) {
  const auto kp = SigningKeyPair::generate();
  const std::array<std::uint8_t, 5> msg{1, 2, 3, 4, 5};
  const Signature sig = kp.sign(msg);
  EXPECT_TRUE(verify_signature(kp.pub, msg, sig));

  auto bad_msg = msg;
  bad_msg[2] ^= 1;
  EXPECT_FALSE(verify_signature(kp.pub, bad_msg, sig));
  auto bad_sig = sig;
  bad_sig[10] ^= 0x80;
  EXPECT_FALSE(verify_signature(kp.pub, msg, bad_sig));
  EXPECT_FALSE(verify_signature(SigningKeyPair::generate().pub, msg, sig));
}

TEST(Keys, FromSeedIsDeterministic) {
  std::array<std::uint8_t, 32> seed{};
  seed[0] = 7;
  const auto a = SigningKeyPair::from_seed(seed);
  const auto b = SigningKeyPair::from_seed(seed);
  EXPECT_EQ(a.pub, b.pub);
  EXPECT_EQ(a.secret.bytes, b.secret.bytes);
  seed[0] = 8;
  EXPECT_NE(SigningKeyPair::from_seed(seed).pub, a.pub);
  EXPECT_EQ(KxKeyPair::from_seed(seed).pub, KxKeyPair::from_seed(seed).pub);
}

TEST(Keys, HexRoundTripIsLowercase64) {
  const auto kp = SigningKeyPair::generate();
  const std::string hex = kp.pub.to_hex();
  ASSERT_EQ(hex.size(), 64u);
  for (char c : hex) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << hex;
  auto back = SigningPublicKey::from_hex(hex);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, kp.pub);
}

TEST(Keys, HexKnownValueAndUppercase) {
  SigningPublicKey k;
  for (std::size_t i = 0; i < 32; ++i) k.bytes[i] = static_cast<std::uint8_t>(i * 8 + 1);
  EXPECT_EQ(k.to_hex().substr(0, 8), "01091119");
  std::string upper = k.to_hex();
  for (auto& c : upper) c = static_cast<char>(std::toupper(c));
  auto back = SigningPublicKey::from_hex(upper);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, k);
}

TEST(Keys, HexRejectsWrongLengthAndCharacters) {
  const std::string good(64, 'a');
  auto short_r = SigningPublicKey::from_hex(good.substr(1));
  ASSERT_FALSE(short_r.ok());
  EXPECT_EQ(short_r.code(), Errc::invalid_argument);
  EXPECT_NE(short_r.error().message.find("63"), std::string::npos) << short_r.error().message;
  EXPECT_EQ(SigningPublicKey::from_hex(good + "a").code(), Errc::invalid_argument);
  EXPECT_EQ(SigningPublicKey::from_hex("").code(), Errc::invalid_argument);

  std::string bad = good;
  bad[17] = 'g';
  auto r = SigningPublicKey::from_hex(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::invalid_argument);
  EXPECT_NE(r.error().message.find("17"), std::string::npos) << r.error().message;
}

TEST(Keys, SecretBytesWipesOnDestruction) {
  alignas(SecretBytes<32>) unsigned char storage[sizeof(SecretBytes<32>)];
  auto* s = new (storage) SecretBytes<32>();
  s->bytes.fill(0xAB);
  s->~SecretBytes();
  for (unsigned char b : storage) EXPECT_EQ(b, 0);
}

TEST(Keys, KxKeyPairsDiffer) {
  const auto a = KxKeyPair::generate();
  const auto b = KxKeyPair::generate();
  EXPECT_NE(a.pub, b.pub);
  EXPECT_NE(random_u64(), random_u64());  // 2^-64 false failure
}

}  // namespace
}  // namespace kettle::crypto
