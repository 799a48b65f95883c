#include "client/callback_queue.hpp"

#include <vector>

namespace kettle::client {

void CallbackQueue::post_raw(int callback_id, std::shared_ptr<const void> data) {
  std::lock_guard lock(mu_);
  queue_.push_back(Item{callback_id, std::move(data)});
}

void CallbackQueue::at_next_run(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  next_run_.push_back(std::move(fn));
}

CallbackQueue::Handle CallbackQueue::subscribe(int callback_id, RawHandler fn) {
  auto sub = std::make_shared<Sub>();
  sub->callback_id = callback_id;
  sub->fn = std::move(fn);
  std::lock_guard lock(mu_);
  const Handle h = next_handle_++;
  subs_.emplace(h, std::move(sub));
  return h;
}

void CallbackQueue::unsubscribe(Handle h) {
  std::lock_guard lock(mu_);
  auto it = subs_.find(h);
  if (it == subs_.end()) return;
  it->second->active.store(false, std::memory_order_release);
  subs_.erase(it);
}

void CallbackQueue::run() {
  if (running_.exchange(true, std::memory_order_acq_rel)) return;  // nested or concurrent: no-op
  std::deque<Item> batch;
  std::vector<std::function<void()>> first;
  std::uint64_t epoch = 0;
  {
    std::lock_guard lock(mu_);
    batch.swap(queue_);
    first.swap(next_run_);
    epoch = epoch_.load(std::memory_order_relaxed);
  }
  for (auto& fn : first) fn();
  // If a handler throws, the undelivered rest goes back to the front so nothing is lost and
  // the next run() can proceed.
  struct Guard {
    CallbackQueue& q;
    std::deque<Item>& rest;
    ~Guard() {
      if (!rest.empty()) {
        std::lock_guard lock(q.mu_);
        q.queue_.insert(q.queue_.begin(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
      }
      q.running_.store(false, std::memory_order_release);
    }
  } guard{*this, batch};

  std::vector<std::shared_ptr<Sub>> targets;
  while (!batch.empty()) {
    if (epoch_.load(std::memory_order_acquire) != epoch) {  // a handler shut the client down
      batch.clear();
      break;
    }
    Item item = std::move(batch.front());
    batch.pop_front();
    if (item.apply) item.apply();
    targets.clear();
    {
      std::lock_guard lock(mu_);
      for (const auto& [h, sub] : subs_) {
        if (sub->callback_id == item.callback_id) targets.push_back(sub);
      }
    }
    for (const auto& sub : targets) {
      if (sub->active.load(std::memory_order_acquire)) sub->fn(item.data.get());
    }
  }
}

void CallbackQueue::clear() {
  std::lock_guard lock(mu_);
  queue_.clear();
  next_run_.clear();
  epoch_.fetch_add(1, std::memory_order_acq_rel);
}

std::size_t CallbackQueue::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace kettle::client
