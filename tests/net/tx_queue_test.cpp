#include "net/tx_queue.hpp"

#include <gtest/gtest.h>

#include "net_test_util.hpp"

namespace kettle::net {
namespace {

using test::bind_loopback;
using test::pattern;

TEST(TxQueue, CoalescesEqualSizeRunsAndDeliversInOrder) {
  auto tx = bind_loopback();
  auto rx1 = bind_loopback();
  auto rx2 = bind_loopback();
  TxQueue q;
  std::vector<std::vector<std::uint8_t>> to1, to2;
  // A run of 1200s ending in a short one, a different peer, then sizes that break runs.
  for (std::uint32_t i = 0; i < 80; ++i) to1.push_back(pattern(i, i == 79 ? 100 : 1200));
  for (std::uint32_t i = 0; i < 5; ++i) to2.push_back(pattern(100 + i, 500 + i));
  for (auto& d : to1) ASSERT_TRUE(q.push(d, rx1.local_address()));
  for (auto& d : to2) ASSERT_TRUE(q.push(d, rx2.local_address()));
  // 80 segments exceed one GSO run (kGsoMaxSegments) and 65000 bytes: at least two entries, plus
  // one per size change for rx2.
  EXPECT_LE(q.queued_entries(), 2u + 5u);
  auto r = q.flush(tx);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(tx.counters().datagrams_sent, 85u);
  auto g1 = test::receive(rx1, 80);
  auto g2 = test::receive(rx2, 5);
  ASSERT_EQ(g1.size(), 80u);
  ASSERT_EQ(g2.size(), 5u);
  for (std::size_t i = 0; i < 80; ++i) EXPECT_EQ(g1[i].data, to1[i]) << i;
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(g2[i].data, to2[i]) << i;
}

TEST(TxQueue, FullBufferRefusesUntilFlushed) {
  auto tx = bind_loopback();
  auto rx = bind_loopback();
  TxQueue q(4000);
  const auto d = pattern(1, 1000);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(q.push(d, rx.local_address()));
  EXPECT_FALSE(q.push(d, rx.local_address()));
  EXPECT_EQ(q.free_bytes(), 0u);
  ASSERT_TRUE(*q.flush(tx));
  EXPECT_EQ(q.free_bytes(), 4000u);
  EXPECT_TRUE(q.push(d, rx.local_address()));
  EXPECT_EQ(test::receive(rx, 4).size(), 4u);
}

}  // namespace
}  // namespace kettle::net
