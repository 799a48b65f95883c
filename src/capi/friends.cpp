// Persona names and states, user information and the online list (kettle.h "User and friends").
#include "capi/capi_internal.hpp"
#include "control/messages.hpp"

using kettle::capi::guarded;
using kettle::capi::guarded_value;
using kettle::capi::ready;

static_assert(KETTLE_PERSONA_STATE_OFFLINE == static_cast<int>(kettle::k_EPersonaStateOffline));
static_assert(KETTLE_PERSONA_STATE_ONLINE == static_cast<int>(kettle::k_EPersonaStateOnline));

extern "C" kettle_result kettle_client_get_persona_name(const kettle_client* client, char* buf, size_t buf_size,
                                                        size_t* needed) {
  if (needed != nullptr) *needed = 0;
  if (client == nullptr) return KETTLE_ERR_INVALID_ARGUMENT;
  if (!ready(client)) {
    kettle::capi::copy_out("", buf, buf_size, needed);
    return KETTLE_ERR_NOT_INITIALIZED;
  }
  return guarded([&] { return kettle::capi::copy_out(client->client->GetPersonaName(), buf, buf_size, needed); });
}

extern "C" kettle_result kettle_client_set_persona_name(kettle_client* client, const char* name, uint64_t* call) {
  if (call != nullptr) *call = kettle::k_uAPICallInvalid;
  if (client == nullptr || name == nullptr) return KETTLE_ERR_INVALID_ARGUMENT;
  if (!ready(client)) return KETTLE_ERR_NOT_INITIALIZED;
  return guarded([&] {
    // The C++ call folds a bad name and a lost connection into k_uAPICallInvalid; C tells them apart.
    if (!kettle::control::validate_name(name, kettle::control::kMaxPersonaNameBytes))
      return KETTLE_ERR_INVALID_ARGUMENT;
    const kettle::SteamAPICall_t h = client->client->SetPersonaName(name);
    if (h == kettle::k_uAPICallInvalid) return KETTLE_ERR_NOT_LOGGED_ON;
    if (call != nullptr) *call = h;
    return KETTLE_OK;
  });
}

extern "C" kettle_result kettle_client_get_friend_persona_name(kettle_client* client, uint64_t steam_id, char* buf,
                                                               size_t buf_size, size_t* needed) {
  if (needed != nullptr) *needed = 0;
  if (client == nullptr) return KETTLE_ERR_INVALID_ARGUMENT;
  if (!ready(client)) {
    kettle::capi::copy_out("", buf, buf_size, needed);
    return KETTLE_ERR_NOT_INITIALIZED;
  }
  return guarded([&] {
    return kettle::capi::copy_out(client->client->GetFriendPersonaName(kettle::SteamID(steam_id)), buf, buf_size,
                                  needed);
  });
}

extern "C" int kettle_client_get_persona_state(const kettle_client* client) {
  if (client == nullptr) return KETTLE_PERSONA_STATE_OFFLINE;
  return guarded_value<int>(KETTLE_PERSONA_STATE_OFFLINE, [client] { return client->client->GetPersonaState(); });
}

extern "C" int kettle_client_get_friend_persona_state(kettle_client* client, uint64_t steam_id) {
  if (client == nullptr) return KETTLE_PERSONA_STATE_OFFLINE;
  return guarded_value<int>(KETTLE_PERSONA_STATE_OFFLINE,
                            [&] { return client->client->GetFriendPersonaState(kettle::SteamID(steam_id)); });
}

extern "C" int kettle_client_request_user_information(kettle_client* client, uint64_t steam_id, int name_only) {
  if (client == nullptr) return 0;
  return guarded_value(
      0, [&] { return client->client->RequestUserInformation(kettle::SteamID(steam_id), name_only != 0) ? 1 : 0; });
}

extern "C" int kettle_client_is_subscribed_app(const kettle_client* client, uint32_t app_id) {
  if (client == nullptr) return 0;
  return guarded_value(0, [&] { return client->client->BIsSubscribedApp(app_id) ? 1 : 0; });
}

extern "C" int kettle_client_request_online_list(kettle_client* client, uint32_t app_id) {
  if (client == nullptr) return 0;
  return guarded_value(0, [&] { return client->client->RequestOnlineList(app_id) ? 1 : 0; });
}
