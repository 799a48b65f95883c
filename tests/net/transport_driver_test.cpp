#include "net/transport_driver.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/rng.hpp"
#include "crypto/certificate.hpp"
#include "crypto/keys.hpp"

namespace kettle::net {
namespace {

using transport::SendType;

// Two endpoints, each behind its own TransportDriver and real UDP socket on 127.0.0.1,
// sharing one EventLoop. Every wait is bounded by a step count, not by the clock.
class DriverPair : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::init().ok());
    auto l = EventLoop::create();
    ASSERT_TRUE(l.ok());
    loop = std::move(*l);
    const auto root = crypto::SigningKeyPair::generate();
    a = make(root, 1);
    b = make(root, 2);
    ASSERT_TRUE(a && b);
  }

  std::unique_ptr<TransportDriver> make(const crypto::SigningKeyPair& root, std::uint32_t account) {
    const auto id = crypto::Identity::make(root, SteamID::individual(account), 480, unix_now_s() + 3600);
    auto ep = transport::Endpoint::create(transport::Config{}, id, kSeed + account);
    EXPECT_TRUE(ep.ok());
    auto d = TransportDriver::create(*loop, std::move(*ep), Address::loopback_v4(0));
    EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().to_string());
    return d.ok() ? std::move(*d) : nullptr;
  }

  // Runs the loop until pred() or the step budget is spent (each step waits at most 10 ms).
  template <class Pred>
  bool pump_until(Pred pred, int max_steps = 3000) {
    for (int i = 0; i < max_steps && !pred(); ++i) {
      // One loop, two drivers: a waits (for I/O, its deadline, b's deadline or 10 ms), then b
      // runs without waiting so its timer fires when due too.
      EXPECT_TRUE(a->run_once(std::min(monotonic_now() + ms(10), b->endpoint().next_deadline())).ok());
      EXPECT_TRUE(b->run_once(monotonic_now()).ok());
      collect();
    }
    return pred();
  }

  void collect() {
    for (auto* d : {a.get(), b.get()}) {
      while (auto ev = d->endpoint().poll_event()) {
        if (auto* c = std::get_if<transport::Connected>(&*ev)) (d == a.get() ? conn_a : conn_b) = c->conn;
        if (auto* c = std::get_if<transport::Closed>(&*ev)) (d == a.get() ? closed_a : closed_b).push_back(*c);
      }
      transport::Message m;
      while (d->endpoint().poll_message(m)) (d == a.get() ? got_a : got_b).push_back(m);
    }
  }

  void connect() {
    auto id = a->endpoint().connect(b->local_address(), monotonic_now());
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(a->flush(monotonic_now()).ok());
    ASSERT_TRUE(pump_until([&] { return conn_a != 0 && conn_b != 0; })) << "handshake over loopback did not complete";
    EXPECT_EQ(conn_a, *id);
  }

  static constexpr std::uint64_t kSeed = 1234;
  std::unique_ptr<EventLoop> loop;
  std::unique_ptr<TransportDriver> a, b;
  transport::ConnectionId conn_a = 0, conn_b = 0;
  std::vector<transport::Message> got_a, got_b;
  std::vector<transport::Closed> closed_a, closed_b;
};

TEST_F(DriverPair, ReliableMegabyteAndUnreliableCrossRealUdp) {
  connect();
  Rng rng(kSeed);
  std::vector<std::uint8_t> big(transport::kMaxReliableSize);
  for (auto& x : big) x = static_cast<std::uint8_t>(rng.next());
  const std::vector<std::uint8_t> small{1, 2, 3, 4, 5};
  const Instant now = monotonic_now();
  ASSERT_TRUE(a->endpoint().send(conn_a, 3, SendType::reliable, big, now).ok());
  ASSERT_TRUE(b->endpoint().send(conn_b, 0, SendType::unreliable, small, now).ok());
  ASSERT_TRUE(a->flush(now).ok());
  ASSERT_TRUE(b->flush(now).ok());
  ASSERT_TRUE(pump_until([&] { return !got_b.empty() && !got_a.empty(); })) << "seed " << kSeed;
  ASSERT_EQ(got_b.size(), 1u);
  EXPECT_EQ(got_b[0].channel, 3);
  EXPECT_TRUE(got_b[0].reliable);
  EXPECT_TRUE(got_b[0].data == big) << "seed " << kSeed;
  ASSERT_EQ(got_a.size(), 1u);
  EXPECT_EQ(got_a[0].data, small);
  // The megabyte needed ~800 datagrams; the driver must have batched them (GSO runs or
  // sendmmsg), so there are far fewer transmits than datagrams.
  EXPECT_GT(b->counters().datagrams_in, 700u);
  EXPECT_LT(a->counters().transmits, b->counters().datagrams_in);
}

TEST_F(DriverPair, CloseReachesThePeer) {
  connect();
  ASSERT_TRUE(a->endpoint().close(conn_a, 7, "bye", monotonic_now()).ok());
  ASSERT_TRUE(a->flush(monotonic_now()).ok());
  ASSERT_TRUE(pump_until([&] { return !closed_b.empty(); })) << "the peer never saw CLOSE";
  EXPECT_TRUE(closed_b[0].by_peer);
  EXPECT_EQ(closed_b[0].app_code, 7);
  EXPECT_EQ(closed_b[0].message, "bye");
}

TEST_F(DriverPair, EngineTimersFireWithoutTraffic) {
  connect();
  // Keepalives and ack timers need no traffic from the application.
  EXPECT_TRUE(pump_until([&] { return a->counters().timer_fires > 0 && b->counters().timer_fires > 0; }));
  EXPECT_TRUE(closed_a.empty() && closed_b.empty());
}

TEST(TransportDriver, RejectsBadOptionsAndAddresses) {
  ASSERT_TRUE(crypto::init().ok());
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  const auto root = crypto::SigningKeyPair::generate();
  const auto id = crypto::Identity::make(root, SteamID::individual(1), 480, unix_now_s() + 3600);
  auto endpoint = [&]() -> std::unique_ptr<transport::Endpoint> {
    return std::move(transport::Endpoint::create(transport::Config{}, id, 1)).value();
  };

  DriverOptions tiny;
  tiny.transmit_bytes = 100;  // smaller than one datagram
  EXPECT_EQ(TransportDriver::create(**loop, endpoint(), Address::loopback_v4(0), tiny).code(), Errc::invalid_argument);
  DriverOptions huge_batch;
  huge_batch.transmits_per_batch = 1000;
  EXPECT_EQ(TransportDriver::create(**loop, endpoint(), Address::loopback_v4(0), huge_batch).code(),
            Errc::invalid_argument);
  EXPECT_EQ(TransportDriver::create(**loop, nullptr, Address::loopback_v4(0)).code(), Errc::invalid_argument);
  EXPECT_EQ(TransportDriver::create(**loop, endpoint(), Address{}).code(), Errc::invalid_argument);
}

}  // namespace
}  // namespace kettle::net
