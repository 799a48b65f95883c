#include "p2p/signal.hpp"

#include <gtest/gtest.h>

namespace kettle::p2p {
namespace {

Signal offer() {
  Signal s;
  s.kind = SignalKind::offer;
  s.session = 0x1122334455667788ULL;
  s.flags = kFlagRelayAllowed;
  s.candidates = {Address::v4(0x0A010002, 45000), Address::v4(0xC633640B, 40000)};
  return s;
}

TEST(Signal, OfferHasThePinnedEncodingAndRoundTrips) {
  const auto bytes = encode(offer());
  const std::vector<std::uint8_t> want = {0x01, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  // kind, session
                                          0x01, 0x02,                                            // flags, count
                                          0x04, 10,   1,    0,    2,    0xC8, 0xAF,              // 10.1.0.2:45000
                                          0x04, 198,  51,   100,  11,   0x40, 0x9C};             // :40000
  EXPECT_EQ(bytes, want);
  auto back = decode_signal(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, offer());
}

TEST(Signal, AcceptAndCloseCarryNoBody) {
  for (auto kind : {SignalKind::accept, SignalKind::close}) {
    Signal s;
    s.kind = kind;
    s.session = 5;
    const auto bytes = encode(s);
    EXPECT_EQ(bytes.size(), 9u);
    auto back = decode_signal(bytes);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->kind, kind);
    auto longer = bytes;
    longer.push_back(0);
    EXPECT_EQ(decode_signal(longer).code(), Errc::malformed) << "trailing bytes";
  }
}

TEST(Signal, RejectsBadInputPrecisely) {
  auto good = encode(offer());
  EXPECT_EQ(decode_signal(Bytes(good).first(5)).code(), Errc::truncated);
  EXPECT_EQ(decode_signal(Bytes(good).first(good.size() - 1)).code(), Errc::truncated);
  auto bad_kind = good;
  bad_kind[0] = 9;
  EXPECT_EQ(decode_signal(bad_kind).code(), Errc::malformed);
  auto zero_session = good;
  std::fill(zero_session.begin() + 1, zero_session.begin() + 9, 0);
  EXPECT_EQ(decode_signal(zero_session).code(), Errc::malformed);
  auto bad_family = good;
  bad_family[11] = 5;
  EXPECT_EQ(decode_signal(bad_family).code(), Errc::malformed);
  auto too_many = good;
  too_many[10] = 9;
  EXPECT_EQ(decode_signal(too_many).code(), Errc::malformed);
  auto port_zero = good;
  port_zero[16] = port_zero[17] = 0;
  EXPECT_EQ(decode_signal(port_zero).code(), Errc::malformed);
}

TEST(Punch, RoundTripsAndRejectsEverythingElse) {
  const auto p = encode(Punch{77, true});
  auto back = decode_punch(p);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->session, 77u);
  EXPECT_TRUE(back->pong);
  auto wrong_version = p;
  wrong_version[1] = 2;
  EXPECT_FALSE(decode_punch(wrong_version));
  EXPECT_FALSE(decode_punch(Bytes(p).first(10)));
  auto zero = encode(Punch{0, false});
  EXPECT_FALSE(decode_punch(zero)) << "session 0 is never valid";
  auto bad_flag = p;
  bad_flag[10] = 2;
  EXPECT_FALSE(decode_punch(bad_flag));
}

}  // namespace
}  // namespace kettle::p2p
