// P2P state shared between the Networking API (any thread) and the I/O side (SessionManager,
// on the client's I/O thread). Everything here is guarded by `mu`. The API only edits session
// records and queues; the SessionManager owns the transport connections and paths and is the
// only one that talks to the network.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/address.hpp"
#include "core/steam_id.hpp"
#include "core/time.hpp"
#include "transport/endpoint.hpp"

namespace kettle::p2p {

inline constexpr int kChannels = 256;
inline constexpr std::size_t kMaxQueuedSendBytes = 4u << 20;            // per user (spec §0.7)
inline constexpr std::size_t kMaxUnreadBytes = 8u << 20;                // per user
inline constexpr std::size_t kMaxHeldBytes = 1u << 20;                  // per unaccepted user (+ one message)
inline constexpr std::size_t kResumeUnreadBytes = kMaxUnreadBytes / 2;  // paused delivery resumes below

// The spec's states (p2p-api.md §2.5); `none` is "no record".
enum class State : std::uint8_t { pending_incoming, pre_accepted, connecting, active, remote_closed, failed };

struct OutMessage {
  int channel = 0;
  transport::SendType type = transport::SendType::reliable;
  std::vector<std::uint8_t> data;
};

struct Packet {
  SteamID from;
  int channel = 0;
  std::vector<std::uint8_t> data;
  bool reliable = true;  // sent with type 2/3 (kettle-agent routes unreliable data over UDP)
};

struct Session {
  State state = State::connecting;
  int last_error = 0;                // EP2PSessionError recorded last
  Instant deadline = kInstantNever;  // connecting: connect timeout; pending_incoming: hold expiry
  bool request_posted = false;       // P2PSessionRequest_t posted for this hold window
  bool opted_in_announced = false;   // ACCEPT sent for the current activation
  std::deque<OutMessage> out;        // accepted by SendP2PPacket, not yet given to the transport
  std::size_t out_bytes = 0;
  std::vector<Packet> held;  // pending_incoming: data waiting for accept
  std::size_t held_bytes = 0;
  std::size_t unread_bytes = 0;  // readable, not yet read (all channels)
  // Delivery from this user is paused (spec §2.7: over the unread or held cap); reads that
  // bring unread_bytes under kResumeUnreadBytes mark the session dirty so the manager resumes.
  bool read_paused = false;
  std::bitset<kChannels> open_channels;
  // Path facts for GetP2PSessionState, written by the SessionManager.
  bool path_up = false;
  bool using_relay = false;
  Address remote;
  std::uint64_t transport_unacked = 0;  // reliable bytes given to the transport, not yet acknowledged
  std::uint64_t transport_unsent = 0;   // unreliable bytes given to the transport, not yet on the wire
};

struct Shared {
  std::mutex mu;
  SteamID self;
  bool logged_on = false;
  bool subscribed = true;  // entitled to the app (else sends fail with error 2)
  bool allow_relay = true;
  bool auto_accept_lobby_members = false;
  Duration connect_timeout = secs(20);  // set from the client's config at Init
  std::unordered_map<SteamID, Session> sessions;
  std::array<std::deque<Packet>, kChannels> readable;  // per channel, across users, arrival order
  // Client::SetP2PPacketListener: called (under mu) whenever packets were added to `readable`.
  std::function<void()> on_readable;
  void notify_readable() const {
    if (on_readable) on_readable();
  }
  // Users whose session the API changed (new data, accept, close): the manager looks at them.
  std::vector<SteamID> dirty;
  // Sessions the API closed (CloseP2PSessionWithUser): the manager hands the reliable data
  // still queued to the transport (if the session was active) and closes the connection.
  struct ApiClose {
    SteamID peer;
    bool was_active = false;
    bool was_pending = false;  // an unaccepted request: the peer must only see its timeout
    std::deque<OutMessage> reliable_out;
  };
  std::vector<ApiClose> closed_by_api;
};

}  // namespace kettle::p2p
