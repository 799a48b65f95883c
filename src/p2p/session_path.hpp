// Internal to src/p2p: the constants and per-peer path state shared by the session manager's
// source files (session_manager.cpp: sessions, signaling, timers; session_datagrams.cpp:
// punches and the relay's framing).
#pragma once

#include <sodium.h>

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "control/relay_wire.hpp"
#include "p2p/session_manager.hpp"

namespace kettle::p2p::detail {

// Transport CLOSE app codes on P2P connections (docs/protocol.md §14).
constexpr std::uint16_t kCloseSession = 1;   // the peer closed its session (or shut down)
constexpr std::uint16_t kCloseReplaced = 2;  // a newer connection from the same peer took over
constexpr std::uint16_t kCloseWrongApp = 3;  // the peer runs another app
constexpr std::uint16_t kCloseIgnored = 4;   // the request was not accepted (hold expired or closed)

using control::kFromRelay;
using control::kFromRelayHeaderBytes;
using control::kRelayVersion;
using control::kToRelay;
using control::kToRelayHeaderBytes;
constexpr Duration kBindInterval = secs(5);
// fd6b:6574:746c:6500::/64 ("kettle"): virtual addresses of peers behind the relay.
constexpr std::array<std::uint8_t, 8> kVirtualPrefix = {0xfd, 0x6b, 0x65, 0x74, 0x74, 0x6c, 0x65, 0x00};

inline std::uint64_t random_id() {
  std::uint64_t v = 0;
  while (v == 0) randombytes_buf(&v, sizeof v);
  return v;
}

}  // namespace kettle::p2p::detail

namespace kettle::p2p {

struct SessionManager::Path {
  std::uint64_t own_id = 0;        // the id we put in OFFER/ANSWER and punches
  std::vector<std::uint64_t> ids;  // every id registered for this peer in by_session_id_
  std::vector<Address> remote;     // the peer's candidates, then peer-reflexive ones
  bool remote_known = false;
  bool remote_allows_relay = true;
  bool remote_relay_only = false;
  bool relay_only(const Timing& t) const { return t.relay_only || remote_relay_only; }
  transport::ConnectionId conn = 0;     // the path in use
  transport::ConnectionId attempt = 0;  // initiator: handshake in flight
  std::vector<Address> working;         // answered a punch, in order (initiator's connect targets)
  std::size_t next_working = 0;
  Address addr;
  bool relayed = false;
  // What GetP2PSessionState reports for this path: relayed traffic shows the relay's address
  // (addr is then a virtual one), direct traffic the peer's.
  void show_in(Session& s) const {
    s.using_relay = relayed;
    s.remote = relayed && relay ? relay->relay : addr;
  }
  Instant give_up = kInstantNever;
  Instant next_punch = kInstantNever;
  Instant next_offer = kInstantNever;
  Instant direct_deadline = kInstantNever;
  bool relay_requested = false;
  std::optional<RelayGrant> relay;
  Instant next_bind = kInstantNever;
  bool read_paused = false;  // what we last told the transport for `conn` (Session::read_paused wants)
};

}  // namespace kettle::p2p
