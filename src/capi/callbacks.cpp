// kettle_client_set_callback: one C function per (client, callback id), subscribed through
// kettle::Client::Subscribe. Each C++ callback struct is copied into its C mirror on the
// RunCallbacks thread and handed to the function; the mirror lives on the stack for the call.
#include <vector>

#include "capi/capi_internal.hpp"

namespace {

using kettle::capi::guarded;

static_assert(KETTLE_CALLBACK_STEAM_SERVERS_CONNECTED == kettle::SteamServersConnected_t::k_iCallback);
static_assert(KETTLE_CALLBACK_STEAM_SERVER_CONNECT_FAILURE == kettle::SteamServerConnectFailure_t::k_iCallback);
static_assert(KETTLE_CALLBACK_STEAM_SERVERS_DISCONNECTED == kettle::SteamServersDisconnected_t::k_iCallback);
static_assert(KETTLE_CALLBACK_PERSONA_STATE_CHANGE == kettle::PersonaStateChange_t::k_iCallback);
static_assert(KETTLE_CALLBACK_P2P_SESSION_REQUEST == kettle::P2PSessionRequest_t::k_iCallback);
static_assert(KETTLE_CALLBACK_P2P_SESSION_CONNECT_FAIL == kettle::P2PSessionConnectFail_t::k_iCallback);
static_assert(KETTLE_CALLBACK_ONLINE_LIST == kettle::KettleOnlineList_t::k_iCallback);
static_assert(KETTLE_ERESULT_ACCESS_DENIED == static_cast<int>(kettle::k_EResultAccessDenied));
static_assert(KETTLE_PERSONA_CHANGE_NAME == kettle::k_EPersonaChangeName);
static_assert(KETTLE_PERSONA_CHANGE_STATUS == kettle::k_EPersonaChangeStatus);
static_assert(KETTLE_PERSONA_CHANGE_COME_ONLINE == kettle::k_EPersonaChangeComeOnline);
static_assert(KETTLE_PERSONA_CHANGE_GONE_OFFLINE == kettle::k_EPersonaChangeGoneOffline);
static_assert(KETTLE_ERESULT_OK == static_cast<int>(kettle::k_EResultOK));
static_assert(KETTLE_ERESULT_FAIL == static_cast<int>(kettle::k_EResultFail));
static_assert(KETTLE_ERESULT_NO_CONNECTION == static_cast<int>(kettle::k_EResultNoConnection));
static_assert(KETTLE_ERESULT_LOGGED_IN_ELSEWHERE == static_cast<int>(kettle::k_EResultLoggedInElsewhere));

kettle_steam_servers_connected to_c(const kettle::SteamServersConnected_t&) { return {0}; }
kettle_steam_server_connect_failure to_c(const kettle::SteamServerConnectFailure_t& v) {
  return {v.m_eResult, v.m_bStillRetrying ? 1 : 0};
}
kettle_steam_servers_disconnected to_c(const kettle::SteamServersDisconnected_t& v) { return {v.m_eResult}; }
kettle_persona_state_change to_c(const kettle::PersonaStateChange_t& v) { return {v.m_ulSteamID, v.m_nChangeFlags}; }
kettle_p2p_session_request to_c(const kettle::P2PSessionRequest_t& v) { return {v.m_steamIDRemote.ConvertToUint64()}; }
kettle_p2p_session_connect_fail to_c(const kettle::P2PSessionConnectFail_t& v) {
  return {v.m_steamIDRemote.ConvertToUint64(), v.m_eP2PSessionError};
}

// The list's strings and array live in the handler's frame; the C struct points into them.
struct OnlineListMirror {
  std::vector<kettle_online_user> users;
  kettle_online_list list{};
};

template <class T>
kettle::CallbackHandle subscribe(kettle::Client& client, kettle_callback_fn fn, void* user) {
  return client.Subscribe<T>([fn, user](const T& v) {
    const auto c = to_c(v);
    fn(user, T::k_iCallback, &c);
  });
}

// 0 for an id the C API does not offer.
kettle::CallbackHandle subscribe_id(kettle::Client& client, int id, kettle_callback_fn fn, void* user) {
  switch (id) {
    case KETTLE_CALLBACK_STEAM_SERVERS_CONNECTED:
      return subscribe<kettle::SteamServersConnected_t>(client, fn, user);
    case KETTLE_CALLBACK_STEAM_SERVER_CONNECT_FAILURE:
      return subscribe<kettle::SteamServerConnectFailure_t>(client, fn, user);
    case KETTLE_CALLBACK_STEAM_SERVERS_DISCONNECTED:
      return subscribe<kettle::SteamServersDisconnected_t>(client, fn, user);
    case KETTLE_CALLBACK_PERSONA_STATE_CHANGE:
      return subscribe<kettle::PersonaStateChange_t>(client, fn, user);
    case KETTLE_CALLBACK_P2P_SESSION_REQUEST:
      return subscribe<kettle::P2PSessionRequest_t>(client, fn, user);
    case KETTLE_CALLBACK_P2P_SESSION_CONNECT_FAIL:
      return subscribe<kettle::P2PSessionConnectFail_t>(client, fn, user);
    case KETTLE_CALLBACK_ONLINE_LIST:
      return client.Subscribe<kettle::KettleOnlineList_t>([fn, user](const kettle::KettleOnlineList_t& v) {
        OnlineListMirror m;
        m.users.reserve(v.m_users.size());
        for (const auto& u : v.m_users)
          m.users.push_back({u.steam_id.ConvertToUint64(), u.persona_name.c_str(), u.app_id});
        m.list = {v.m_eResult, static_cast<uint32_t>(m.users.size()), m.users.empty() ? nullptr : m.users.data()};
        fn(user, KETTLE_CALLBACK_ONLINE_LIST, &m.list);
      });
    default:
      return 0;
  }
}

bool known_id(int id) {
  switch (id) {
    case KETTLE_CALLBACK_STEAM_SERVERS_CONNECTED:
    case KETTLE_CALLBACK_STEAM_SERVER_CONNECT_FAILURE:
    case KETTLE_CALLBACK_STEAM_SERVERS_DISCONNECTED:
    case KETTLE_CALLBACK_PERSONA_STATE_CHANGE:
    case KETTLE_CALLBACK_P2P_SESSION_REQUEST:
    case KETTLE_CALLBACK_P2P_SESSION_CONNECT_FAIL:
    case KETTLE_CALLBACK_ONLINE_LIST:
      return true;
    default:
      return false;
  }
}

}  // namespace

extern "C" kettle_result kettle_client_set_callback(kettle_client* client, int callback_id, kettle_callback_fn fn,
                                                    void* user) {
  if (client == nullptr || !known_id(callback_id)) return KETTLE_ERR_INVALID_ARGUMENT;
  return guarded([&] {
    std::lock_guard lock(client->callbacks_mu);
    // The slot first (it may allocate), then the new handler, then the old one goes: a throw at
    // any step leaves a consistent state. 0 means "no handler".
    kettle::CallbackHandle& slot = client->callbacks[callback_id];
    const kettle::CallbackHandle added = fn != nullptr ? subscribe_id(*client->client, callback_id, fn, user) : 0;
    if (slot != 0) client->client->Unsubscribe(slot);
    slot = added;
    return KETTLE_OK;
  });
}
