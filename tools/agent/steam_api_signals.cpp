// The GodotSteam signals (spec §0.5 table): one subscription per callback type, one emit per
// delivered callback, with GodotSteam's argument order and Variant types (ints, except
// lobby_joined's `locked`, a bool as in GodotSteam). Async results are subscribed by type only
// (never also by call result), so each is emitted exactly once (§0.5 rule 5).
#include <algorithm>
#include <string>

#include "kettle/callbacks.hpp"
#include "kettle/matchmaking.hpp"
#include "steam_api_impl.hpp"

namespace kettle::agent {
namespace {

using godot::Variant;

// GodotSteam's lobby_message text: the bytes before the first NUL, as UTF-8 (spec §3.5).
std::string chat_text(Matchmaking& mm, const LobbyChatMsg_t& cb, SteamID* from) {
  std::string body(static_cast<std::size_t>(k_cbMaxLobbyChatMsg), '\0');
  EChatEntryType type{};
  const int n = mm.GetLobbyChatEntry(SteamID(cb.m_ulSteamIDLobby), static_cast<int>(cb.m_iChatID), from, body.data(),
                                     static_cast<int>(body.size()), &type);
  body.resize(static_cast<std::size_t>(std::max(n, 0)));
  if (const auto nul = body.find('\0'); nul != std::string::npos) body.resize(nul);
  return valid_utf8(body);
}

}  // namespace

void subscribe_signals(ApiState& s, Client& client) {
  ApiState* st = &s;  // outlives the client: ApiState owns it (or its retired copy)
  Client* cl = &client;
  client.On<PersonaStateChange_t>([st](const PersonaStateChange_t& cb) {
    st->signal("persona_state_change", {id_value(cb.m_ulSteamID), int_value(cb.m_nChangeFlags)});
  });
  client.On<GameLobbyJoinRequested_t>([st](const GameLobbyJoinRequested_t& cb) {
    st->signal("join_requested", {id_value(cb.m_steamIDLobby), id_value(cb.m_steamIDFriend)});
  });
  client.On<LobbyInvite_t>([st](const LobbyInvite_t& cb) {
    st->signal("lobby_invite", {id_value(cb.m_ulSteamIDUser), id_value(cb.m_ulSteamIDLobby), id_value(cb.m_ulGameID)});
  });
  client.On<LobbyEnter_t>([st](const LobbyEnter_t& cb) {
    st->signal("lobby_joined", {id_value(cb.m_ulSteamIDLobby), int_value(cb.m_rgfChatPermissions),
                                Variant::boolean(cb.m_bLocked), int_value(cb.m_EChatRoomEnterResponse)});
  });
  client.On<LobbyDataUpdate_t>([st](const LobbyDataUpdate_t& cb) {
    st->signal("lobby_data_update",
               {int_value(cb.m_bSuccess), id_value(cb.m_ulSteamIDLobby), id_value(cb.m_ulSteamIDMember)});
  });
  client.On<LobbyChatUpdate_t>([st](const LobbyChatUpdate_t& cb) {
    st->signal("lobby_chat_update", {id_value(cb.m_ulSteamIDLobby), id_value(cb.m_ulSteamIDUserChanged),
                                     id_value(cb.m_ulSteamIDMakingChange), int_value(cb.m_rgfChatMemberStateChange)});
  });
  client.On<LobbyChatMsg_t>([st, cl](const LobbyChatMsg_t& cb) {
    SteamID from(cb.m_ulSteamIDUser);
    std::string text = chat_text(cl->matchmaking(), cb, &from);
    st->signal("lobby_message", {id_value(cb.m_ulSteamIDLobby), id_value(cb.m_ulSteamIDUser),
                                 Variant::string(std::move(text)), int_value(cb.m_eChatEntryType)});
  });
  client.On<LobbyMatchList_t>([st, cl](const LobbyMatchList_t& cb) {
    godot::Array lobbies;
    lobbies.reserve(cb.m_nLobbiesMatching);
    for (uint32 i = 0; i < cb.m_nLobbiesMatching; ++i)
      lobbies.push_back(id_value(cl->matchmaking().GetLobbyByIndex(static_cast<int>(i))));
    st->signal("lobby_match_list", {Variant::array(std::move(lobbies))});
  });
  client.On<LobbyKicked_t>([st](const LobbyKicked_t& cb) {
    st->signal("lobby_kicked",
               {id_value(cb.m_ulSteamIDLobby), id_value(cb.m_ulSteamIDAdmin), int_value(cb.m_bKickedDueToDisconnect)});
  });
  client.On<LobbyCreated_t>([st](const LobbyCreated_t& cb) {
    st->signal("lobby_created", {int_value(cb.m_eResult), id_value(cb.m_ulSteamIDLobby)});
  });
  client.On<P2PSessionRequest_t>(
      [st](const P2PSessionRequest_t& cb) { st->signal("p2p_session_request", {id_value(cb.m_steamIDRemote)}); });
  client.On<P2PSessionConnectFail_t>([st](const P2PSessionConnectFail_t& cb) {
    st->signal("p2p_session_connect_fail", {id_value(cb.m_steamIDRemote), int_value(cb.m_eP2PSessionError)});
  });
}

}  // namespace kettle::agent
