#include "net/event_loop.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "net_test_util.hpp"

namespace kettle::net {
namespace {

std::unique_ptr<EventLoop> make_loop() {
  auto l = EventLoop::create();
  if (!l.ok()) std::abort();
  return std::move(l).value();
}

constexpr Instant far_future() { return kInstantNever; }

TEST(EventLoop, ReadCallbackRunsWhenDatagramArrives) {
  auto loop = make_loop();
  auto rx = test::bind_loopback();
  auto tx = test::bind_loopback();
  std::vector<std::vector<std::uint8_t>> got;
  RecvBuffers bufs(8, rx.recommended_slot_bytes());
  ASSERT_TRUE(loop->add(rx.fd(),
                        [&](unsigned events) {
                          EXPECT_TRUE(events & EventLoop::kReadable);
                          auto n = rx.recv_batch(bufs.slots());
                          ASSERT_TRUE(n.ok());
                          for (std::size_t i = 0; i < *n; ++i)
                            bufs.slots()[i].for_each_segment([&](Bytes d) { got.emplace_back(d.begin(), d.end()); });
                        })
                  .ok());
  const auto payload = test::pattern(5, 300);
  ASSERT_TRUE(tx.send_to(payload, rx.local_address()).ok());
  const Instant limit = monotonic_now() + ms(test::kWaitLimitMs);
  while (got.empty() && monotonic_now() < limit) ASSERT_TRUE(loop->run_once(limit).ok());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], payload);
}

TEST(EventLoop, RejectsDuplicateAndUnknownFds) {
  auto loop = make_loop();
  auto s = test::bind_loopback();
  ASSERT_TRUE(loop->add(s.fd(), [](unsigned) {}).ok());
  EXPECT_EQ(loop->add(s.fd(), [](unsigned) {}).code(), Errc::invalid_argument);
  EXPECT_EQ(loop->add(-1, [](unsigned) {}).code(), Errc::invalid_argument);
  EXPECT_EQ(loop->set_want_write(12345, true).code(), Errc::invalid_argument);
  loop->remove(s.fd());
  loop->remove(s.fd());  // unknown: ignored
  EXPECT_TRUE(loop->add(s.fd(), [](unsigned) {}).ok());
}

TEST(EventLoop, WritableInterestReportsWritable) {
  auto loop = make_loop();
  auto s = test::bind_loopback();
  unsigned seen = 0;
  ASSERT_TRUE(loop->add(
                      s.fd(), [&](unsigned e) { seen |= e; }, /*want_write=*/true)
                  .ok());
  auto it = loop->run_once(monotonic_now() + ms(test::kWaitLimitMs));  // an idle UDP socket is writable
  ASSERT_TRUE(it.ok());
  EXPECT_EQ(it->fd_callbacks, 1u);
  EXPECT_TRUE(seen & EventLoop::kWritable);
  ASSERT_TRUE(loop->set_want_write(s.fd(), false).ok());
  seen = 0;
  it = loop->run_once(monotonic_now());  // poll only: nothing to read, no write interest
  ASSERT_TRUE(it.ok());
  EXPECT_EQ(it->fd_callbacks, 0u);
  EXPECT_EQ(seen, 0u);
}

TEST(EventLoop, PastDeadlineFiresWithoutBlocking) {
  auto loop = make_loop();
  const Instant deadline = monotonic_now() - ms(1);
  Instant fired_at = kInstantZero;
  loop->set_timer(deadline, [&](Instant now) { fired_at = now; });
  auto it = loop->run_once(far_future());
  ASSERT_TRUE(it.ok());
  EXPECT_TRUE(it->timer_fired);
  EXPECT_GE(fired_at, deadline);
  EXPECT_EQ(loop->timer_deadline(), kInstantNever);  // one-shot
}

TEST(EventLoop, NearDeadlineFiresNotBeforeItIsDue) {
  auto loop = make_loop();
  const Instant deadline = monotonic_now() + ms(15);
  Instant fired_at = kInstantZero;
  loop->set_timer(deadline, [&](Instant now) { fired_at = now; });
  const Instant limit = deadline + ms(test::kWaitLimitMs);
  while (fired_at == kInstantZero && monotonic_now() < limit) ASSERT_TRUE(loop->run_once(limit).ok());
  EXPECT_GE(fired_at, deadline);  // lower bound only: never early
}

TEST(EventLoop, RunOnceReturnsAfterWaitUntilWithNothingToDo) {
  auto loop = make_loop();
  const Instant until = monotonic_now() + ms(5);
  auto it = loop->run_once(until);
  ASSERT_TRUE(it.ok());
  EXPECT_EQ(it->fd_callbacks, 0u);
  EXPECT_FALSE(it->timer_fired);
  EXPECT_GE(monotonic_now(), until);
}

TEST(EventLoop, TimerRearmedFromCallbackRunsInOrderThenStops) {
  auto loop = make_loop();
  std::vector<Instant> fired;
  std::vector<Instant> scheduled;
  std::function<void(Instant)> tick = [&](Instant now) {
    fired.push_back(now);
    if (fired.size() == 5) return loop->stop();
    scheduled.push_back(now + ms(1));
    loop->set_timer(scheduled.back(), tick);
  };
  scheduled.push_back(monotonic_now());
  loop->set_timer(scheduled.back(), tick);
  ASSERT_TRUE(loop->run_until(monotonic_now() + ms(test::kWaitLimitMs)).ok());
  ASSERT_EQ(fired.size(), 5u);
  for (std::size_t i = 0; i < fired.size(); ++i) EXPECT_GE(fired[i], scheduled[i]) << i;
}

TEST(EventLoop, WakeFromAnotherThreadReturnsRunOnce) {
  auto loop = make_loop();
  std::thread t([&] { loop->wake(); });
  auto it = loop->run_once(far_future());  // returns only because of wake()
  t.join();
  ASSERT_TRUE(it.ok());
  EXPECT_TRUE(it->woken);
}

TEST(EventLoop, StopFromAnotherThreadEndsRun) {
  auto loop = make_loop();
  std::thread t([&] { loop->stop(); });
  EXPECT_TRUE(loop->run().ok());  // returns whether stop() came before or during run()
  t.join();
  EXPECT_FALSE(loop->stop_requested());  // consumed: the loop can run again
  loop->stop();
  EXPECT_TRUE(loop->run().ok());
}

TEST(EventLoop, CallbackMayRemoveOtherFdsDuringDispatch) {
  auto loop = make_loop();
  auto a = test::bind_loopback();
  auto b = test::bind_loopback();
  int calls = 0;
  // Both fds are writable at once; whichever runs first removes both, so exactly one runs.
  auto cb = [&](unsigned) {
    ++calls;
    loop->remove(a.fd());
    loop->remove(b.fd());
  };
  ASSERT_TRUE(loop->add(a.fd(), cb, true).ok());
  ASSERT_TRUE(loop->add(b.fd(), cb, true).ok());
  auto it = loop->run_once(monotonic_now() + ms(test::kWaitLimitMs));
  ASSERT_TRUE(it.ok());
  EXPECT_EQ(calls, 1);
  it = loop->run_once(monotonic_now());
  ASSERT_TRUE(it.ok());
  EXPECT_EQ(calls, 1);
}

// Reads everything queued on `rx`; used as the fd callback in the busy-poll tests.
auto drain_into(UdpSocket& rx, RecvBuffers& bufs, int& datagrams) {
  return [&rx, &bufs, &datagrams](unsigned) {
    auto n = rx.recv_batch(bufs.slots());
    if (n.ok()) datagrams += static_cast<int>(*n);
  };
}

TEST(EventLoop, RejectsBusyPollOutOfRange) {
  auto l = EventLoop::create(LoopOptions{.busy_poll = ms(11)});
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code, Errc::invalid_argument);
  EXPECT_FALSE(EventLoop::create(LoopOptions{.busy_poll = us(-1)}).ok());
}

TEST(EventLoop, SpinsAfterActivityThenSleepsUntilTheDeadline) {
  auto l = EventLoop::create(LoopOptions{.busy_poll = ms(5)});
  ASSERT_TRUE(l.ok());
  auto& loop = **l;
  auto rx = test::bind_loopback();
  auto tx = test::bind_loopback();
  RecvBuffers bufs(8, rx.recommended_slot_bytes());
  int datagrams = 0;
  ASSERT_TRUE(loop.add(rx.fd(), drain_into(rx, bufs, datagrams)).ok());

  // Idle so far: nothing to spin for, the wait sleeps.
  auto it = loop.run_once(monotonic_now() + us(200));
  ASSERT_TRUE(it.ok());
  EXPECT_FALSE(it->spun);

  ASSERT_TRUE(tx.send_to(test::pattern(1, 64), rx.local_address()).ok());
  const Instant limit = monotonic_now() + ms(test::kWaitLimitMs);
  while (datagrams == 0 && monotonic_now() < limit) ASSERT_TRUE(loop.run_once(limit).ok());
  ASSERT_EQ(datagrams, 1);

  // Right after the callback: the wait spins, and still ends at wait_until with nothing to do.
  const Instant until = monotonic_now() + ms(1);
  it = loop.run_once(until);
  ASSERT_TRUE(it.ok());
  EXPECT_TRUE(it->spun);
  EXPECT_EQ(it->fd_callbacks, 0u);
  EXPECT_GE(monotonic_now(), until);

  // A datagram already queued is picked up by the first poll, without spinning.
  ASSERT_TRUE(tx.send_to(test::pattern(2, 64), rx.local_address()).ok());
  while (datagrams == 1 && monotonic_now() < limit) {
    it = loop.run_once(limit);
    ASSERT_TRUE(it.ok());
  }
  EXPECT_EQ(datagrams, 2);
}

TEST(EventLoop, ZeroBusyPollNeverSpins) {
  auto l = EventLoop::create(LoopOptions{.busy_poll = Duration::zero()});
  ASSERT_TRUE(l.ok());
  auto& loop = **l;
  auto rx = test::bind_loopback();
  auto tx = test::bind_loopback();
  RecvBuffers bufs(8, rx.recommended_slot_bytes());
  int datagrams = 0;
  ASSERT_TRUE(loop.add(rx.fd(), drain_into(rx, bufs, datagrams)).ok());
  ASSERT_TRUE(tx.send_to(test::pattern(1, 64), rx.local_address()).ok());
  const Instant limit = monotonic_now() + ms(test::kWaitLimitMs);
  while (datagrams == 0 && monotonic_now() < limit) ASSERT_TRUE(loop.run_once(limit).ok());
  ASSERT_EQ(datagrams, 1);
  auto it = loop.run_once(monotonic_now() + ms(1));
  ASSERT_TRUE(it.ok());
  EXPECT_FALSE(it->spun);
}

}  // namespace
}  // namespace kettle::net
