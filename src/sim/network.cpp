#include "sim/network.hpp"

#include <algorithm>
#include <cassert>

namespace kettle::sim {

namespace {
// Large enough for a full GSO batch from poll_transmit.
constexpr std::size_t kTransmitBufferBytes = 64 * 1024;
}  // namespace

Network::Network(std::uint64_t seed, Instant start) : seed_(seed), now_(start), buf_(kTransmitBufferBytes) {}

transport::Endpoint& Network::add_node(const Address& addr, std::unique_ptr<transport::Endpoint> ep) {
  assert(index_of(addr) == SIZE_MAX);
  nodes_.push_back(Node{addr, std::move(ep)});
  return *nodes_.back().ep;
}

transport::Endpoint& Network::node(const Address& addr) {
  const std::size_t i = index_of(addr);
  assert(i != SIZE_MAX);
  return *nodes_[i].ep;
}

std::size_t Network::index_of(const Address& a) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].addr == a) return i;
  return SIZE_MAX;
}

Status Network::set_link(const Address& from, const Address& to, const net::LinkSettings& settings) {
  const std::size_t f = index_of(from), t = index_of(to);
  if (f == SIZE_MAX || t == SIZE_MAX) return {Errc::invalid_argument, "set_link: both addresses must be nodes"};
  auto cond = net::Conditioner::create(settings, seed_ ^ (0x9e3779b97f4a7c15ULL * ++links_created_));
  if (!cond) return std::move(cond).error();
  links_.insert_or_assign(LinkKey{f, t}, Link{std::move(*cond)});
  return {};
}

Status Network::set_link_both(const Address& a, const Address& b, const net::LinkSettings& settings) {
  KETTLE_TRY(set_link(a, b, settings));
  return set_link(b, a, settings);
}

Network::Link& Network::link_for(std::size_t from, std::size_t to) {
  auto it = links_.find(LinkKey{from, to});
  if (it != links_.end()) return it->second;
  net::LinkSettings s;
  s.latency = default_latency_;
  auto cond = net::Conditioner::create(s, seed_ ^ (0x9e3779b97f4a7c15ULL * ++links_created_));
  assert(cond.ok());
  return links_.emplace(LinkKey{from, to}, Link{std::move(*cond)}).first->second;
}

const net::ConditionerCounters* Network::link_counters(const Address& from, const Address& to) const {
  auto it = links_.find(LinkKey{index_of(from), index_of(to)});
  return it == links_.end() ? nullptr : &it->second.cond.counters();
}

void Network::drain_transmits() {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    auto& n = nodes_[i];
    while (auto tx = n.ep->poll_transmit(now_, buf_)) {
      const std::size_t to = index_of(tx->to);
      const std::size_t seg = tx->segment_size == 0 ? tx->size : tx->segment_size;
      for (std::size_t off = 0; off < tx->size; off += seg) {
        const Bytes d = Bytes(buf_).subspan(off, std::min(seg, tx->size - off));
        ++stats_.datagrams_sent;
        if (to == SIZE_MAX) {
          ++stats_.datagrams_unroutable;
          continue;
        }
        if (filter_ && !filter_(n.addr, tx->to, d)) {
          ++stats_.datagrams_filtered;
          continue;
        }
        link_for(i, to).cond.push(d, now_, n.addr, tx->to);
      }
    }
  }
}

bool Network::step() {
  ++stats_.steps;
  drain_transmits();

  Instant next = kInstantNever;
  for (auto& n : nodes_) next = std::min(next, n.ep->next_deadline());
  for (auto& [key, link] : links_) next = std::min(next, link.cond.next_ready());
  if (next == kInstantNever) return false;
  now_ = std::max(now_, next);

  // Deliveries first (in link order), then timers: a datagram due at the same
  // instant as a timer is seen before the timer fires, as on a real host.
  for (auto& [key, link] : links_) {
    while (link.cond.pop_ready(now_, scratch_)) {
      ++stats_.datagrams_delivered;
      mix(static_cast<std::uint64_t>(to_us(now_)));
      mix((key.first << 16) | key.second);
      mix(scratch_.data.size());
      nodes_[key.second].ep->on_datagram(scratch_.data, scratch_.from, now_);
    }
  }
  for (auto& n : nodes_)
    if (n.ep->next_deadline() <= now_) n.ep->on_timer(now_);
  return true;
}

bool Network::run_until(const std::function<bool()>& done, Instant deadline, std::uint64_t max_steps) {
  for (std::uint64_t i = 0; i < max_steps; ++i) {
    if (done()) return true;
    if (now_ > deadline) return false;
    if (!step()) return done();
  }
  return done();
}

bool Network::run_for(Duration d, std::uint64_t max_steps) {
  const Instant end = now_ + d;
  return run_until([&] { return now_ >= end; }, end, max_steps);
}

}  // namespace kettle::sim
