#include "server/auth_pool.hpp"

#include <utility>

namespace kettle::server {

AuthPool::AuthPool(std::size_t threads, WakeFn wake) : wake_(std::move(wake)) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { worker(); });
}

AuthPool::~AuthPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

Status AuthPool::submit(Job job) {
  {
    std::lock_guard lock(mu_);
    if (jobs_.size() >= kMaxQueuedJobs) return make_error(Errc::would_block, "auth queue full");
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return {};
}

std::vector<AuthPool::Completion> AuthPool::take_completions() {
  std::lock_guard lock(mu_);
  return std::exchange(done_, {});
}

std::size_t AuthPool::queued() const {
  std::lock_guard lock(mu_);
  return jobs_.size();
}

void AuthPool::worker() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Completion c = job();
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      done_.push_back(std::move(c));
    }
    wake_();
  }
}

}  // namespace kettle::server
