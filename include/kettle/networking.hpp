// kettle::Networking — ISteamNetworking's P2P API (spec ../shared/spec/p2p-api.md §2).
//
//   auto& net = client->networking();
//   net.SendP2PPacket(friend_id, data, size, kettle::k_EP2PSendReliable, 0);
//   uint32 size; while (net.IsP2PPacketAvailable(&size, 0)) { net.ReadP2PPacket(buf, cap, &size, &from, 0); }
//
// Sessions are per remote user; channels 0-255 are independent receive queues. Sending to a
// user opens the session and counts as accepting theirs; data from a user you never sent to
// raises P2PSessionRequest_t (through RunCallbacks) and waits until you accept. Paths: direct
// (hole punched through NATs) or through kettle-server's relay, always end-to-end encrypted.
// All methods are thread-safe; every call before Init or after Shutdown returns its failure value.
#pragma once

#include <cstdint>
#include <vector>

#include "kettle/types.hpp"

namespace kettle {

enum EP2PSend : int {
  k_EP2PSendUnreliable = 0,
  k_EP2PSendUnreliableNoDelay = 1,
  k_EP2PSendReliable = 2,
  k_EP2PSendReliableWithBuffering = 3,
};

enum EP2PSessionError : int {
  k_EP2PSessionErrorNone = 0,
  k_EP2PSessionErrorNotRunningApp_DELETED = 1,  // only with ClientConfig::precise_session_errors
  k_EP2PSessionErrorNoRightsToApp = 2,
  k_EP2PSessionErrorDestinationNotLoggedIn_DELETED = 3,  // only with precise_session_errors
  k_EP2PSessionErrorTimeout = 4,
  k_EP2PSessionErrorMax = 5,
};

struct P2PSessionState_t {
  uint8 m_bConnectionActive = 0;  // 1 while the session is active
  uint8 m_bConnecting = 0;        // 1 while an attempt is running
  uint8 m_eP2PSessionError = 0;   // last EP2PSessionError recorded, 0 if none
  uint8 m_bUsingRelay = 0;        // 1 if traffic goes through the kettle-server relay
  int32 m_nBytesQueuedForSend = 0;
  int32 m_nPacketsQueuedForSend = 0;
  uint32 m_nRemoteIP = 0;  // IPv4, host byte order; the relay's address when relayed; 0 if unknown/IPv6
  uint16 m_nRemotePort = 0;
};

inline constexpr uint32 k_cbMaxP2PUnreliable = 1200;
inline constexpr uint32 k_cbMaxP2PReliable = 1u << 20;
inline constexpr int k_nMaxP2PChannel = 255;

// What ReadNextP2PPacket says about the packet it returns.
struct P2PPacketInfo {
  SteamID remote;
  int channel = 0;
  bool reliable = false;  // sent with k_EP2PSendReliable or k_EP2PSendReliableWithBuffering
};

class Client;

class Networking {
 public:
  bool SendP2PPacket(SteamID remote, const void* data, uint32 size, EP2PSend type, int channel = 0);
  bool IsP2PPacketAvailable(uint32* msg_size, int channel = 0);
  bool ReadP2PPacket(void* dest, uint32 dest_size, uint32* msg_size, SteamID* remote, int channel = 0);
  bool AcceptP2PSessionWithUser(SteamID remote);
  bool CloseP2PSessionWithUser(SteamID remote);
  bool CloseP2PChannelWithUser(SteamID remote, int channel);
  bool GetP2PSessionState(SteamID remote, P2PSessionState_t* state);
  bool AllowP2PPacketRelay(bool allow);

  // Kettle extension (spec §5), off by default: a P2P request from a member of a lobby this
  // client is in is accepted just before its P2PSessionRequest_t is delivered (which still
  // is, so Steam-style handlers run unchanged). Strangers are unaffected; to refuse them too,
  // see kettle::LobbySessionPolicy (kettle/lobby_session_policy.hpp).
  bool SetAutoAcceptLobbyMembers(bool enable);
  // Kettle extension: bytes sent to `remote` that are not done yet: reliable data it has not
  // acknowledged (queued here or in flight) and unreliable data not yet on the wire; 0 once
  // everything has arrived or left. kettle-cli send waits on it before exiting.
  uint64 GetP2PUnacknowledgedBytes(SteamID remote);
  // Kettle extension for bridges that hand packets to another process (kettle-agent): removes
  // the oldest readable packet of the lowest-numbered channel that has one, whole, into `out`,
  // with its sender, channel and reliability. false (and `out` untouched) when nothing is
  // readable. Per-channel order is ReadP2PPacket's; pair it with Client::SetP2PPacketListener.
  bool ReadNextP2PPacket(std::vector<uint8>& out, P2PPacketInfo* info);

 private:
  friend class Client;
  explicit Networking(Client& client) : client_(client) {}
  Client& client_;
};

}  // namespace kettle
