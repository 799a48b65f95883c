// Settings of one direction of a conditioned link, their validation, and the compact text spec
// used by tools: "loss=5%,latency=25ms,jitter=5ms,dup=1%,reorder=2%,rate=10MB/s,queue=50ms".
//
// Every option is one row of the table in link_settings.cpp (name, unit, range, why); validate(),
// parse() and to_string() all read that table. Out-of-range values are errors that name the
// option and its range; nothing is clamped. Defaults are a perfect link (pass-through).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"

namespace kettle::net {

struct LinkSettings {
  double loss_percent = 0;  // each datagram is dropped independently with this probability
  Duration latency{0};      // added one-way delay
  // Each datagram's delay is uniform in [latency - jitter, latency + jitter] (floored at 0), but
  // jitter alone never reorders: a datagram is not delivered before the one pushed ahead of it.
  // At high packet rates the delay therefore sits near latency + jitter.
  Duration jitter{0};
  double duplicate_percent = 0;  // a duplicate is delivered right after the original
  // A reordered datagram gets reorder_delay on top of its normal delay and is exempt from the
  // ordering rule, so datagrams pushed within reorder_delay after it overtake it.
  double reorder_percent = 0;
  Duration reorder_delay = ms(10);
  // Bottleneck rate in bytes/s (0 = unlimited). Datagrams are serialized one after another at
  // this rate; the bytes not yet serialized (the one on the wire included) form a drop-tail queue
  // bounded by queue_bytes, or (when queue_bytes == 0) by queue_delay worth of bytes at `rate`.
  // An idle link always accepts one datagram, however small the queue.
  std::uint64_t rate_bytes_per_s = 0;
  std::uint64_t queue_bytes = 0;
  Duration queue_delay = ms(50);
  // Memory bound on everything held by the conditioner (delay line + queue); beyond it datagrams
  // are dropped and counted as overflow. 64 MiB holds 500 ms at 100 MB/s.
  std::uint64_t max_pending_bytes = 64u << 20;

  // Errors: invalid_argument naming the first option out of range and the range.
  Status validate() const;
  // The queue limit in bytes that applies (0 when there is no rate limit).
  std::uint64_t effective_queue_bytes() const noexcept;
  // True when the link changes nothing (every datagram is delivered at once, exactly once).
  bool is_passthrough() const noexcept;

  // Parses a spec: comma-separated key=value pairs, any order, later keys win. Empty or "none"
  // is a perfect link. Keys and units (MB = 10^6 bytes, MiB = 2^20):
  //   loss, dup, reorder    percent: "5%", "0.5" (the % sign is optional)
  //   latency, jitter, reorder_delay   duration: "25ms", "500us", "1.5s" ("0" needs no unit)
  //   rate                  B/s, KB/s, MB/s, GB/s, KiB/s, MiB/s, GiB/s, kbit/s, Mbit/s, Gbit/s; 0 = unlimited
  //   queue                 bytes ("64KB", "1MiB") or a duration at `rate` ("50ms")
  //   max_pending           bytes
  // Errors: invalid_argument with the offending key or value, and the accepted forms/range.
  static Result<LinkSettings> parse(std::string_view spec);
  // A spec that parse() turns back into equal settings; only non-default options are listed.
  std::string to_string() const;

  friend bool operator==(const LinkSettings&, const LinkSettings&) = default;
};

// Both directions of a link; `up` is client→server (the proxy's listen side to upstream).
struct LinkPairSettings {
  LinkSettings up;
  LinkSettings down;
};

}  // namespace kettle::net
