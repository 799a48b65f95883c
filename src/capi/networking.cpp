// The P2P calls (kettle.h "P2P networking"): Steam's bool semantics as 1/0, a NULL client or an
// exception gives the failure value. Argument checks (ids, sizes, channels, NULL buffers) stay in
// kettle::Networking so C and C++ cannot differ.
#include <cstring>

#include "capi/capi_internal.hpp"

using kettle::capi::guarded_value;

namespace {

kettle::Networking* net(kettle_client* c) noexcept { return c != nullptr ? &c->client->networking() : nullptr; }

// Values outside EP2PSend reach the C++ check, which refuses them, as an int-backed enum.
kettle::EP2PSend send_type(int t) noexcept { return static_cast<kettle::EP2PSend>(t); }

}  // namespace

static_assert(KETTLE_P2P_SEND_UNRELIABLE == static_cast<int>(kettle::k_EP2PSendUnreliable));
static_assert(KETTLE_P2P_SEND_UNRELIABLE_NO_DELAY == static_cast<int>(kettle::k_EP2PSendUnreliableNoDelay));
static_assert(KETTLE_P2P_SEND_RELIABLE == static_cast<int>(kettle::k_EP2PSendReliable));
static_assert(KETTLE_P2P_SEND_RELIABLE_WITH_BUFFERING == static_cast<int>(kettle::k_EP2PSendReliableWithBuffering));
static_assert(KETTLE_P2P_SESSION_ERROR_NONE == static_cast<int>(kettle::k_EP2PSessionErrorNone));
static_assert(KETTLE_P2P_SESSION_ERROR_NOT_RUNNING_APP ==
              static_cast<int>(kettle::k_EP2PSessionErrorNotRunningApp_DELETED));
static_assert(KETTLE_P2P_SESSION_ERROR_NO_RIGHTS_TO_APP == static_cast<int>(kettle::k_EP2PSessionErrorNoRightsToApp));
static_assert(KETTLE_P2P_SESSION_ERROR_DESTINATION_NOT_LOGGED_IN ==
              static_cast<int>(kettle::k_EP2PSessionErrorDestinationNotLoggedIn_DELETED));
static_assert(KETTLE_P2P_SESSION_ERROR_TIMEOUT == static_cast<int>(kettle::k_EP2PSessionErrorTimeout));
static_assert(KETTLE_MAX_P2P_UNRELIABLE == kettle::k_cbMaxP2PUnreliable);
static_assert(KETTLE_MAX_P2P_RELIABLE == kettle::k_cbMaxP2PReliable);
static_assert(KETTLE_MAX_P2P_CHANNEL == kettle::k_nMaxP2PChannel);

extern "C" int kettle_client_send_p2p_packet(kettle_client* client, uint64_t remote, const void* data, uint32_t size,
                                             int type, int channel) {
  auto* n = net(client);
  if (n == nullptr) return 0;
  return guarded_value(
      0, [&] { return n->SendP2PPacket(kettle::SteamID(remote), data, size, send_type(type), channel) ? 1 : 0; });
}

extern "C" int kettle_client_is_p2p_packet_available(kettle_client* client, uint32_t* msg_size, int channel) {
  if (msg_size != nullptr) *msg_size = 0;
  auto* n = net(client);
  if (n == nullptr) return 0;
  return guarded_value(0, [&] { return n->IsP2PPacketAvailable(msg_size, channel) ? 1 : 0; });
}

extern "C" int kettle_client_read_p2p_packet(kettle_client* client, void* dest, uint32_t dest_size, uint32_t* msg_size,
                                             uint64_t* remote, int channel) {
  if (msg_size != nullptr) *msg_size = 0;
  if (remote != nullptr) *remote = 0;
  auto* n = net(client);
  if (n == nullptr) return 0;
  return guarded_value(0, [&] {
    kettle::SteamID from;
    const bool ok = n->ReadP2PPacket(dest, dest_size, msg_size, &from, channel);
    if (remote != nullptr) *remote = from.ConvertToUint64();
    return ok ? 1 : 0;
  });
}

extern "C" int kettle_client_accept_p2p_session(kettle_client* client, uint64_t remote) {
  auto* n = net(client);
  if (n == nullptr) return 0;
  return guarded_value(0, [&] { return n->AcceptP2PSessionWithUser(kettle::SteamID(remote)) ? 1 : 0; });
}

extern "C" int kettle_client_close_p2p_session(kettle_client* client, uint64_t remote) {
  auto* n = net(client);
  if (n == nullptr) return 0;
  return guarded_value(0, [&] { return n->CloseP2PSessionWithUser(kettle::SteamID(remote)) ? 1 : 0; });
}

extern "C" int kettle_client_close_p2p_channel(kettle_client* client, uint64_t remote, int channel) {
  auto* n = net(client);
  if (n == nullptr) return 0;
  return guarded_value(0, [&] { return n->CloseP2PChannelWithUser(kettle::SteamID(remote), channel) ? 1 : 0; });
}

extern "C" int kettle_client_get_p2p_session_state(kettle_client* client, uint64_t remote,
                                                   kettle_p2p_session_state* state) {
  if (state != nullptr) std::memset(state, 0, sizeof *state);
  auto* n = net(client);
  if (n == nullptr) return 0;
  return guarded_value(0, [&] {
    kettle::P2PSessionState_t s;
    if (!n->GetP2PSessionState(kettle::SteamID(remote), &s)) return 0;
    if (state != nullptr) {
      state->m_bConnectionActive = s.m_bConnectionActive;
      state->m_bConnecting = s.m_bConnecting;
      state->m_eP2PSessionError = s.m_eP2PSessionError;
      state->m_bUsingRelay = s.m_bUsingRelay;
      state->m_nBytesQueuedForSend = s.m_nBytesQueuedForSend;
      state->m_nPacketsQueuedForSend = s.m_nPacketsQueuedForSend;
      state->m_nRemoteIP = s.m_nRemoteIP;
      state->m_nRemotePort = s.m_nRemotePort;
    }
    return 1;
  });
}

extern "C" int kettle_client_allow_p2p_packet_relay(kettle_client* client, int allow) {
  auto* n = net(client);
  if (n == nullptr) return 0;
  return guarded_value(0, [&] { return n->AllowP2PPacketRelay(allow != 0) ? 1 : 0; });
}

extern "C" int kettle_client_set_auto_accept_lobby_members(kettle_client* client, int enable) {
  auto* n = net(client);
  if (n == nullptr) return 0;
  return guarded_value(0, [&] { return n->SetAutoAcceptLobbyMembers(enable != 0) ? 1 : 0; });
}

extern "C" uint64_t kettle_client_get_p2p_unacknowledged_bytes(kettle_client* client, uint64_t remote) {
  auto* n = net(client);
  if (n == nullptr) return 0;
  return guarded_value<uint64_t>(0, [&] { return n->GetP2PUnacknowledgedBytes(kettle::SteamID(remote)); });
}
