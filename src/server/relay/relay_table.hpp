// kettle-server's relay (docs/protocol.md §13): the allocation table and the per-datagram
// forwarding rule, sans-IO. The server's I/O thread feeds it every datagram that arrives on the
// relay socket and sends what on_datagram() hands back; ServerCore allocates on AllocateRelay
// and drops a session's allocations when it ends.
//
//   to relay:   0x10 | version 1 | allocation u64 | token [16] | payload (≤ 1400)
//   from relay: 0x11 | version 1 | allocation u64 | payload
//
// The relay never decrypts anything: payloads are transport datagrams, end-to-end encrypted
// between the two members. Only a holder of a member's token can make it forward. Tokens are
// compared in constant time and never logged.
//
// The per-datagram path allocates nothing: the forwarded datagram is written into the caller's
// buffer. Single-threaded (the I/O thread).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "control/messages.hpp"
#include "control/relay_wire.hpp"
#include "core/address.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace kettle::server::relay {

using control::kFromRelay;
using control::kFromRelayHeaderBytes;
using control::kMaxRelayPayload;
using control::kRelayVersion;
using control::kToRelay;
using control::kToRelayHeaderBytes;
// Size of the buffer on_datagram() needs for any datagram it forwards.
inline constexpr std::size_t kMaxForwardBytes = kFromRelayHeaderBytes + kMaxRelayPayload;

struct RelayLimits {
  std::uint64_t rate_bytes = 8'000'000;  // relay_rate_bytes: per allocation, both directions; burst = 1 s
  Duration idle_timeout = secs(60);      // relay_idle_timeout: dropped after this without a forward
  std::size_t max_allocations = 64;      // relay_max_allocations: per session, as member 0 (the caller)
};

// Who a member is: the server session's serial (unique for the server's lifetime).
using Owner = std::uint64_t;

struct Grant {
  std::uint64_t allocation = 0;
  control::RelayToken token0{};  // member 0 (the caller)
  control::RelayToken token1{};  // member 1 (the peer)
};

// Why a datagram was not forwarded. A bind (empty payload, valid token) is not a drop.
enum class Drop : std::uint8_t {
  malformed,           // not 0x10 / version 1, or shorter than the header
  oversized,           // payload over kMaxRelayPayload
  unknown_allocation,  // no such allocation (never was, expired or dropped)
  bad_token,           // the token matches neither member
  peer_unbound,        // the other member has not sent from any address yet
  rate_limited,        // the allocation's byte budget is spent
};
inline constexpr std::size_t kDropReasons = 6;
constexpr std::string_view drop_name(Drop d) noexcept {
  switch (d) {
    case Drop::malformed:
      return "malformed";
    case Drop::oversized:
      return "oversized";
    case Drop::unknown_allocation:
      return "unknown_allocation";
    case Drop::bad_token:
      return "bad_token";
    case Drop::peer_unbound:
      return "peer_unbound";
    case Drop::rate_limited:
      return "rate_limited";
  }
  return "unknown";
}

struct RelayCounters {
  std::uint64_t allocations_total = 0;
  std::uint64_t expired_total = 0;  // dropped by relay_idle_timeout
  std::uint64_t binds = 0;          // accepted datagrams with an empty payload
  std::uint64_t forwarded_datagrams = 0;
  std::uint64_t forwarded_bytes = 0;  // whole 0x11 datagrams
  std::array<std::uint64_t, kDropReasons> dropped{};
  std::uint64_t dropped_total() const noexcept {
    std::uint64_t n = 0;
    for (auto d : dropped) n += d;
    return n;
  }
};

// A datagram to send: `size` bytes of the caller's buffer, to `to`.
struct Forward {
  Address to;
  std::size_t size = 0;
};

class RelayTable {
 public:
  // Requires crypto::init() (libsodium) to have succeeded.
  explicit RelayTable(const RelayLimits& limits);

  // A new allocation for member0 (the caller) and member1 (the peer), with two fresh random
  // tokens. `hint0`/`hint1`, if set, are where each member's first forward goes before it binds:
  // its control connection's address. A client uses one socket for both, so behind a NAT
  // with endpoint-independent mapping (or none) that is already right, and the peer's first
  // HELLO is not dropped while its bind is on the way; a wrong hint is replaced by the first
  // datagram the member sends. Errors: would_block (member0 already holds max_allocations),
  // invalid_argument (member0 == member1).
  Result<Grant> allocate(Owner member0, Owner member1, Instant now, const Address& hint0 = {},
                         const Address& hint1 = {});

  // One datagram from the relay socket. If it is to be forwarded, writes the 0x11 datagram into
  // `out` (at least kMaxForwardBytes) and returns where to send it; otherwise nullopt (a bind,
  // or a drop counted by reason).
  std::optional<Forward> on_datagram(Bytes datagram, const Address& from, Instant now, MutBytes out);

  // The session `owner` ended: drops every allocation it is a member of.
  void drop_owner(Owner owner);
  // Drops allocations idle for relay_idle_timeout. Cheap to call often: it scans only when
  // now >= next_deadline().
  void expire(Instant now);
  Instant next_deadline() const noexcept { return allocations_.empty() ? kInstantNever : next_sweep_; }

  std::size_t live() const noexcept { return allocations_.size(); }
  std::size_t allocations_of(Owner member0) const;  // as member 0
  bool contains(std::uint64_t allocation) const { return allocations_.contains(allocation); }
  const RelayCounters& counters() const noexcept { return counters_; }
  const RelayLimits& limits() const noexcept { return limits_; }

 private:
  struct Allocation {
    std::array<control::RelayToken, 2> token{};
    std::array<Owner, 2> owner{};
    std::array<Address, 2> addr{};  // unset until that member's first datagram
    double budget = 0;              // bytes the token bucket allows now
    Instant refilled{};
    Instant last_forward{};  // or creation
  };

  std::uint64_t next_id();
  void erase(std::unordered_map<std::uint64_t, Allocation>::iterator it);
  void unlink(Owner owner, std::uint64_t id);
  std::nullopt_t drop(Drop why) noexcept {
    ++counters_.dropped[static_cast<std::size_t>(why)];
    return std::nullopt;
  }

  RelayLimits limits_;
  std::unordered_map<std::uint64_t, Allocation> allocations_;
  std::unordered_map<Owner, std::unordered_set<std::uint64_t>> by_owner_;  // both members
  std::unordered_map<Owner, std::size_t> created_by_;                      // member-0 counts
  // Ids are a keyed permutation (Feistel over SipHash) of a counter: they look random to
  // clients, are never 0 and can never repeat while the server runs, without remembering them.
  std::array<std::uint8_t, 16> id_key_{};
  std::uint64_t id_counter_ = 0;
  Instant next_sweep_ = kInstantNever;
  RelayCounters counters_;
};

}  // namespace kettle::server::relay
