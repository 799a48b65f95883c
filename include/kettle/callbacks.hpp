// Callback structs delivered by Client::RunCallbacks(). Steam's names, field names and
// k_iCallback ids, so ported code reads the same (spec: ../shared/spec/p2p-api.md §0.5).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kettle/types.hpp"

namespace kettle {

// EPersonaChange flags (m_nChangeFlags).
inline constexpr int k_EPersonaChangeName = 0x0001;
inline constexpr int k_EPersonaChangeStatus = 0x0002;
inline constexpr int k_EPersonaChangeComeOnline = 0x0004;
inline constexpr int k_EPersonaChangeGoneOffline = 0x0008;

// The client (re)gained its logged-on session with kettle-server.
struct SteamServersConnected_t {
  static constexpr int k_iCallback = 101;
};
// A (re)connect attempt failed; the client keeps retrying with backoff.
struct SteamServerConnectFailure_t {
  static constexpr int k_iCallback = 102;
  EResult m_eResult = k_EResultNoConnection;
  bool m_bStillRetrying = true;
};
// The session with kettle-server was lost; IsLoggedOn() is false until SteamServersConnected_t.
struct SteamServersDisconnected_t {
  static constexpr int k_iCallback = 103;
  EResult m_eResult = k_EResultNoConnection;
};
struct PersonaStateChange_t {
  static constexpr int k_iCallback = 304;
  uint64 m_ulSteamID = 0;
  int m_nChangeFlags = 0;
};

// Another user sent P2P data to this one, who has not opted in (spec §2.5 rule 2). Accept with
// Networking::AcceptP2PSessionWithUser or by sending; otherwise the data is dropped after
// p2p_pending_hold.
struct P2PSessionRequest_t {
  static constexpr int k_iCallback = 1202;
  SteamID m_steamIDRemote;
};
// A P2P attempt or session failed; m_eP2PSessionError is an EP2PSessionError (networking.hpp).
struct P2PSessionConnectFail_t {
  static constexpr int k_iCallback = 1203;
  SteamID m_steamIDRemote;
  uint8 m_eP2PSessionError = 0;
};

// ---- Kettle extensions (no Steam counterpart; ids from 9000 up) ----

struct KettleOnlineUser {
  SteamID steam_id;
  std::string persona_name;
  AppId_t app_id = 0;  // the app the user is logged in to
};
// Answer to Client::RequestOnlineList: who is online on this server (at most 1000 users).
// m_eResult is k_EResultAccessDenied when the server does not publish presence
// (allow_list_online off), k_EResultNoConnection when the session was lost first.
struct KettleOnlineList_t {
  static constexpr int k_iCallback = 9001;
  EResult m_eResult = k_EResultOK;
  std::vector<KettleOnlineUser> m_users;
};

}  // namespace kettle
