#include "net/event_loop.hpp"

#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "net/udp_socket.hpp"  // errno_error

namespace kettle::net {
namespace {

constexpr std::uint64_t kWakeKey = ~std::uint64_t{0};  // epoll data of the eventfd
// Events collected per epoll_wait; more ready fds are simply reported next iteration.
constexpr int kMaxEvents = 64;

std::uint64_t key(int fd, std::uint32_t generation) {
  return (std::uint64_t{generation} << 32) | static_cast<std::uint32_t>(fd);
}

std::uint32_t epoll_mask(bool want_write) { return EPOLLIN | (want_write ? EPOLLOUT : 0u); }

// Waits with microsecond precision via epoll_pwait2 (Linux 5.11+); older kernels get
// epoll_wait with the timeout rounded *up* to whole ms so we never wake before a deadline.
int wait_events(int epfd, epoll_event* events, Duration timeout) {
  static std::atomic<bool> have_pwait2{true};
  if (have_pwait2.load(std::memory_order_relaxed)) {
    timespec ts{};
    timespec* tsp = nullptr;
    if (timeout != Duration::max()) {
      ts.tv_sec = static_cast<time_t>(to_us(timeout) / 1000000);
      ts.tv_nsec = static_cast<long>(to_us(timeout) % 1000000) * 1000;
      tsp = &ts;
    }
    const int n = epoll_pwait2(epfd, events, kMaxEvents, tsp, nullptr);
    if (n >= 0 || errno != ENOSYS) return n;
    have_pwait2.store(false, std::memory_order_relaxed);
  }
  int timeout_ms = -1;
  if (timeout != Duration::max())
    timeout_ms = static_cast<int>(std::min<std::int64_t>((to_us(timeout) + 999) / 1000, 1 << 30));
  return epoll_wait(epfd, events, kMaxEvents, timeout_ms);
}

}  // namespace

Result<std::unique_ptr<EventLoop>> EventLoop::create(const LoopOptions& options) {
  if (options.busy_poll < Duration::zero() || options.busy_poll > ms(10)) {
    return Error{Errc::invalid_argument, "event loop: busy_poll must be in [0, 10 ms]"};
  }
  const int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return errno_error("epoll_create1", errno);
  const int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) {
    const int err = errno;
    ::close(epfd);
    return errno_error("eventfd", err);
  }
  auto loop = std::make_unique<EventLoop>(Key{}, epfd, efd, options);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeKey;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, efd, &ev) != 0) return errno_error("epoll_ctl(eventfd)", errno);
  return loop;
}

EventLoop::~EventLoop() {
  if (wakefd_ >= 0) ::close(wakefd_);
  if (epfd_ >= 0) ::close(epfd_);
}

Status EventLoop::add(int fd, FdCallback cb, bool want_write) {
  if (fd < 0) return Error{Errc::invalid_argument, "fd must be >= 0"};
  if (watches_.count(fd) != 0) return Error{Errc::invalid_argument, "fd " + std::to_string(fd) + " already registered"};
  auto w = std::make_shared<Watch>(Watch{std::move(cb), want_write, next_generation_++});
  epoll_event ev{};
  ev.events = epoll_mask(want_write);
  ev.data.u64 = key(fd, w->generation);
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return errno_error("epoll_ctl(ADD)", errno);
  watches_.emplace(fd, std::move(w));
  return {};
}

Status EventLoop::set_want_write(int fd, bool want_write) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return Error{Errc::invalid_argument, "fd " + std::to_string(fd) + " not registered"};
  if (it->second->want_write == want_write) return {};
  epoll_event ev{};
  ev.events = epoll_mask(want_write);
  ev.data.u64 = key(fd, it->second->generation);
  if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0) return errno_error("epoll_ctl(MOD)", errno);
  it->second->want_write = want_write;
  return {};
}

void EventLoop::remove(int fd) {
  if (watches_.erase(fd) == 0) return;
  (void)epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);  // fails harmlessly if the fd was already closed
}

void EventLoop::set_timer(Instant at, TimerCallback cb) {
  timer_at_ = at;
  timer_cb_ = std::move(cb);
}

int EventLoop::wait(epoll_event* events, Instant until, Instant now, Iteration& it) {
  if (until <= now) return wait_events(epfd_, events, Duration::zero());
  if (options_.busy_poll > Duration::zero() && last_activity_ != kInstantNever &&
      now < last_activity_ + options_.busy_poll) {
    const Instant spin_end = std::min(until, last_activity_ + options_.busy_poll);
    for (;;) {
      const int n = wait_events(epfd_, events, Duration::zero());
      if (n != 0) return n;
      it.spun = true;
      now = monotonic_now();
      if (now >= spin_end) break;
      // Lets a runnable task on this CPU go first: spinning must never delay the peer we
      // are waiting for when the scheduler put it on our core.
      sched_yield();
    }
    if (until <= now) return 0;
  }
  return wait_events(epfd_, events, until == kInstantNever ? Duration::max() : until - now);
}

Result<EventLoop::Iteration> EventLoop::run_once(Instant wait_until) {
  Iteration it;
  const Instant until = std::min(wait_until, timer_at_);
  epoll_event events[kMaxEvents];
  const int n = wait(events, until, monotonic_now(), it);
  if (n < 0 && errno != EINTR) return errno_error("epoll_wait", errno);
  for (int i = 0; i < n; ++i) {
    const std::uint64_t k = events[i].data.u64;
    if (k == kWakeKey) {
      std::uint64_t drained;
      while (::read(wakefd_, &drained, sizeof drained) > 0) {
      }
      it.woken = true;
      continue;
    }
    const int fd = static_cast<int>(static_cast<std::uint32_t>(k));
    auto w = watches_.find(fd);
    if (w == watches_.end() || w->second->generation != static_cast<std::uint32_t>(k >> 32)) continue;
    unsigned bits = 0;
    if (events[i].events & EPOLLIN) bits |= kReadable;
    if (events[i].events & EPOLLOUT) bits |= kWritable;
    if (events[i].events & (EPOLLERR | EPOLLHUP)) bits |= kError;
    const std::shared_ptr<Watch> keep = w->second;  // the callback may remove itself
    keep->cb(bits);
    ++it.fd_callbacks;
  }
  if (it.fd_callbacks > 0 && options_.busy_poll > Duration::zero()) last_activity_ = monotonic_now();
  if (timer_at_ != kInstantNever) {
    const Instant t = monotonic_now();
    if (t >= timer_at_) {
      TimerCallback cb = std::move(timer_cb_);
      timer_at_ = kInstantNever;
      timer_cb_ = nullptr;
      it.timer_fired = true;
      if (cb) cb(t);
    }
  }
  return it;
}

Status EventLoop::run_until(Instant until) {
  while (!take_stop_request()) {  // consuming the flag lets the loop run again later
    auto r = run_once(until);
    if (!r.ok()) return std::move(r).error();
    if (until != kInstantNever && monotonic_now() >= until) break;
  }
  return {};
}

void EventLoop::stop() noexcept {
  stop_.store(true, std::memory_order_release);
  wake();
}

void EventLoop::wake() noexcept {
  const std::uint64_t one = 1;
  (void)!::write(wakefd_, &one, sizeof one);
}

bool EventLoop::stop_requested() const noexcept { return stop_.load(std::memory_order_acquire); }

}  // namespace kettle::net
