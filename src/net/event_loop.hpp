// A small epoll loop for the I/O layers: fd callbacks, one deadline timer, and an eventfd so
// other threads (or a signal handler) can wake it or stop it.
//
// Typical driver for a sans-IO engine:
//   loop.add(sock.fd(), [&](unsigned) { drain socket → engine.on_datagram(...); flush(); });
//   while (!stopped) {
//     loop.run_once(engine.next_deadline());           // sleeps until I/O or the deadline
//     if (monotonic_now() >= engine.next_deadline()) { engine.on_timer(monotonic_now()); flush(); }
//   }
// or set_timer(deadline, cb) + run(), re-arming the timer from the callback.
//
// Single-threaded: everything except wake() and stop() must be called on the loop's thread.
// Callbacks may add/remove fds (including their own) and re-arm the timer.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

struct epoll_event;

#include "core/result.hpp"
#include "core/time.hpp"

namespace kettle::net {

struct LoopOptions {
  // Spin-then-sleep: when run_once would block and an fd callback ran less than busy_poll ago,
  // it first polls epoll without blocking until busy_poll has passed since that activity, and
  // only then sleeps. A reply that arrives within the window skips the kernel's sleep/wake path
  // (~20 µs per hop on the VMs we measured); the cost is at most busy_poll of CPU after each
  // burst of input, none while idle. Zero disables it. See docs/architecture.md.
  Duration busy_poll = us(50);
};

class EventLoop {
  struct Key {  // only create() can construct one (lets it use make_unique)
    explicit Key() = default;
  };

 public:
  // Bits passed to fd callbacks.
  static constexpr unsigned kReadable = 1;
  static constexpr unsigned kWritable = 2;
  static constexpr unsigned kError = 4;  // EPOLLERR/EPOLLHUP; the fd should be removed

  using FdCallback = std::function<void(unsigned events)>;
  using TimerCallback = std::function<void(Instant now)>;

  // Errors: io (epoll_create1/eventfd failed).
  static Result<std::unique_ptr<EventLoop>> create(const LoopOptions& options = {});
  EventLoop(Key, int epfd, int eventfd, const LoopOptions& options) noexcept
      : epfd_(epfd), wakefd_(eventfd), options_(options) {}
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Watches fd for readability (and writability if want_write). Level-triggered: the callback
  // runs every iteration while the condition holds, so a reader may stop after a bounded batch.
  // Errors: invalid_argument (fd already registered or negative), io.
  Status add(int fd, FdCallback cb, bool want_write = false);
  // Errors: invalid_argument (fd not registered), io.
  Status set_want_write(int fd, bool want_write);
  // Unregisters fd; a callback already collected for this iteration will not run. Unknown fds are ignored.
  void remove(int fd);

  // The single deadline timer: cb runs once when monotonic_now() >= at (kInstantNever disarms).
  // Re-arm from inside cb for a periodic or engine-driven deadline.
  void set_timer(Instant at, TimerCallback cb);
  void cancel_timer() { set_timer(kInstantNever, nullptr); }
  Instant timer_deadline() const noexcept { return timer_at_; }

  struct Iteration {
    std::size_t fd_callbacks = 0;  // callbacks that ran
    bool timer_fired = false;
    bool woken = false;  // wake() or stop() was called
    bool spun = false;   // busy-polled before (or instead of) sleeping
  };
  // Waits until an fd is ready, wake(), the armed timer, or `wait_until` — whichever is first —
  // then dispatches fd callbacks and the timer (if due). A deadline in the past polls without
  // blocking. Errors: io (epoll_wait failed other than EINTR).
  Result<Iteration> run_once(Instant wait_until);
  // run_once until stop() is called or monotonic_now() >= until.
  Status run_until(Instant until);
  // run_once until stop().
  Status run() { return run_until(kInstantNever); }

  // Thread-safe and async-signal-safe: makes a blocked run_once return; run()/run_until() exit
  // after the current iteration. A stop() before run() starts makes that run() return at once;
  // run()/run_until() consume the request, so the loop can be run again afterwards.
  void stop() noexcept;
  void wake() noexcept;  // thread-safe and async-signal-safe; run_once returns early
  bool stop_requested() const noexcept;
  // Returns and clears a pending stop request, for callers that drive run_once themselves.
  bool take_stop_request() noexcept { return stop_.exchange(false, std::memory_order_acq_rel); }

 private:
  struct Watch {
    FdCallback cb;
    bool want_write = false;
    std::uint32_t generation = 0;  // epoll data carries it, so a stale event for a re-added fd is ignored
  };

  // epoll_wait, spinning first when an fd was active within options_.busy_poll.
  int wait(::epoll_event* events, Instant until, Instant now, Iteration& it);

  int epfd_ = -1;
  int wakefd_ = -1;
  LoopOptions options_;
  Instant last_activity_ = kInstantNever;  // when an fd callback last ran
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;
  std::uint32_t next_generation_ = 1;
  Instant timer_at_ = kInstantNever;
  TimerCallback timer_cb_;
  std::atomic<bool> stop_{false};
};

}  // namespace kettle::net
