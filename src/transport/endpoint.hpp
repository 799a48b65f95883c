// The sans-IO transport engine: no sockets, no clocks, no threads inside.
//
// Call order (the same for real UDP, the conditioner proxy and the simulator):
//   1. Feed inputs: on_datagram(bytes, from, now) for each received datagram,
//      on_timer(now) once now >= next_deadline(), and API calls connect/send/close.
//   2. Drain outputs until empty: poll_transmit(now, buf) → put the datagram(s) on
//      the wire; poll_event() → connection events; poll_message(msg) → payloads.
//   3. Sleep until next_deadline() or the next datagram, whichever is first.
// `now` must never go backwards. Every random choice uses the seeded Rng given at
// construction, except key material (libsodium), so a simulated run replays from its seed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/address.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "crypto/certificate.hpp"
#include "transport/config.hpp"
#include "transport/stats.hpp"

namespace kettle::transport {

// Steam's EP2PSend values.
enum class SendType : std::uint8_t {
  unreliable = 0,           // ≤1200 B; queued while connecting; may be lost/reordered, never duplicated
  unreliable_no_delay = 1,  // as 0, but dropped (and counted) if it cannot go out now
  reliable = 2,             // ≤1 MiB; ordered per channel; flushes Nagle-buffered data
  reliable_buffered = 3,    // as 2 with Nagle: coalesced until a packet is full or nagle_delay passes
};

inline constexpr std::size_t kMaxUnreliableSize = 1200;
inline constexpr std::size_t kMaxReliableSize = 1u << 20;

using ConnectionId = std::uint32_t;  // local handle; never 0

enum class CloseReason : std::uint16_t {
  application = 0,         // close() called; app_code/message carry the detail
  idle_timeout = 1,        // nothing heard for Config::idle_timeout
  handshake_timeout = 2,   // connect did not complete within Config::handshake_timeout
  auth_failed = 3,         // peer certificate invalid/expired or not from our trust root
  version_mismatch = 4,    // peer speaks another protocol version
  protocol_violation = 5,  // peer sent a well-authenticated but invalid frame
  endpoint_shutdown = 6,   // the endpoint is being destroyed
  resource_limit = 7,      // peer exceeded a buffer bound it was told about
};
std::string_view close_reason_name(CloseReason r) noexcept;

struct Transmit {
  Address to;
  std::size_t size = 0;          // total bytes written to the caller's buffer
  std::size_t segment_size = 0;  // == size for one datagram; smaller when the buffer holds
                                 // several datagrams to `to` back to back (UDP GSO): every
                                 // segment is segment_size bytes except possibly the last
};

struct Connected {
  ConnectionId conn;
  crypto::Certificate peer;  // verified
  Address peer_address;
  bool incoming;
};
struct Closed {
  ConnectionId conn;
  CloseReason reason;
  std::uint16_t app_code = 0;  // for reason == application
  std::string message;
  bool by_peer;  // the peer sent CLOSE (vs. local close/timeout)
};
using Event = std::variant<Connected, Closed>;

struct Message {
  ConnectionId conn = 0;
  int channel = 0;
  bool reliable = false;
  std::vector<std::uint8_t> data;  // poll_message reuses this vector's capacity
};

class Endpoint {
 public:
  // Errors from create(): invalid_argument (Config::validate failed; message names the option and range).
  static Result<std::unique_ptr<Endpoint>> create(const Config& config, const crypto::Identity& identity,
                                                  std::uint64_t rng_seed);
  virtual ~Endpoint() = default;

  // ---- inputs ----
  // Never fails: bad datagrams are dropped and counted in EndpointStats.
  virtual void on_datagram(Bytes datagram, const Address& from, Instant now) = 0;
  virtual void on_timer(Instant now) = 0;
  // Starts a handshake. Errors: would_block (max_connections reached).
  virtual Result<ConnectionId> connect(const Address& to, Instant now) = 0;
  // Errors: invalid_argument (channel outside [0, channels), unknown type, empty payload),
  // too_large (unreliable > 1200 B, reliable > 1 MiB), would_block (the connection's send
  // buffer bound would be exceeded), not_connected (unknown id), closed (connection closing/closed).
  // Unreliable-no-delay that can't go out now returns ok and counts a drop.
  virtual Status send(ConnectionId conn, int channel, SendType type, Bytes payload, Instant now) = 0;
  // Graceful close: reliable data already queued is still delivered (bounded linger), then CLOSE.
  virtual Status close(ConnectionId conn, std::uint16_t app_code, std::string_view message, Instant now) = 0;
  // Moves an established connection to another address of the same peer (a relayed P2P
  // session that found a direct path): datagrams go to `to` from now on, starting with a PING,
  // and the peer follows on its first authentic packet from there (docs/protocol.md §10
  // roaming). Keys, streams and congestion state are kept. The caller vouches for `to`
  // (a punch round trip proved it). Errors: not_connected (unknown id), closed (not established).
  virtual Status migrate(ConnectionId conn, const Address& to, Instant now) = 0;
  // Pauses (or resumes) delivery on one connection, for an application that queues messages
  // itself and has too many unread from this peer: new reliable data is not acknowledged (the
  // peer holds it and resends later, so its send buffer fills and its send() pushes back) and
  // new unreliable data is dropped, exactly as when the endpoint's own delivery queue is full
  // (docs/protocol.md §7.6). Errors: not_connected (unknown id).
  virtual Status set_read_paused(ConnectionId conn, bool paused, Instant now) = 0;
  // Cuts short the linger of a connection close() left waiting for acknowledgements: its CLOSE
  // goes out at the next poll_transmit and unacknowledged reliable data is abandoned (a server
  // shutting down must not wait on a peer that stopped reading). No-op for any other state.
  // Errors: not_connected (unknown id).
  virtual Status finish_close(ConnectionId conn, Instant now) = 0;

  // ---- outputs ----
  // Writes one datagram (or several to the same address for GSO) into buf. buf must hold at
  // least Config::max_datagram_size bytes (else nothing is written and nullopt returned);
  // more lets the engine batch (at most 64 segments / 65000 bytes per call).
  virtual std::optional<Transmit> poll_transmit(Instant now, MutBytes buf) = 0;
  virtual Instant next_deadline() const = 0;
  virtual std::optional<Event> poll_event() = 0;
  virtual bool poll_message(Message& out) = 0;

  // Replaces the identity used for handshakes from now on (a client swaps its anonymous
  // certificate for the one the server issued, or a refreshed one). Established connections
  // keep their keys; handshakes already in flight keep the HELLO they sent.
  virtual void set_identity(const crypto::Identity& identity) = 0;

  // ---- queries ----
  virtual Result<ConnectionStats> connection_stats(ConnectionId conn) const = 0;
  virtual const EndpointStats& stats() const = 0;
};

}  // namespace kettle::transport
