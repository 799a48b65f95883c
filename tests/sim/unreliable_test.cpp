// Unreliable send types in the simulator: never duplicated (even with 10%
// duplication on the wire), loss shows up as missing messages only, and
// no-delay sends before the connection is up are dropped and counted.
#include <set>

#include "sim_harness.hpp"

namespace kettle::sim {
namespace {

using namespace kettle::sim::testing;
using transport::SendType;

TEST(SimUnreliable, LossyDuplicatingLinkNeverDeliversDuplicatesOrCorruptData) {
  const std::uint64_t seed = 11;
  TwoNodes nodes(seed, 50);
  Network& net = nodes.net;
  const Address a = nodes.a, b = nodes.b;
  transport::Endpoint& sender = nodes.sender;
  transport::Endpoint& receiver = nodes.receiver;
  net::LinkSettings link;
  link.loss_percent = 20;
  link.duplicate_percent = 10;
  link.reorder_percent = 10;
  link.latency = ms(10);
  link.jitter = ms(3);
  ASSERT_TRUE(net.set_link_both(a, b, link).ok());

  auto conn = sender.connect(b, net.now());
  ASSERT_TRUE(conn.ok());
  constexpr int kMessages = 2000;
  std::vector<std::uint8_t> payload;
  std::multiset<std::uint32_t> seen;
  transport::Message msg;
  std::uint64_t corrupt = 0;
  auto drain = [&] {
    while (receiver.poll_message(msg)) {
      EXPECT_FALSE(msg.reliable);
      if (msg.data.size() < 4) {
        ++corrupt;
        continue;
      }
      const std::uint32_t idx = load_le32(msg.data.data());
      std::vector<std::uint8_t> expect;
      fill_message(seed, 0, idx + 100, expect);
      expect.resize(std::min<std::size_t>(expect.size(), transport::kMaxUnreliableSize));
      if (expect.size() < 4) expect.resize(4);
      store_le32(expect.data(), idx);
      if (expect != msg.data) ++corrupt;
      seen.insert(idx);
    }
    while (receiver.poll_event()) {
    }
    while (sender.poll_event()) {
    }
  };
  for (std::uint32_t i = 0; i < kMessages; ++i) {
    fill_message(seed, 0, i + 100, payload);
    payload.resize(std::min<std::size_t>(payload.size(), transport::kMaxUnreliableSize));
    if (payload.size() < 4) payload.resize(4);
    store_le32(payload.data(), i);
    ASSERT_TRUE(sender.send(*conn, 0, SendType::unreliable, payload, net.now()).ok());
    net.run_for(ms(2));
    drain();
  }
  net.run_for(secs(1));
  drain();

  std::set<std::uint32_t> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "duplicates delivered";
  EXPECT_EQ(corrupt, 0u);
  // 20% loss each way on data: about 80% arrive (the handshake is reliable underneath).
  EXPECT_GT(seen.size(), kMessages * 70 / 100);
  EXPECT_LT(seen.size(), kMessages * 90 / 100);
  const auto* c = net.link_counters(a, b);
  ASSERT_NE(c, nullptr);
  EXPECT_GT(c->duplicated, 0u) << "the link should have duplicated something";
}

TEST(SimUnreliable, NoDelaySendsBeforeConnectedAreDroppedAndCountedNeverQueued) {
  TwoNodes nodes(5, 100);
  Network& net = nodes.net;
  const Address a = nodes.a, b = nodes.b;
  transport::Endpoint& sender = nodes.sender;
  transport::Endpoint& receiver = nodes.receiver;
  net.set_default_latency(ms(30));
  auto conn = sender.connect(b, net.now());
  ASSERT_TRUE(conn.ok());
  const std::vector<std::uint8_t> p(100, 0xAB);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(sender.send(*conn, 1, SendType::unreliable_no_delay, p, net.now()).ok());
  // Queued type 0 goes out once connected.
  EXPECT_TRUE(sender.send(*conn, 1, SendType::unreliable, p, net.now()).ok());
  auto st = sender.connection_stats(*conn);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->unreliable_dropped_no_delay, 10u);

  transport::Message msg;
  int got = 0;
  ASSERT_TRUE(net.run_until(
      [&] {
        while (receiver.poll_message(msg)) ++got;
        return got >= 1;
      },
      net.now() + secs(5)));
  net.run_for(ms(500));
  while (receiver.poll_message(msg)) ++got;
  EXPECT_EQ(got, 1) << "only the type-0 message may arrive";
}

}  // namespace
}  // namespace kettle::sim
