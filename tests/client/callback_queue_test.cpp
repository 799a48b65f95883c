// CallbackQueue: the dispatch rules of spec p2p-api.md §0.5 in isolation.
#include "client/callback_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace kettle::client {
namespace {

struct A {
  static constexpr int k_iCallback = 1;
  int v = 0;
};
struct B {
  static constexpr int k_iCallback = 2;
  int v = 0;
};

template <class T>
CallbackQueue::Handle on(CallbackQueue& q, std::function<void(const T&)> fn) {
  return q.subscribe(T::k_iCallback, [f = std::move(fn)](const void* p) { f(*static_cast<const T*>(p)); });
}

TEST(CallbackQueue, DeliversInPostingOrderAcrossTypesOnlyInsideRun) {
  CallbackQueue q;
  std::vector<int> seen;
  on<A>(q, [&](const A& a) { seen.push_back(a.v); });
  on<B>(q, [&](const B& b) { seen.push_back(100 + b.v); });
  q.post(A{1});
  q.post(B{2});
  q.post(A{3});
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(q.queued(), 3u);
  q.run();
  EXPECT_EQ(seen, (std::vector<int>{1, 102, 3}));
  EXPECT_EQ(q.queued(), 0u);
}

TEST(CallbackQueue, PostedDuringRunWaitsForNextRunAndNestedRunIsNoop) {
  CallbackQueue q;
  int delivered = 0;
  int after_nested = -1;
  on<A>(q, [&](const A& a) {
    ++delivered;
    if (a.v == 1) {
      q.post(A{2});
      q.run();  // nested: returns at once
      after_nested = delivered;
    }
  });
  q.post(A{1});
  q.run();
  EXPECT_EQ(delivered, 1);
  EXPECT_EQ(after_nested, 1);
  EXPECT_EQ(q.queued(), 1u);
  q.run();
  EXPECT_EQ(delivered, 2);
}

TEST(CallbackQueue, UnsubscribeInsideHandlerStopsLaterDeliveries) {
  CallbackQueue q;
  int first = 0, second = 0;
  CallbackQueue::Handle h2 = 0;
  on<A>(q, [&](const A&) {
    ++first;
    q.unsubscribe(h2);
  });
  h2 = on<A>(q, [&](const A&) { ++second; });
  q.post(A{});
  q.post(A{});
  q.run();
  EXPECT_EQ(first, 2);
  EXPECT_EQ(second, 0);  // removed before its turn in the first delivery
  q.unsubscribe(12345);  // unknown: ignored
}

TEST(CallbackQueue, SeveralSubscribersAndClear) {
  CallbackQueue q;
  int n = 0;
  on<A>(q, [&](const A&) { ++n; });
  on<A>(q, [&](const A&) { ++n; });
  q.post(A{});
  q.run();
  EXPECT_EQ(n, 2);
  q.post(A{});
  q.clear();
  q.run();
  EXPECT_EQ(n, 2);
}

TEST(CallbackQueue, ClearFromAHandlerDropsTheRestOfTheRun) {
  CallbackQueue q;
  std::vector<int> seen;
  on<A>(q, [&](const A& a) {
    seen.push_back(a.v);
    if (a.v == 2) q.clear();
  });
  for (int i = 1; i <= 4; ++i) q.post(A{i});
  q.run();
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  q.run();
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  q.post(A{5});  // the queue works after a clear
  q.run();
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 5}));
}

TEST(CallbackQueue, ConcurrentPostersLoseNothingAndKeepPerThreadOrder) {
  CallbackQueue q;
  std::vector<int> last(4, -1);
  bool in_order = true;
  int total = 0;
  on<A>(q, [&](const A& a) {
    const int t = a.v / 10000, i = a.v % 10000;
    if (i != last[static_cast<std::size_t>(t)] + 1) in_order = false;
    last[static_cast<std::size_t>(t)] = i;
    ++total;
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&q, t] {
      for (int i = 0; i < 2000; ++i) q.post(A{t * 10000 + i});
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (total < 8000 && std::chrono::steady_clock::now() < deadline) {
    q.run();  // runs concurrently with the posters
    std::this_thread::yield();
  }
  for (auto& th : threads) th.join();
  q.run();
  EXPECT_EQ(total, 8000);
  EXPECT_TRUE(in_order);
}

}  // namespace
}  // namespace kettle::client
