// Deterministic network simulator: N transport endpoints over a virtual clock,
// connected by directed links that use the same conditioner model as the real
// UDP proxy (net::Conditioner). Time only moves when the simulator jumps to the
// earliest pending event (an endpoint deadline or a datagram arrival), so an hour
// of lossy traffic runs in seconds, and a run depends only on its seed.
//
// "Same seed ⇒ same run" covers every timing, size, drop, delivery and message:
// the trace hash (trace_hash()) is identical across runs. Ciphertext bytes differ,
// because key material always comes from libsodium's CSPRNG — the simulator never
// weakens the crypto it exercises.
//
// Tests and fuzzers only; the library never links it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "core/address.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "net/conditioner.hpp"
#include "transport/endpoint.hpp"

namespace kettle::sim {

struct NetworkStats {
  std::uint64_t steps = 0;
  std::uint64_t datagrams_sent = 0;        // segments handed to links (GSO batches split)
  std::uint64_t datagrams_delivered = 0;   // including conditioner duplicates
  std::uint64_t datagrams_unroutable = 0;  // no node at the destination address
  std::uint64_t datagrams_filtered = 0;    // dropped by a test filter
};

class Network {
 public:
  // `seed` seeds every link's conditioner (each link gets seed ^ its creation index).
  explicit Network(std::uint64_t seed, Instant start = Instant{secs(1)});

  Instant now() const noexcept { return now_; }
  std::uint64_t seed() const noexcept { return seed_; }

  // Adds an endpoint reachable at `addr`. Returns it for convenience (the Network owns it).
  transport::Endpoint& add_node(const Address& addr, std::unique_ptr<transport::Endpoint> ep);
  transport::Endpoint& node(const Address& addr);

  // Conditions traffic from `from` to `to` (directed). Unset links deliver after
  // default_latency with no impairment. Errors: invalid_argument from the settings.
  Status set_link(const Address& from, const Address& to, const net::LinkSettings& settings);
  // Both directions with the same settings.
  Status set_link_both(const Address& a, const Address& b, const net::LinkSettings& settings);
  void set_default_latency(Duration d) { default_latency_ = d; }

  // Optional test hook, consulted for every datagram leaving a node before it enters
  // its link: return false to drop it (counted in datagrams_filtered).
  using Filter = std::function<bool(const Address& from, const Address& to, Bytes datagram)>;
  void set_filter(Filter f) { filter_ = std::move(f); }

  // Drains every node's transmits into links, jumps the clock to the earliest
  // event, delivers the datagrams due then and fires due timers. Returns false
  // when nothing at all is scheduled (the network is idle forever).
  bool step();
  // Steps until `done()` is true (checked before the first step and after each),
  // virtual time passes `deadline`, or `max_steps` steps ran. Returns done().
  bool run_until(const std::function<bool()>& done, Instant deadline, std::uint64_t max_steps = 50'000'000);
  bool run_for(Duration d, std::uint64_t max_steps = 50'000'000);

  const NetworkStats& stats() const noexcept { return stats_; }
  // Order-sensitive hash of (time, from, to, size) of every delivery.
  std::uint64_t trace_hash() const noexcept { return trace_; }
  const net::ConditionerCounters* link_counters(const Address& from, const Address& to) const;

 private:
  struct Node {
    Address addr;
    std::unique_ptr<transport::Endpoint> ep;
  };
  struct Link {
    net::Conditioner cond;
  };
  using LinkKey = std::pair<std::size_t, std::size_t>;  // node indices; deterministic order

  void drain_transmits();
  Link& link_for(std::size_t from, std::size_t to);
  std::size_t index_of(const Address& a) const;  // SIZE_MAX when unknown
  void mix(std::uint64_t v) noexcept { trace_ = (trace_ ^ v) * 0x100000001b3ULL; }

  std::uint64_t seed_;
  Instant now_;
  Duration default_latency_ = ms(1);
  std::vector<Node> nodes_;
  std::map<LinkKey, Link> links_;
  std::uint64_t links_created_ = 0;
  std::vector<std::uint8_t> buf_;
  net::Datagram scratch_;
  Filter filter_;
  NetworkStats stats_;
  std::uint64_t trace_ = 0xcbf29ce484222325ULL;
};

}  // namespace kettle::sim
