// Worker threads for slow login checks (Argon2id password verification takes tens of
// milliseconds and must never run on the I/O thread). A job runs on a worker and returns a
// completion; completions are queued under a mutex and the I/O thread runs them after the
// wake callback has woken its EventLoop, so all session state stays single-threaded.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/result.hpp"

namespace kettle::server {

class AuthPool {
 public:
  using Completion = std::function<void()>;  // runs on the I/O thread
  using Job = std::function<Completion()>;   // runs on a worker
  using WakeFn = std::function<void()>;      // thread-safe, e.g. EventLoop::wake

  // Queued jobs beyond this are refused (the client gets "server busy"), bounding memory when
  // logins arrive faster than the workers can hash.
  static constexpr std::size_t kMaxQueuedJobs = 1024;

  AuthPool(std::size_t threads, WakeFn wake);
  ~AuthPool();  // stops the workers; queued jobs are dropped, running ones finish
  AuthPool(const AuthPool&) = delete;
  AuthPool& operator=(const AuthPool&) = delete;

  // Errors: would_block (queue full).
  Status submit(Job job);
  // Completions ready now, in the order they finished. I/O thread only.
  std::vector<Completion> take_completions();
  std::size_t queued() const;

 private:
  void worker();

  WakeFn wake_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::vector<Completion> done_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace kettle::server
