#include "crypto/certificate.hpp"

#include <gtest/gtest.h>

namespace kettle::crypto {
namespace {

constexpr std::uint64_t kExpiry = 1'900'000'000;

struct CertFixture : ::testing::Test {
  SigningKeyPair root = SigningKeyPair::generate();
  SigningKeyPair subject = SigningKeyPair::generate();
  Certificate cert = Certificate::issue(root, SteamID::individual(42), 480, subject.pub, kExpiry);

  std::array<std::uint8_t, Certificate::kEncodedSize> encode() const {
    std::array<std::uint8_t, Certificate::kEncodedSize> buf{};
    ByteWriter w(buf);
    cert.encode(w);
    EXPECT_TRUE(w.ok());
    EXPECT_EQ(w.size(), Certificate::kEncodedSize);
    return buf;
  }
};

TEST_F(CertFixture, EncodesTheDocumentedLayout) {
  const auto buf = encode();
  EXPECT_EQ(buf[0], 1);                                                   // version
  EXPECT_EQ(load_le64(buf.data() + 1), SteamID::individual(42).value());  // steam_id
  EXPECT_EQ(load_le32(buf.data() + 9), 480u);                             // app_id
  EXPECT_TRUE(std::equal(subject.pub.bytes.begin(), subject.pub.bytes.end(), buf.begin() + 13));
  EXPECT_EQ(load_le64(buf.data() + 45), kExpiry);
  EXPECT_TRUE(std::equal(cert.signature.begin(), cert.signature.end(), buf.begin() + 53));
}

TEST_F(CertFixture, SignatureCoversDomainSeparatedPrefix) {
  // Recompute the signed message independently: "kettle cert v1" || first 53 bytes.
  const auto buf = encode();
  const Bytes domain = as_bytes("kettle cert v1");
  std::vector<std::uint8_t> msg(domain.begin(), domain.end());
  msg.insert(msg.end(), buf.begin(), buf.begin() + 53);
  EXPECT_TRUE(verify_signature(root.pub, msg, cert.signature));
}

TEST_F(CertFixture, RoundTrip) {
  const auto buf = encode();
  ByteReader r(buf);
  auto back = Certificate::decode(r);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(back->steam_id, cert.steam_id);
  EXPECT_EQ(back->app_id, cert.app_id);
  EXPECT_EQ(back->public_key, cert.public_key);
  EXPECT_EQ(back->expiry_unix_s, cert.expiry_unix_s);
  EXPECT_EQ(back->signature, cert.signature);
  EXPECT_TRUE(back->verify(root.pub, kExpiry - 100).ok());
}

TEST_F(CertFixture, TamperingAnyByteFailsAuthentication) {
  const auto good = encode();
  for (std::size_t i = 1; i < good.size(); ++i) {  // byte 0 is the version: decode rejects it
    auto buf = good;
    buf[i] ^= 0x01;
    ByteReader r(buf);
    auto c = Certificate::decode(r);
    ASSERT_TRUE(c.ok()) << "byte " << i;
    EXPECT_EQ(c->verify(root.pub, kExpiry - 1).code(), Errc::auth_failed) << "byte " << i;
  }
  auto buf = good;
  buf[0] = 2;
  ByteReader r(buf);
  EXPECT_EQ(Certificate::decode(r).code(), Errc::unsupported);
}

TEST_F(CertFixture, WrongIssuerFails) { EXPECT_EQ(cert.verify(subject.pub, kExpiry - 1).code(), Errc::auth_failed); }

TEST_F(CertFixture, ExpiryBoundary) {
  EXPECT_TRUE(cert.verify(root.pub, kExpiry - 1).ok());
  EXPECT_EQ(cert.verify(root.pub, kExpiry).code(), Errc::expired);
  EXPECT_EQ(cert.verify(root.pub, kExpiry + 1).code(), Errc::expired);
}

TEST_F(CertFixture, TruncatedInput) {
  const auto buf = encode();
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{52}, Certificate::kEncodedSize - 1}) {
    ByteReader r(Bytes(buf).first(n));
    EXPECT_EQ(Certificate::decode(r).code(), Errc::truncated) << n;
  }
}

TEST(Identity, MakeIssuesAVerifiableCertificate) {
  const auto root = SigningKeyPair::generate();
  const auto id = Identity::make(root, SteamID::individual(7), 9, kExpiry);
  EXPECT_EQ(id.cert.public_key, id.key.pub);
  EXPECT_EQ(id.trust_root, root.pub);
  EXPECT_EQ(id.cert.steam_id, SteamID::individual(7));
  EXPECT_TRUE(id.cert.verify(root.pub, kExpiry - 1).ok());
}

}  // namespace
}  // namespace kettle::crypto
