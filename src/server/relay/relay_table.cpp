// The relay's allocation table and forwarding rule (docs/protocol.md §13.2), see relay_table.hpp.
#include "server/relay/relay_table.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace kettle::server::relay {

namespace {

// Sweeps for idle allocations at most this often, so a server with many allocations does not
// scan them on every loop iteration; an allocation lives at most this much past its timeout.
constexpr Duration kMinSweepGap = secs(1);

}  // namespace

RelayTable::RelayTable(const RelayLimits& limits) : limits_(limits) { randombytes_buf(id_key_.data(), id_key_.size()); }

// Four Feistel rounds over the two 32-bit halves of the counter, SipHash-2-4 as the round
// function: a permutation of the 64-bit space, so distinct counters give distinct ids.
std::uint64_t RelayTable::next_id() {
  for (;;) {
    const std::uint64_t n = ++id_counter_;
    auto left = static_cast<std::uint32_t>(n >> 32);
    auto right = static_cast<std::uint32_t>(n);
    for (std::uint8_t round = 0; round < 4; ++round) {
      std::uint8_t in[5] = {round};
      store_le32(in + 1, right);
      std::uint8_t h[crypto_shorthash_BYTES];
      crypto_shorthash(h, in, sizeof in, id_key_.data());
      const std::uint32_t f = load_le32(h);
      const std::uint32_t next_right = left ^ f;
      left = right;
      right = next_right;
    }
    const std::uint64_t id = static_cast<std::uint64_t>(left) << 32 | right;
    if (id != 0) return id;
  }
}

Result<Grant> RelayTable::allocate(Owner member0, Owner member1, Instant now, const Address& hint0,
                                   const Address& hint1) {
  if (member0 == member1) return make_error(Errc::invalid_argument, "relay: both members are the same session");
  std::size_t& created = created_by_[member0];
  if (created >= limits_.max_allocations) {
    return make_error(Errc::would_block, "relay: " + std::to_string(created) + " allocations held, the limit is " +
                                             std::to_string(limits_.max_allocations));
  }
  Grant g;
  g.allocation = next_id();
  Allocation a;
  randombytes_buf(a.token[0].data(), a.token[0].size());
  randombytes_buf(a.token[1].data(), a.token[1].size());
  a.owner = {member0, member1};
  a.addr = {hint0, hint1};
  a.budget = static_cast<double>(limits_.rate_bytes);
  a.refilled = now;
  a.last_forward = now;
  g.token0 = a.token[0];
  g.token1 = a.token[1];
  allocations_.emplace(g.allocation, a);
  by_owner_[member0].insert(g.allocation);
  by_owner_[member1].insert(g.allocation);
  ++created;
  ++counters_.allocations_total;
  next_sweep_ = std::min(next_sweep_, now + limits_.idle_timeout);
  return g;
}

std::optional<Forward> RelayTable::on_datagram(Bytes d, const Address& from, Instant now, MutBytes out) {
  if (d.size() < kToRelayHeaderBytes || d[0] != kToRelay || d[1] != kRelayVersion) return drop(Drop::malformed);
  const Bytes payload = d.subspan(kToRelayHeaderBytes);
  if (payload.size() > kMaxRelayPayload) return drop(Drop::oversized);
  const std::uint64_t id = load_le64(d.data() + 2);
  auto it = allocations_.find(id);
  if (it == allocations_.end()) return drop(Drop::unknown_allocation);
  Allocation& a = it->second;
  const std::uint8_t* token = d.data() + 10;
  // Both compares always run, so the time taken does not tell which member's token matched.
  const bool is0 = sodium_memcmp(token, a.token[0].data(), control::kRelayTokenBytes) == 0;
  const bool is1 = sodium_memcmp(token, a.token[1].data(), control::kRelayTokenBytes) == 0;
  if (!is0 && !is1) return drop(Drop::bad_token);
  const int member = is0 ? 0 : 1;
  a.addr[member] = from;
  if (payload.empty()) {
    ++counters_.binds;
    return std::nullopt;
  }
  const Address& to = a.addr[1 - member];
  if (!to.is_set()) return drop(Drop::peer_unbound);

  const std::size_t size = kFromRelayHeaderBytes + payload.size();
  const double rate = static_cast<double>(limits_.rate_bytes);
  if (now > a.refilled) {
    a.budget = std::min(rate, a.budget + rate * static_cast<double>(to_us(now - a.refilled)) / 1e6);
    a.refilled = now;
  }
  if (a.budget < static_cast<double>(size)) return drop(Drop::rate_limited);
  a.budget -= static_cast<double>(size);
  a.last_forward = now;

  out[0] = kFromRelay;
  out[1] = kRelayVersion;
  store_le64(out.data() + 2, id);
  std::memcpy(out.data() + kFromRelayHeaderBytes, payload.data(), payload.size());
  ++counters_.forwarded_datagrams;
  counters_.forwarded_bytes += size;
  return Forward{to, size};
}

void RelayTable::unlink(Owner owner, std::uint64_t id) {
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end()) return;
  it->second.erase(id);
  if (it->second.empty()) by_owner_.erase(it);
}

void RelayTable::erase(std::unordered_map<std::uint64_t, Allocation>::iterator it) {
  const Allocation& a = it->second;
  unlink(a.owner[0], it->first);
  unlink(a.owner[1], it->first);
  if (auto c = created_by_.find(a.owner[0]); c != created_by_.end() && --c->second == 0) created_by_.erase(c);
  allocations_.erase(it);
}

void RelayTable::drop_owner(Owner owner) {
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end()) return;
  const std::unordered_set<std::uint64_t> ids = std::move(it->second);
  by_owner_.erase(it);
  for (const std::uint64_t id : ids) {
    if (auto a = allocations_.find(id); a != allocations_.end()) erase(a);
  }
}

void RelayTable::expire(Instant now) {
  if (allocations_.empty() || now < next_sweep_) return;
  Instant earliest = kInstantNever;
  for (auto it = allocations_.begin(); it != allocations_.end();) {
    const Instant at = it->second.last_forward + limits_.idle_timeout;
    if (at <= now) {
      auto next = std::next(it);
      erase(it);
      ++counters_.expired_total;
      it = next;
    } else {
      earliest = std::min(earliest, at);
      ++it;
    }
  }
  next_sweep_ = allocations_.empty() ? kInstantNever : std::max(earliest, now + kMinSweepGap);
}

std::size_t RelayTable::allocations_of(Owner member0) const {
  auto it = created_by_.find(member0);
  return it == created_by_.end() ? 0 : it->second;
}

}  // namespace kettle::server::relay
