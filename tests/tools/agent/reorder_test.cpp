// The agent's reorder buffer (docs/protocol.md §16.2): order restored across TCP and UDP, lost
// datagrams skipped only when provably lost, TCP messages still in flight waited for.
#include "agent/reorder.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace kettle::agent {
namespace {

std::vector<int> drain(Reorder<int>& r) {
  std::vector<int> out;
  while (auto m = r.next()) out.push_back(*m);
  return out;
}

TEST(Reorder, InterleavedSocketsComeOutInSeqOrder) {
  Reorder<int> r;
  // sender: 0 udp, 1 tcp, 2 udp, 3 tcp (tcp_before 0, 0, 1, 1), arriving out of order.
  EXPECT_TRUE(r.add(2, 1, false, 2));
  EXPECT_TRUE(r.add(0, 0, false, 0));
  EXPECT_TRUE(r.add(1, 0, true, 1));
  EXPECT_TRUE(r.add(3, 1, true, 3));
  EXPECT_EQ(drain(r), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(r.lost(), 0u);
}

TEST(Reorder, DatagramsMissingBehindLaterTcpAreLost) {
  Reorder<int> r;
  // The same sender, but datagrams 0 and 2 never arrive: TCP 1 and 3 prove they were datagrams.
  EXPECT_TRUE(r.add(1, 0, true, 1));
  EXPECT_TRUE(r.add(3, 1, true, 3));
  EXPECT_EQ(drain(r), (std::vector<int>{1, 3}));
  EXPECT_EQ(r.lost(), 2u);
  EXPECT_FALSE(r.add(2, 1, false, 2)) << "a datagram that turns up after being given up is dropped";
}

TEST(Reorder, SkipsALostDatagramOnlyWhenProvable) {
  Reorder<int> r;
  EXPECT_TRUE(r.add(0, 0, false, 0));
  EXPECT_EQ(drain(r), std::vector<int>{0});
  // seq 1 (udp) lost; seq 2 (udp, tcp_before 0) arrives: every TCP message before it is here (none).
  EXPECT_TRUE(r.add(2, 0, false, 2));
  EXPECT_EQ(drain(r), std::vector<int>{2});
  EXPECT_EQ(r.lost(), 1u);
}

TEST(Reorder, WaitsForATcpMessageStillInFlight) {
  Reorder<int> r;
  // seq 0 is a TCP message not yet read; seq 1 is a datagram that says one TCP message came first.
  EXPECT_TRUE(r.add(1, 1, false, 1));
  EXPECT_EQ(drain(r), std::vector<int>{}) << "must wait: seq 0 is TCP and will come";
  EXPECT_TRUE(r.add(0, 0, true, 0));
  EXPECT_EQ(drain(r), (std::vector<int>{0, 1}));
  EXPECT_EQ(r.lost(), 0u);
}

TEST(Reorder, RefusesDuplicatesOldAndInconsistentHeaders) {
  Reorder<int> r;
  EXPECT_TRUE(r.add(0, 0, true, 0));
  EXPECT_FALSE(r.add(0, 0, false, 9)) << "duplicate seq";
  EXPECT_EQ(drain(r), std::vector<int>{0});
  EXPECT_FALSE(r.add(0, 0, false, 9)) << "already delivered";
  EXPECT_FALSE(r.add(5, 6, false, 9)) << "more TCP messages before it than messages in all";
  EXPECT_FALSE(r.add(1, 0, true, 9)) << "the second TCP message must say tcp_before 1";
  EXPECT_TRUE(r.add(1, 1, true, 1));
  EXPECT_EQ(drain(r), std::vector<int>{1});
}

TEST(Reorder, HoldLimitDropsDatagramsNotTcp) {
  Reorder<int> r;
  // seq 0 is TCP in flight; datagrams 1.. pile up behind it.
  for (std::uint64_t s = 1; s <= Reorder<int>::kMaxHeld; ++s) ASSERT_TRUE(r.add(s, 1, false, static_cast<int>(s)));
  EXPECT_FALSE(r.add(Reorder<int>::kMaxHeld + 1, 1, false, 0));
  EXPECT_TRUE(r.add(0, 0, true, 0)) << "TCP is never refused for room";
  EXPECT_EQ(drain(r).size(), Reorder<int>::kMaxHeld + 1);
}

}  // namespace
}  // namespace kettle::agent
