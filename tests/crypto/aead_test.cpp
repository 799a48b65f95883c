#include "crypto/aead.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/rng.hpp"

namespace kettle::crypto {
namespace {

using Key32 = std::array<std::uint8_t, 32>;

Key32 test_key(std::uint8_t base) {
  Key32 k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(base + i);
  return k;
}

std::vector<Suite> available_suites() {
  std::vector<Suite> out{Suite::chacha20poly1305};
  if (supported_suites() & (1u << static_cast<unsigned>(Suite::aes256gcm))) out.push_back(Suite::aes256gcm);
  return out;
}

class AeadSuite : public ::testing::TestWithParam<Suite> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(init().ok());
    if (GetParam() == Suite::aes256gcm && !crypto_aead_aes256gcm_is_available()) {
      GTEST_SKIP() << "no AES-NI on this CPU";  // the chacha instance still runs
    }
  }
};

TEST_P(AeadSuite, RoundTripInPlace) {
  const PacketKey tx(GetParam(), test_key(1));
  const PacketKey rx(GetParam(), test_key(1));
  EXPECT_EQ(tx.suite(), GetParam());
  const std::array<std::uint8_t, 3> aad{9, 9, 9};
  for (std::size_t len : {0u, 1u, 15u, 16u, 17u, 1000u, 1184u}) {
    std::vector<std::uint8_t> plain(len);
    for (std::size_t i = 0; i < len; ++i) plain[i] = static_cast<std::uint8_t>(i * 31 + 7);
    std::vector<std::uint8_t> buf(plain);
    buf.resize(len + PacketKey::kTagSize);
    ASSERT_EQ(tx.seal(42, aad, buf, len), len + PacketKey::kTagSize);
    if (len >= 16) {
      EXPECT_NE(std::memcmp(buf.data(), plain.data(), len), 0);
    }
    auto n = rx.open(42, aad, buf);
    ASSERT_TRUE(n.ok()) << n.error().to_string();
    ASSERT_EQ(*n, len);
    EXPECT_TRUE(std::equal(plain.begin(), plain.end(), buf.begin()));
  }
}

TEST_P(AeadSuite, TamperingFailsAuthentication) {
  const PacketKey key(GetParam(), test_key(3));
  const std::array<std::uint8_t, 4> aad{1, 2, 3, 4};
  std::vector<std::uint8_t> good(100 + PacketKey::kTagSize, 0x5A);
  key.seal(7, aad, good, 100);

  auto expect_fail = [&](std::vector<std::uint8_t> buf, std::uint64_t pn, Bytes a, const char* what) {
    EXPECT_EQ(key.open(pn, a, buf).code(), Errc::auth_failed) << what;
  };
  auto ct = good;
  ct[50] ^= 1;
  expect_fail(ct, 7, aad, "ciphertext");
  auto tag = good;
  tag.back() ^= 0x80;
  expect_fail(tag, 7, aad, "tag");
  auto bad_aad = aad;
  bad_aad[0] ^= 1;
  expect_fail(good, 7, bad_aad, "aad");
  expect_fail(good, 8, aad, "packet number");
  expect_fail(good, 7 + (1ull << 40), aad, "high packet number bits");
  expect_fail(std::vector<std::uint8_t>(good.begin(), good.end() - 1), 7, aad, "truncated");
  expect_fail(std::vector<std::uint8_t>(PacketKey::kTagSize - 1), 7, aad, "shorter than a tag");
  // The untouched packet still opens.
  auto ok = good;
  EXPECT_TRUE(key.open(7, aad, ok).ok());
  // A different direction key can't open it.
  const PacketKey other(GetParam(), test_key(4));
  auto copy = good;
  EXPECT_EQ(other.open(7, aad, copy).code(), Errc::auth_failed);
}

TEST_P(AeadSuite, NonceDiffersPerPacketNumber) {
  const PacketKey key(GetParam(), test_key(5));
  std::array<std::uint8_t, 32 + PacketKey::kTagSize> a{}, b{}, c{};
  key.seal(0, {}, a, 32);
  key.seal(1, {}, b, 32);
  key.seal(1ull << 32, {}, c, 32);
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(b, c);
}

TEST_P(AeadSuite, MovedKeyStillWorks) {
  PacketKey a(GetParam(), test_key(6));
  PacketKey b = std::move(a);
  PacketKey c(Suite::chacha20poly1305, test_key(9));
  c = std::move(b);
  std::array<std::uint8_t, 8 + PacketKey::kTagSize> buf{1, 2, 3, 4, 5, 6, 7, 8};
  c.seal(3, {}, buf, 8);
  const PacketKey fresh(GetParam(), test_key(6));
  ASSERT_TRUE(fresh.open(3, {}, buf).ok());
  EXPECT_EQ(buf[7], 8);
}

// Known answer: the derivation in docs/protocol.md §3.2 recomputed here from
// libsodium's one-shot APIs, not through PacketKey.
TEST_P(AeadSuite, KnownAnswerPinsDerivation) {
  const Key32 kx = test_key(0x40);
  const std::uint64_t pn = 0x0102030405060708ULL;
  const std::array<std::uint8_t, 5> aad{0xA, 0xB, 0xC, 0xD, 0xE};
  std::array<std::uint8_t, 40> plain{};
  for (std::size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<std::uint8_t>(i);

  std::uint8_t aead_key[32], iv_full[32], nonce[12];
  const char* key_label = "kettle aead key";
  const char* iv_label = "kettle aead iv";
  crypto_generichash(aead_key, 32, reinterpret_cast<const unsigned char*>(key_label), std::strlen(key_label), kx.data(),
                     32);
  crypto_generichash(iv_full, 32, reinterpret_cast<const unsigned char*>(iv_label), std::strlen(iv_label), kx.data(),
                     32);
  std::memcpy(nonce, iv_full, 12);
  const std::uint8_t pn_le[8] = {0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
  for (int i = 0; i < 8; ++i) nonce[4 + i] ^= pn_le[i];

  std::array<std::uint8_t, 40 + 16> expected{};
  unsigned long long clen = 0;
  if (GetParam() == Suite::aes256gcm) {
    crypto_aead_aes256gcm_encrypt(expected.data(), &clen, plain.data(), plain.size(), aad.data(), aad.size(), nullptr,
                                  nonce, aead_key);
  } else {
    crypto_aead_chacha20poly1305_ietf_encrypt(expected.data(), &clen, plain.data(), plain.size(), aad.data(),
                                              aad.size(), nullptr, nonce, aead_key);
  }
  ASSERT_EQ(clen, expected.size());

  const PacketKey key(GetParam(), kx);
  std::array<std::uint8_t, 40 + 16> buf{};
  std::memcpy(buf.data(), plain.data(), plain.size());
  key.seal(pn, aad, buf, plain.size());
  EXPECT_EQ(buf, expected);
}

// The byte-exact example of docs/protocol.md §3.5, pinned so the document and the
// code can't drift apart.
TEST_P(AeadSuite, ProtocolDocExample) {
  Key32 kx{};
  for (std::size_t i = 0; i < kx.size(); ++i) kx[i] = static_cast<std::uint8_t>(i);
  const std::array<std::uint8_t, 1> aad{0x04};
  std::array<std::uint8_t, 6 + 16> buf{'k', 'e', 't', 't', 'l', 'e'};
  PacketKey(GetParam(), kx).seal(1, aad, buf, 6);
  const std::array<std::uint8_t, 22> chacha{0x9d, 0xa3, 0xbe, 0x2e, 0xd1, 0xd3, 0x78, 0xbd, 0x4b, 0x8f, 0xce,
                                            0xda, 0xc7, 0xda, 0x6f, 0x00, 0xb0, 0x48, 0x3c, 0x25, 0x67, 0x32};
  const std::array<std::uint8_t, 22> aes{0xdc, 0x79, 0x3c, 0x67, 0x62, 0x45, 0xbd, 0xee, 0x7e, 0x54, 0x9b,
                                         0x81, 0x11, 0xc9, 0x11, 0xcb, 0x13, 0xde, 0xaa, 0xdd, 0x93, 0x5c};
  EXPECT_EQ(buf, GetParam() == Suite::aes256gcm ? aes : chacha);
}

INSTANTIATE_TEST_SUITE_P(Suites, AeadSuite, ::testing::Values(Suite::chacha20poly1305, Suite::aes256gcm),
                         [](const auto& param_info) {
                           return std::string(param_info.param == Suite::aes256gcm ? "aes256gcm" : "chacha20poly1305");
                         });

TEST(Aead, SuitesAreDistinct) {
  // Same kx key, different suites: the outputs must not coincide.
  const auto suites = available_suites();
  if (suites.size() < 2) GTEST_SKIP() << "only one suite on this CPU";
  std::array<std::uint8_t, 16 + 16> a{}, b{};
  PacketKey(Suite::aes256gcm, test_key(1)).seal(0, {}, a, 16);
  PacketKey(Suite::chacha20poly1305, test_key(1)).seal(0, {}, b, 16);
  EXPECT_NE(a, b);
}

TEST(Aead, ChooseSuitePrefersAesWhenBothHaveIt) {
  const std::uint8_t chacha = 1u << 1, aes = 1u << 2;
  auto only_chacha = choose_suite(chacha);
  ASSERT_TRUE(only_chacha.ok());
  EXPECT_EQ(*only_chacha, Suite::chacha20poly1305);
  auto both = choose_suite(chacha | aes);
  ASSERT_TRUE(both.ok());
  const bool have_aes = supported_suites() & aes;
  EXPECT_EQ(*both, have_aes ? Suite::aes256gcm : Suite::chacha20poly1305);
  EXPECT_EQ(choose_suite(0).code(), Errc::unsupported);
  EXPECT_EQ(choose_suite(1u << 5).code(), Errc::unsupported);
  EXPECT_TRUE(supported_suites() & chacha);
}

TEST(Aead, SessionKeysMatchAcrossRoles) {
  const auto initiator = KxKeyPair::generate();
  const auto responder = KxKeyPair::generate();
  for (Suite s : available_suites()) {
    auto i = derive_initiator_keys(s, initiator, responder.pub);
    auto r = derive_responder_keys(s, responder, initiator.pub);
    ASSERT_TRUE(i.ok() && r.ok());
    std::array<std::uint8_t, 4 + 16> buf{1, 2, 3, 4};
    i->tx.seal(0, {}, buf, 4);
    auto wrong = buf;
    EXPECT_EQ(i->rx.open(0, {}, wrong).code(), Errc::auth_failed);  // directions differ
    ASSERT_TRUE(r->rx.open(0, {}, buf).ok());
    r->tx.seal(1, {}, buf, 4);
    ASSERT_TRUE(i->rx.open(1, {}, buf).ok());
    EXPECT_EQ(buf[3], 4);
  }
}

TEST(Aead, WeakPeerKeyIsRejected) {
  const auto mine = KxKeyPair::generate();
  const std::array<std::uint8_t, 32> zero{};
  EXPECT_EQ(derive_initiator_keys(Suite::chacha20poly1305, mine, zero).code(), Errc::auth_failed);
  EXPECT_EQ(derive_responder_keys(Suite::chacha20poly1305, mine, zero).code(), Errc::auth_failed);
}

}  // namespace
}  // namespace kettle::crypto

namespace kettle::crypto {
namespace {

TEST(Aead, FailureMessagesDoNotAllocate) {
  // std::string keeps up to 15 characters inline (libstdc++): see the comment in open().
  const PacketKey key(Suite::chacha20poly1305, test_key(1));
  std::array<std::uint8_t, 20> buf{};
  auto r = key.open(0, {}, buf);
  ASSERT_FALSE(r.ok());
  EXPECT_LE(r.error().message.size(), 15u);
  auto r2 = key.open(0, {}, MutBytes(buf).first(3));
  ASSERT_FALSE(r2.ok());
  EXPECT_LE(r2.error().message.size(), 15u);
}

}  // namespace
}  // namespace kettle::crypto
