// The per-client callback queue behind Client::RunCallbacks (spec p2p-api.md §0.5).
//
// Any thread posts; run() delivers on the calling thread exactly the callbacks queued when it
// started, in posting order. Callbacks posted while run() is delivering (by the I/O thread or by
// a handler calling the API) wait for the next run(). A run() that starts while another is
// delivering — a nested call from a handler, or a second thread — returns at once. Handlers may
// subscribe, unsubscribe and call any Client method: no lock is held while a handler runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace kettle::client {

class CallbackQueue {
 public:
  using Handle = std::uint64_t;
  using RawHandler = std::function<void(const void*)>;

  template <class T>
  void post(const T& value) {
    post_raw(T::k_iCallback, std::make_shared<const T>(value));
  }
  void post_raw(int callback_id, std::shared_ptr<const void> data);
  // `apply` runs on the delivering thread just before the handlers (even with none), so state
  // the callback announces (a lobby's members, owner, data) becomes visible exactly then, in
  // queue order (spec p2p-api.md §3: getters inside a callback see what it announces).
  template <class T>
  void post_applying(const T& value, std::function<void()> apply) {
    std::lock_guard lock(mu_);
    queue_.push_back(Item{T::k_iCallback, std::make_shared<const T>(value), std::move(apply)});
  }
  // Runs `fn` at the start of the next run() (before any callback it delivers).
  void at_next_run(std::function<void()> fn);

  Handle subscribe(int callback_id, RawHandler fn);
  // Unknown or already removed handles are ignored. A handler unsubscribed from inside another
  // handler is not called for the rest of the current run().
  void unsubscribe(Handle h);

  void run();
  // Drops queued callbacks (Shutdown), including the rest of a run() in progress; subscriptions stay.
  void clear();
  std::size_t queued() const;
  // True while a run() is delivering (used to make a nested RunCallbacks a no-op at once).
  bool delivering() const noexcept { return running_.load(std::memory_order_acquire); }

 private:
  struct Sub {
    int callback_id = 0;
    RawHandler fn;
    std::atomic<bool> active{true};
  };
  struct Item {
    int callback_id = 0;
    std::shared_ptr<const void> data;
    std::function<void()> apply;
  };
  std::vector<std::function<void()>> next_run_;

  mutable std::mutex mu_;
  std::deque<Item> queue_;
  std::map<Handle, std::shared_ptr<Sub>> subs_;
  Handle next_handle_ = 1;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> epoch_{0};  // bumped by clear()
};

}  // namespace kettle::client
