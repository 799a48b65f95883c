// Counters and estimates exposed per connection and per endpoint. Every dropped
// datagram or message has a reason and a counter (no silent drops).
#pragma once

#include <cstdint>

#include "core/address.hpp"
#include "core/time.hpp"

namespace kettle::transport {

struct ConnectionStats {
  Duration rtt_smoothed{0};
  Duration rtt_min{0};
  Duration rtt_variance{0};
  double loss_rate = 0;          // packets declared lost / packets sent (recent window)
  std::uint64_t bytes_sent = 0;  // UDP payload bytes, including headers and retransmissions
  std::uint64_t bytes_received = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t packets_lost = 0;
  std::uint64_t retransmitted_bytes = 0;    // reliable payload bytes sent again
  std::uint64_t retransmitted_packets = 0;  // packets that carried retransmitted data
  double send_rate_bytes_per_s = 0;         // congestion controller's bandwidth estimate
  double pacing_rate_bytes_per_s = 0;
  std::uint64_t cwnd_bytes = 0;
  std::uint64_t bytes_in_flight = 0;
  std::uint64_t queued_reliable_bytes = 0;    // accepted by send(), not yet acknowledged
  std::uint64_t queued_unreliable_bytes = 0;  // accepted by send(), not yet on the wire
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t unreliable_dropped_no_delay = 0;  // type-1 sends that could not go out now
  std::uint64_t unreliable_dropped_on_close = 0;
  std::uint64_t unreliable_dropped_unread = 0;  // arrived while the poll_message queue was full
  std::uint64_t undelivered_bytes = 0;          // delivered to the endpoint's queue, not yet polled
  Address peer_address;                         // where datagrams go now: follows the peer's roaming and migrate()
};

// Per-endpoint drop counters, one per reason a datagram is discarded.
struct EndpointStats {
  std::uint64_t datagrams_received = 0;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t dropped_too_short = 0;     // shorter than any valid header
  std::uint64_t dropped_unknown_type = 0;  // first byte is not a packet type
  std::uint64_t dropped_unknown_connection = 0;
  std::uint64_t dropped_auth_failed = 0;  // AEAD tag, signature or certificate check failed
  std::uint64_t dropped_replayed = 0;     // packet number already seen or below the window
  std::uint64_t dropped_malformed = 0;    // decrypted fine, but frames do not parse
  std::uint64_t dropped_handshake = 0;    // HELLO/COOKIE/WELCOME rejected for any other reason
  std::uint64_t cookies_sent = 0;
  std::uint64_t handshakes_completed = 0;
  // Queued unreliable messages discarded because their connection failed or closed,
  // summed over connections (ConnectionStats dies with its connection; this does not).
  std::uint64_t unreliable_dropped_on_close = 0;
};

}  // namespace kettle::transport
