#include "net/conditioner.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kettle::net {
namespace {

// Recycled buffers kept for reuse; beyond this they are freed (bounds memory after a burst).
constexpr std::size_t kMaxPooledBuffers = 4096;
constexpr std::uint64_t kNsPerSecond = 1'000'000'000;

}  // namespace

ConditionerCounters& ConditionerCounters::operator+=(const ConditionerCounters& o) noexcept {
  pushed += o.pushed;
  passed += o.passed;
  lost += o.lost;
  duplicated += o.duplicated;
  reordered += o.reordered;
  rate_dropped += o.rate_dropped;
  overflow_dropped += o.overflow_dropped;
  bytes_pushed += o.bytes_pushed;
  bytes_passed += o.bytes_passed;
  return *this;
}

std::string ConditionerCounters::to_string() const {
  return fmt::format("passed={} lost={} dup={} reordered={} rate_dropped={} overflow={}", passed, lost, duplicated,
                     reordered, rate_dropped, overflow_dropped);
}

Result<Conditioner> Conditioner::create(const LinkSettings& settings, std::uint64_t seed) {
  KETTLE_TRY(settings.validate());
  return Conditioner(settings, seed);
}

Instant Conditioner::depart(std::size_t size, Instant now) {
  const std::uint64_t rate = settings_.rate_bytes_per_s;
  if (rate == 0) return now;
  const std::int64_t now_ns = to_us(now) * 1000;
  const auto backlog_ns = static_cast<std::uint64_t>(std::max<std::int64_t>(0, link_free_ns_ - now_ns));
  const auto backlog_bytes = static_cast<std::uint64_t>(static_cast<u128>(backlog_ns) * rate / kNsPerSecond);
  // Drop-tail; an idle link always takes one datagram, however small the queue.
  if (backlog_bytes > 0 && backlog_bytes + size > settings_.effective_queue_bytes()) return kInstantNever;
  const std::int64_t tx_ns = static_cast<std::int64_t>((static_cast<u128>(size) * kNsPerSecond + rate - 1) / rate);
  link_free_ns_ = std::max(link_free_ns_, now_ns) + tx_ns;
  return Instant{Duration{(link_free_ns_ + 999) / 1000}};
}

void Conditioner::push(Bytes data, Instant now, const Address& from, const Address& to) {
  ++counters_.pushed;
  counters_.bytes_pushed += data.size();
  if (rng_.chance(settings_.loss_percent / 100)) {
    ++counters_.lost;
    return;
  }
  if (pending_bytes_ + data.size() > settings_.max_pending_bytes) {
    ++counters_.overflow_dropped;
    return;
  }
  const Instant departed = depart(data.size(), now);
  if (departed == kInstantNever) {
    ++counters_.rate_dropped;
    return;
  }
  Duration delay = settings_.latency;
  if (settings_.jitter > Duration::zero()) {
    const auto j = static_cast<std::uint64_t>(to_us(settings_.jitter));
    delay += Duration{static_cast<std::int64_t>(rng_.range(0, 2 * j)) - static_cast<std::int64_t>(j)};
    delay = std::max(delay, Duration::zero());
  }
  Instant at = departed + delay;
  if (rng_.chance(settings_.reorder_percent / 100)) {
    at += settings_.reorder_delay;  // exempt from the ordering rule, so later datagrams overtake it
    ++counters_.reordered;
  } else {
    at = std::max(at, last_in_order_);
    last_in_order_ = at;
  }
  schedule(at, data, from, to);
  if (rng_.chance(settings_.duplicate_percent / 100)) {
    schedule(at, data, from, to);
    ++counters_.duplicated;
  }
}

void Conditioner::schedule(Instant at, Bytes data, const Address& from, const Address& to) {
  std::vector<std::uint8_t> buf;
  if (!pool_.empty()) {
    buf = std::move(pool_.back());
    pool_.pop_back();
  }
  buf.assign(data.begin(), data.end());
  pending_bytes_ += data.size();
  heap_.push_back(Entry{at, seq_++, Datagram{from, to, std::move(buf)}});
  std::push_heap(heap_.begin(), heap_.end(), later);
}

bool Conditioner::pop_ready(Instant now, Datagram& out) {
  if (heap_.empty() || heap_.front().at > now) return false;
  std::pop_heap(heap_.begin(), heap_.end(), later);
  if (out.data.capacity() > 0 && pool_.size() < kMaxPooledBuffers) pool_.push_back(std::move(out.data));
  out = std::move(heap_.back().d);
  heap_.pop_back();
  pending_bytes_ -= out.data.size();
  ++counters_.passed;
  counters_.bytes_passed += out.data.size();
  return true;
}

Result<ConditionerPair> ConditionerPair::create(const LinkPairSettings& settings, std::uint64_t seed) {
  Rng split(seed);  // independent streams per direction, both fixed by `seed`
  const std::uint64_t up_seed = split.next();
  const std::uint64_t down_seed = split.next();
  auto up = Conditioner::create(settings.up, up_seed);
  if (!up.ok()) return Error{Errc::invalid_argument, "up: " + up.error().message};
  auto down = Conditioner::create(settings.down, down_seed);
  if (!down.ok()) return Error{Errc::invalid_argument, "down: " + down.error().message};
  return ConditionerPair{std::move(up).value(), std::move(down).value()};
}

}  // namespace kettle::net
