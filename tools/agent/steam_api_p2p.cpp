// Networking (spec §2.2): sendP2PPacket and the session calls. Reading is not here: the agent
// pushes readable packets to the game, which answers getAvailableP2PPacketSize/readP2PPacket
// from its own queue.
#include <string>

#include "kettle/networking.hpp"
#include "steam_api_impl.hpp"

namespace kettle::agent {
namespace {

using godot::Variant;

int channel_arg(Call& c, std::size_t i, std::optional<int> def = std::nullopt) {
  return c.int_in(i, "channel", 0, k_nMaxP2PChannel, def);
}

Variant send_p2p_packet(ApiState& s, Call& c) {
  const SteamID to = c.user(0, "remote_steam_id");
  const std::span<const std::uint8_t> data = c.bytes(1, "data");
  const int type = c.int_in(2, "send_type", k_EP2PSendUnreliable, k_EP2PSendReliableWithBuffering);
  const int channel = channel_arg(c, 3, 0);
  if (c.ok()) {
    const std::size_t limit = type <= k_EP2PSendUnreliableNoDelay ? k_cbMaxP2PUnreliable : k_cbMaxP2PReliable;
    if (data.empty()) c.value_error("argument 2 (data) is empty (packets are 1 byte or more)");
    if (data.size() > limit) {
      c.value_error("argument 2 (data) is " + std::to_string(data.size()) + " bytes, more than send type " +
                    std::to_string(type) + " allows (" + std::to_string(limit) + ")");
    }
  }
  Client* cl = ready(s, c);
  // false without an error text: the 4 MiB queued for that user (not a bug in the call).
  return Variant::boolean(cl && cl->networking().SendP2PPacket(to, data.data(), static_cast<uint32>(data.size()),
                                                               static_cast<EP2PSend>(type), channel));
}

Variant accept_session(ApiState& s, Call& c) {
  const SteamID id = c.user(0, "remote_steam_id");
  Client* cl = ready(s, c);
  return Variant::boolean(cl && cl->networking().AcceptP2PSessionWithUser(id));
}

Variant close_session(ApiState& s, Call& c) {
  const SteamID id = c.user(0, "remote_steam_id");
  Client* cl = ready(s, c);
  return Variant::boolean(cl && cl->networking().CloseP2PSessionWithUser(id));
}

Variant close_channel(ApiState& s, Call& c) {
  const SteamID id = c.user(0, "remote_steam_id");
  const int channel = channel_arg(c, 1);
  Client* cl = ready(s, c);
  return Variant::boolean(cl && cl->networking().CloseP2PChannelWithUser(id, channel));
}

Variant session_state(ApiState& s, Call& c) {
  const SteamID id = c.user(0, "remote_steam_id");
  Client* cl = ready(s, c);
  P2PSessionState_t st{};
  if (cl == nullptr || !cl->networking().GetP2PSessionState(id, &st)) return Variant::dictionary({});
  auto entry = [](const char* key, std::int64_t v) { return std::pair{Variant::string(key), Variant::integer(v)}; };
  return Variant::dictionary({
      entry("connection_active", st.m_bConnectionActive),
      entry("connecting", st.m_bConnecting),
      entry("session_error", st.m_eP2PSessionError),
      entry("using_relay", st.m_bUsingRelay),
      entry("bytes_queued_for_send", st.m_nBytesQueuedForSend),
      entry("packets_queued_for_send", st.m_nPacketsQueuedForSend),
      entry("remote_ip", st.m_nRemoteIP),
      entry("remote_port", st.m_nRemotePort),
  });
}

Variant allow_relay(ApiState& s, Call& c) {
  const bool allow = c.boolean(0, "allow");
  Client* cl = ready(s, c);
  return Variant::boolean(cl && cl->networking().AllowP2PPacketRelay(allow));
}

// Kettle extension (spec §5).
Variant auto_accept_lobby_members(ApiState& s, Call& c) {
  const bool enable = c.boolean(0, "enable");
  Client* cl = ready(s, c);
  return Variant::boolean(cl && cl->networking().SetAutoAcceptLobbyMembers(enable));
}

}  // namespace

void add_p2p_functions(std::vector<Function>& t) {
  t.push_back({"sendP2PPacket", Failure::boolean, 4, true, send_p2p_packet});
  t.push_back({"acceptP2PSessionWithUser", Failure::boolean, 1, true, accept_session});
  t.push_back({"closeP2PSessionWithUser", Failure::boolean, 1, true, close_session});
  t.push_back({"closeP2PChannelWithUser", Failure::boolean, 2, true, close_channel});
  t.push_back({"getP2PSessionState", Failure::dictionary, 1, true, session_state});
  t.push_back({"allowP2PPacketRelay", Failure::boolean, 1, true, allow_relay});
  t.push_back({"kettleSetAutoAcceptLobbyMembers", Failure::boolean, 1, true, auto_accept_lobby_members});
}

}  // namespace kettle::agent
