// The network conditioner model: one direction of a link with loss, latency, jitter,
// duplication, reordering and a rate limit with a drop-tail queue (see LinkSettings).
//
// Pure and deterministic: no sockets, no clock, no threads. Time comes in as `now`, every random
// choice comes from a kettle::Rng seeded at construction, so the same seed and the same sequence
// of push/pop calls give the same output, byte for byte and microsecond for microsecond. The UDP
// proxy drives it with monotonic_now(); the simulator drives the same model with a virtual clock.
//
// Use: push() each datagram as it enters the link; deliver whatever pop_ready(now) yields; wake
// up again at next_ready(). `now` must never go backwards.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/address.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/rng.hpp"
#include "core/time.hpp"
#include "net/link_settings.hpp"

namespace kettle::net {

// A datagram in flight. from/to are opaque routing tags carried through unchanged.
struct Datagram {
  Address from;
  Address to;
  std::vector<std::uint8_t> data;
};

// Every datagram pushed ends up in exactly one of: passed, lost, rate_dropped, overflow_dropped
// or still pending. Duplicates add to passed (and duplicated) without a push.
struct ConditionerCounters {
  std::uint64_t pushed = 0;
  std::uint64_t passed = 0;  // delivered by pop_ready, duplicates included
  std::uint64_t lost = 0;    // random loss
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t rate_dropped = 0;      // the bottleneck queue was full (drop-tail)
  std::uint64_t overflow_dropped = 0;  // max_pending_bytes reached
  std::uint64_t bytes_pushed = 0;
  std::uint64_t bytes_passed = 0;

  ConditionerCounters& operator+=(const ConditionerCounters& o) noexcept;
  // "passed=N lost=N dup=N reordered=N rate_dropped=N overflow=N"
  std::string to_string() const;
};

class Conditioner {
 public:
  // Errors: invalid_argument (settings.validate() failed; the message names the option and range).
  static Result<Conditioner> create(const LinkSettings& settings, std::uint64_t seed);

  // Takes a copy of `data` into the link at `now`.
  void push(Bytes data, Instant now, const Address& from = {}, const Address& to = {});
  // If a datagram is due at `now`, moves it into `out` and returns true. out.data's previous
  // buffer is recycled for later pushes, so a caller reusing one Datagram allocates nothing.
  bool pop_ready(Instant now, Datagram& out);
  // When the next datagram is due (kInstantNever when empty).
  Instant next_ready() const noexcept { return heap_.empty() ? kInstantNever : heap_.front().at; }

  std::size_t pending() const noexcept { return heap_.size(); }
  std::uint64_t pending_bytes() const noexcept { return pending_bytes_; }
  const ConditionerCounters& counters() const noexcept { return counters_; }
  const LinkSettings& settings() const noexcept { return settings_; }

 private:
  Conditioner(const LinkSettings& s, std::uint64_t seed) : settings_(s), rng_(seed) {}
  struct Entry {
    Instant at;
    std::uint64_t seq;  // push order; breaks ties so equal-time datagrams stay FIFO
    Datagram d;
  };
  static bool later(const Entry& a, const Entry& b) noexcept { return a.at != b.at ? a.at > b.at : a.seq > b.seq; }
  void schedule(Instant at, Bytes data, const Address& from, const Address& to);
  // Rate limiter: when the datagram finishes crossing the bottleneck, or kInstantNever if the
  // drop-tail queue is full.
  Instant depart(std::size_t size, Instant now);

  LinkSettings settings_;
  Rng rng_;
  std::vector<Entry> heap_;                      // min-heap on (at, seq)
  std::vector<std::vector<std::uint8_t>> pool_;  // recycled payload buffers
  std::uint64_t seq_ = 0;
  std::uint64_t pending_bytes_ = 0;
  std::int64_t link_free_ns_ = 0;         // bottleneck busy until then (ns, same epoch as Instant)
  Instant last_in_order_ = kInstantZero;  // latest delivery time of a non-reordered datagram
  ConditionerCounters counters_;
};

// Both directions of a link, seeded independently from one seed.
struct ConditionerPair {
  Conditioner up;    // client → server
  Conditioner down;  // server → client
  // Errors: invalid_argument, prefixed with "up: " or "down: ".
  static Result<ConditionerPair> create(const LinkPairSettings& settings, std::uint64_t seed);
};

}  // namespace kettle::net
