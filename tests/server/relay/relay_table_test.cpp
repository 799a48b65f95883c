// The relay's forwarding rule (docs/protocol.md §13.2) on the sans-IO table: every check of the
// spec, with explicit instants so expiry and the rate budget are exact.
#include "server/relay/relay_table.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "crypto/keys.hpp"

namespace kettle::server::relay {
namespace {

using Buf = std::vector<std::uint8_t>;

constexpr Owner kAlice = 101;
constexpr Owner kBob = 102;
constexpr Owner kCarol = 103;

const Address kAliceAddr = Address::v4(0x0A000001, 5000);
const Address kBobAddr = Address::v4(0x0A000002, 6000);
const Address kCarolAddr = Address::v4(0x0A000003, 7000);

Buf to_relay(std::uint64_t allocation, const control::RelayToken& token, Bytes payload) {
  Buf d(kToRelayHeaderBytes + payload.size());
  d[0] = kToRelay;
  d[1] = kRelayVersion;
  store_le64(d.data() + 2, allocation);
  std::copy(token.begin(), token.end(), d.begin() + 10);
  std::copy(payload.begin(), payload.end(), d.begin() + kToRelayHeaderBytes);
  return d;
}

Buf from_relay(std::uint64_t allocation, Bytes payload) {
  Buf d(kFromRelayHeaderBytes + payload.size());
  d[0] = kFromRelay;
  d[1] = kRelayVersion;
  store_le64(d.data() + 2, allocation);
  std::copy(payload.begin(), payload.end(), d.begin() + kFromRelayHeaderBytes);
  return d;
}

class RelayTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::init());
    auto g = table_.allocate(kAlice, kBob, t0_);
    ASSERT_TRUE(g) << g.error().to_string();
    grant_ = *g;
  }

  // Feeds one datagram; returns the forwarded bytes and fills `to`, or empty if nothing was sent.
  Buf feed(const Buf& d, const Address& from, Instant now, Address* to = nullptr) {
    auto f = table_.on_datagram(d, from, now, out_);
    if (!f) return {};
    if (to != nullptr) *to = f->to;
    return Buf(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(f->size));
  }
  // Both members bind from their addresses.
  void bind_both(Instant now) {
    EXPECT_TRUE(feed(to_relay(grant_.allocation, grant_.token0, {}), kAliceAddr, now).empty());
    EXPECT_TRUE(feed(to_relay(grant_.allocation, grant_.token1, {}), kBobAddr, now).empty());
  }
  std::uint64_t dropped(Drop d) const { return table_.counters().dropped[static_cast<std::size_t>(d)]; }

  Instant t0_ = Instant{} + secs(1000);
  RelayLimits limits_;
  RelayTable table_{limits_};
  Grant grant_;
  std::array<std::uint8_t, kMaxForwardBytes> out_{};
  const Buf payload_ = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01};
};

TEST_F(RelayTableTest, GrantHasDistinctRandomTokensAndANonZeroId) {
  EXPECT_NE(grant_.allocation, 0u);
  EXPECT_NE(grant_.token0, grant_.token1);
  EXPECT_NE(grant_.token0, control::RelayToken{});
  EXPECT_EQ(table_.live(), 1u);
  EXPECT_EQ(table_.allocations_of(kAlice), 1u);
  EXPECT_EQ(table_.allocations_of(kBob), 0u);  // the cap counts the caller's allocations only
  EXPECT_EQ(table_.counters().allocations_total, 1u);
}

TEST_F(RelayTableTest, ForwardsBothWaysAfterBothBind) {
  bind_both(t0_);
  EXPECT_EQ(table_.counters().binds, 2u);
  Address to;
  EXPECT_EQ(feed(to_relay(grant_.allocation, grant_.token0, payload_), kAliceAddr, t0_, &to),
            from_relay(grant_.allocation, payload_));
  EXPECT_EQ(to, kBobAddr);
  const Buf reply = {0x42};
  EXPECT_EQ(feed(to_relay(grant_.allocation, grant_.token1, reply), kBobAddr, t0_, &to),
            from_relay(grant_.allocation, reply));
  EXPECT_EQ(to, kAliceAddr);
  EXPECT_EQ(table_.counters().forwarded_datagrams, 2u);
  EXPECT_EQ(table_.counters().forwarded_bytes, 2 * kFromRelayHeaderBytes + payload_.size() + reply.size());
  EXPECT_EQ(table_.counters().dropped_total(), 0u);
}

TEST_F(RelayTableTest, DataBeforeThePeerBoundIsDroppedButBindsTheSender) {
  EXPECT_TRUE(feed(to_relay(grant_.allocation, grant_.token0, payload_), kAliceAddr, t0_).empty());
  EXPECT_EQ(dropped(Drop::peer_unbound), 1u);
  // Alice's address was recorded by that datagram: Bob's data now reaches her.
  Address to;
  EXPECT_EQ(feed(to_relay(grant_.allocation, grant_.token1, payload_), kBobAddr, t0_, &to),
            from_relay(grant_.allocation, payload_));
  EXPECT_EQ(to, kAliceAddr);
}

TEST_F(RelayTableTest, HintedPeerGetsDataBeforeItBindsAndItsBindReplacesTheHint) {
  // As the server allocates: each member's control-connection address is its hint.
  const Address bob_control = Address::v4(0x0A000002, 6000);
  auto g = table_.allocate(kCarol, kBob, t0_, kCarolAddr, bob_control);
  ASSERT_TRUE(g);
  Address to;
  EXPECT_EQ(feed(to_relay(g->allocation, g->token0, payload_), kCarolAddr, t0_, &to),
            from_relay(g->allocation, payload_))
      << "no peer_unbound drop: the first HELLO goes through";
  EXPECT_EQ(to, bob_control);
  const Address bob_relay_mapping = Address::v4(0x0A000002, 6001);  // a NAT with a new port per destination
  EXPECT_TRUE(feed(to_relay(g->allocation, g->token1, {}), bob_relay_mapping, t0_).empty());
  EXPECT_FALSE(feed(to_relay(g->allocation, g->token0, payload_), kCarolAddr, t0_, &to).empty());
  EXPECT_EQ(to, bob_relay_mapping);
}

TEST_F(RelayTableTest, TheLatestSourceAddressWins) {
  bind_both(t0_);
  const Address moved = Address::v4(0x0A000009, 5001);  // Alice's NAT picked a new mapping
  EXPECT_TRUE(feed(to_relay(grant_.allocation, grant_.token0, {}), moved, t0_).empty());
  Address to;
  EXPECT_FALSE(feed(to_relay(grant_.allocation, grant_.token1, payload_), kBobAddr, t0_, &to).empty());
  EXPECT_EQ(to, moved);
}

TEST_F(RelayTableTest, WrongTokenIsRefusedAndDoesNotRebind) {
  bind_both(t0_);
  control::RelayToken wrong = grant_.token0;
  wrong[15] ^= 0x01;
  EXPECT_TRUE(feed(to_relay(grant_.allocation, wrong, payload_), kCarolAddr, t0_).empty());
  EXPECT_TRUE(feed(to_relay(grant_.allocation, wrong, {}), kCarolAddr, t0_).empty());
  EXPECT_EQ(dropped(Drop::bad_token), 2u);
  // Bob's data still goes to Alice's real address, not to the intruder's.
  Address to;
  EXPECT_FALSE(feed(to_relay(grant_.allocation, grant_.token1, payload_), kBobAddr, t0_, &to).empty());
  EXPECT_EQ(to, kAliceAddr);
}

TEST_F(RelayTableTest, UnknownAllocationIsDropped) {
  EXPECT_TRUE(feed(to_relay(grant_.allocation ^ 1, grant_.token0, payload_), kAliceAddr, t0_).empty());
  EXPECT_TRUE(feed(to_relay(0, grant_.token0, {}), kAliceAddr, t0_).empty());
  EXPECT_EQ(dropped(Drop::unknown_allocation), 2u);
}

TEST_F(RelayTableTest, AThirdUsersTokenOpensOnlyItsOwnAllocation) {
  auto carols = table_.allocate(kCarol, kBob, t0_);
  ASSERT_TRUE(carols);
  EXPECT_NE(carols->allocation, grant_.allocation);
  bind_both(t0_);
  // Carol's valid token for her own allocation, presented on Alice and Bob's.
  EXPECT_TRUE(feed(to_relay(grant_.allocation, carols->token0, payload_), kCarolAddr, t0_).empty());
  EXPECT_TRUE(feed(to_relay(grant_.allocation, carols->token1, payload_), kCarolAddr, t0_).empty());
  EXPECT_EQ(dropped(Drop::bad_token), 2u);
  // And Alice's token does not open Carol's.
  EXPECT_TRUE(feed(to_relay(carols->allocation, grant_.token0, payload_), kAliceAddr, t0_).empty());
  EXPECT_EQ(dropped(Drop::bad_token), 3u);
}

TEST_F(RelayTableTest, PayloadLimitIs1400Bytes) {
  bind_both(t0_);
  const Buf max(kMaxRelayPayload, 0x5a);
  const Buf over(kMaxRelayPayload + 1, 0x5a);
  EXPECT_EQ(feed(to_relay(grant_.allocation, grant_.token0, max), kAliceAddr, t0_).size(), kMaxForwardBytes);
  EXPECT_TRUE(feed(to_relay(grant_.allocation, grant_.token0, over), kAliceAddr, t0_).empty());
  EXPECT_EQ(dropped(Drop::oversized), 1u);
}

TEST_F(RelayTableTest, MalformedHeadersAreDropped) {
  bind_both(t0_);
  Buf good = to_relay(grant_.allocation, grant_.token0, payload_);
  Buf bad_type = good;
  bad_type[0] = kFromRelay;
  Buf bad_version = good;
  bad_version[1] = 2;
  const Buf short_header(good.begin(), good.begin() + kToRelayHeaderBytes - 1);
  EXPECT_TRUE(feed(bad_type, kAliceAddr, t0_).empty());
  EXPECT_TRUE(feed(bad_version, kAliceAddr, t0_).empty());
  EXPECT_TRUE(feed(short_header, kAliceAddr, t0_).empty());
  EXPECT_TRUE(feed({}, kAliceAddr, t0_).empty());
  EXPECT_EQ(dropped(Drop::malformed), 4u);
  EXPECT_FALSE(feed(good, kAliceAddr, t0_).empty());
}

TEST_F(RelayTableTest, RateBudgetIsOneSecondOfBytesThenRefills) {
  bind_both(t0_);
  const Buf big(kMaxRelayPayload, 0x33);
  const auto d = to_relay(grant_.allocation, grant_.token0, big);
  const std::uint64_t fit = limits_.rate_bytes / kMaxForwardBytes;  // the 1 s burst, in whole datagrams
  for (std::uint64_t i = 0; i < fit; ++i) ASSERT_FALSE(feed(d, kAliceAddr, t0_).empty()) << i;
  EXPECT_TRUE(feed(d, kAliceAddr, t0_).empty());
  EXPECT_EQ(dropped(Drop::rate_limited), 1u);
  // The budget is the allocation's, not one direction's.
  EXPECT_TRUE(feed(to_relay(grant_.allocation, grant_.token1, big), kBobAddr, t0_).empty());
  EXPECT_EQ(dropped(Drop::rate_limited), 2u);
  // 1 ms refills rate/1000 bytes (8000 at the default) on top of what the burst left.
  const std::uint64_t left = limits_.rate_bytes - fit * kMaxForwardBytes;
  const std::uint64_t refill_fit = (left + limits_.rate_bytes / 1000) / kMaxForwardBytes;
  const Instant later = t0_ + ms(1);
  for (std::uint64_t i = 0; i < refill_fit; ++i) ASSERT_FALSE(feed(d, kAliceAddr, later).empty()) << i;
  EXPECT_TRUE(feed(d, kAliceAddr, later).empty());
  // A long pause refills only up to the burst, not beyond it.
  const Instant much_later = t0_ + secs(30);
  for (std::uint64_t i = 0; i < fit; ++i) ASSERT_FALSE(feed(d, kAliceAddr, much_later).empty()) << i;
  EXPECT_TRUE(feed(d, kAliceAddr, much_later).empty());
}

TEST_F(RelayTableTest, ExpiresAfterTheIdleTimeoutWithoutAForward) {
  bind_both(t0_);
  EXPECT_EQ(table_.next_deadline(), t0_ + limits_.idle_timeout);
  // A forward at +30 s keeps it; binds do not count as use.
  ASSERT_FALSE(feed(to_relay(grant_.allocation, grant_.token0, payload_), kAliceAddr, t0_ + secs(30)).empty());
  EXPECT_TRUE(feed(to_relay(grant_.allocation, grant_.token0, {}), kAliceAddr, t0_ + secs(80)).empty());
  table_.expire(t0_ + secs(60));
  EXPECT_TRUE(table_.contains(grant_.allocation));
  EXPECT_EQ(table_.next_deadline(), t0_ + secs(90));
  table_.expire(t0_ + secs(90) - us(1));
  EXPECT_TRUE(table_.contains(grant_.allocation));
  table_.expire(t0_ + secs(90));
  EXPECT_FALSE(table_.contains(grant_.allocation));
  EXPECT_EQ(table_.live(), 0u);
  EXPECT_EQ(table_.allocations_of(kAlice), 0u);
  EXPECT_EQ(table_.counters().expired_total, 1u);
  EXPECT_EQ(table_.next_deadline(), kInstantNever);
  EXPECT_TRUE(feed(to_relay(grant_.allocation, grant_.token0, payload_), kAliceAddr, t0_ + secs(91)).empty());
  EXPECT_EQ(dropped(Drop::unknown_allocation), 1u);
}

TEST_F(RelayTableTest, SessionEndDropsEveryAllocationItIsAMemberOf) {
  auto carol_bob = table_.allocate(kCarol, kBob, t0_);
  auto carol_alice = table_.allocate(kCarol, kAlice, t0_);
  ASSERT_TRUE(carol_bob && carol_alice);
  EXPECT_EQ(table_.live(), 3u);
  table_.drop_owner(kBob);  // member 1 of two allocations
  EXPECT_FALSE(table_.contains(grant_.allocation));
  EXPECT_FALSE(table_.contains(carol_bob->allocation));
  EXPECT_TRUE(table_.contains(carol_alice->allocation));
  EXPECT_EQ(table_.allocations_of(kAlice), 0u);
  EXPECT_EQ(table_.allocations_of(kCarol), 1u);
  table_.drop_owner(kCarol);  // member 0
  EXPECT_EQ(table_.live(), 0u);
  table_.drop_owner(kCarol);  // nothing left: harmless
  EXPECT_TRUE(feed(to_relay(grant_.allocation, grant_.token0, {}), kAliceAddr, t0_).empty());
  EXPECT_EQ(dropped(Drop::unknown_allocation), 1u);
}

TEST_F(RelayTableTest, PerCallerCapAndIdsNeverRepeat) {
  std::set<std::uint64_t> ids = {grant_.allocation};
  for (std::size_t i = 1; i < limits_.max_allocations; ++i) {
    auto g = table_.allocate(kAlice, kBob, t0_);
    ASSERT_TRUE(g);
    EXPECT_TRUE(ids.insert(g->allocation).second);
  }
  auto over = table_.allocate(kAlice, kBob, t0_);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.code(), Errc::would_block);
  // Bob is member 1 of all of them and may still allocate his own.
  ASSERT_TRUE(table_.allocate(kBob, kAlice, t0_));
  EXPECT_FALSE(table_.allocate(kAlice, kAlice, t0_));
  // Freed allocations make room, and new ids are still new.
  table_.drop_owner(kAlice);
  for (int i = 0; i < 1000; ++i) {
    auto g = table_.allocate(kCarol, kAlice, t0_);
    ASSERT_TRUE(g);
    EXPECT_NE(g->allocation, 0u);
    EXPECT_TRUE(ids.insert(g->allocation).second);
    table_.drop_owner(kCarol);
  }
}

}  // namespace
}  // namespace kettle::server::relay
