// Init, identity and apps: steamInit/steamInitEx create and log in the one Client (spec §1.1,
// §1.2), the getters answer from it.
#include <cstdint>
#include <string>

#include "steam_api_impl.hpp"

namespace kettle::agent {
namespace {

using godot::Variant;

Variant status(int code, std::string verbal) {
  return Variant::dictionary({{Variant::string("status"), Variant::integer(code)},
                              {Variant::string("verbal"), Variant::string(valid_utf8(verbal))}});
}

// Logs in unless already initialised. Both init forms share it; only the reported codes differ.
// A second init while initialised is answered OK without a new client (GodotSteam would call
// SteamAPI_Init again, which succeeds as well); its app_id is then ignored.
InitResult init_client(ApiState& s, Call& c) {
  c.boolean(0, "retrieve_stats", true);  // accepted and ignored (no stats in Kettle)
  const std::int64_t app_id = c.integer(1, "app_id", 0);
  // The agent cannot run callbacks by itself: the Steam autoload honours embed_callbacks.
  c.boolean(2, "embed_callbacks", false);
  if (c.types_ok() && (app_id < 0 || app_id > UINT32_MAX))
    c.value_error("argument 2 (app_id) must be 0 to 4294967295, got " + std::to_string(app_id));
  if (!c.ok()) return {k_ESteamAPIInitResult_FailedGeneric, c.error()};
  if (s.client) return {k_ESteamAPIInitResult_OK, "already initialised"};

  ClientConfig cfg;
  cfg.server = s.config.server;
  cfg.server_key = s.config.server_key;
  cfg.login_name = s.config.login_name;
  cfg.password = s.config.password;
  cfg.token = s.config.token;
  cfg.app_id = app_id != 0 ? static_cast<AppId_t>(app_id) : s.config.app_id;
  cfg.login_timeout_s = s.config.login_timeout_s;
  cfg.p2p_connect_timeout_s = s.config.p2p_connect_timeout_s;
  cfg.p2p_pending_hold_s = s.config.p2p_pending_hold_s;
  cfg.p2p_liveness_timeout_s = s.config.p2p_liveness_timeout_s;
  cfg.backend_liveness_s = s.config.backend_liveness_s;
  auto client = Client::Create();
  // Before Init: whatever the login itself queues (a persona change) reaches the game too.
  subscribe_signals(s, *client);
  InitResult r = client->Init(cfg);
  if (r.code != k_ESteamAPIInitResult_OK) return r;
  s.client = std::move(client);
  for (auto& hook : s.ready_hooks) hook(*s.client);
  return r;
}

bool bad_app_id(const InitResult& r) { return r.message.find("app_id") != std::string::npos; }

// GodotSteam 3.27/4.11 steamInit: EResult codes (spec §1.1).
Variant steam_init(ApiState& s, Call& c) {
  const InitResult r = init_client(s, c);
  switch (r.code) {
    case k_ESteamAPIInitResult_OK:
      return status(k_EResultOK, "Steamworks active.");
    case k_ESteamAPIInitResult_NoSteamClient:
      return status(k_EResultServiceUnavailable, "Steam not running: " + r.message);
    default:
      if (bad_app_id(r)) return status(79, "Invalid app ID or app not installed: " + r.message);
      return status(k_EResultFail, "Steamworks failed to initialize: " + r.message);
  }
}

// steamInitEx: ESteamAPIInitResult codes.
Variant steam_init_ex(ApiState& s, Call& c) {
  const InitResult r = init_client(s, c);
  switch (r.code) {
    case k_ESteamAPIInitResult_OK:
      return status(0, "Steamworks active.");
    case k_ESteamAPIInitResult_NoSteamClient:
      return status(2, "Cannot connect to Steam, client probably isn't running: " + r.message);
    case k_ESteamAPIInitResult_VersionMismatch:
      return status(3, "Steam client appears to be out of date: " + r.message);
    default:
      return status(1, "Failed (generic): " + r.message);
  }
}

Variant steam_shutdown(ApiState& s, Call&) {
  if (s.client) {
    s.client->Shutdown();  // leaves lobbies, closes sessions, stops callbacks
    s.retired.push_back(std::move(s.client));
  }
  return {};
}

Variant is_steam_running(ApiState& s, Call&) { return Variant::boolean(s.client != nullptr); }

Variant logged_on(ApiState& s, Call&) { return Variant::boolean(s.client && s.client->BLoggedOn()); }

Variant get_steam_id(ApiState& s, Call& c) {
  Client* cl = ready(s, c);
  return cl ? id_value(cl->GetSteamID()) : Variant();
}

Variant get_persona_name(ApiState& s, Call& c) {
  Client* cl = ready(s, c);
  return cl ? text_value(cl->GetPersonaName()) : Variant();
}

Variant get_friend_persona_name(ApiState& s, Call& c) {
  const SteamID id = c.user(0, "steam_id");
  Client* cl = ready(s, c);
  return cl ? text_value(cl->GetFriendPersonaName(id)) : Variant();
}

Variant set_persona_name(ApiState& s, Call& c) {
  const std::string_view name = c.text(0, "name");
  Client* cl = ready(s, c);
  if (cl && cl->SetPersonaName(name) == k_uAPICallInvalid)
    c.value_error("the name is refused (empty, over 128 bytes, or control characters) or not logged on");
  return {};
}

Variant request_user_information(ApiState& s, Call& c) {
  const SteamID id = c.user(0, "steam_id");
  const bool name_only = c.boolean(1, "require_name_only");
  Client* cl = ready(s, c);
  return Variant::boolean(cl && cl->RequestUserInformation(id, name_only));
}

Variant get_persona_state(ApiState& s, Call& c) {
  Client* cl = ready(s, c);
  return int_value(cl ? cl->GetPersonaState() : 0);
}

Variant get_friend_persona_state(ApiState& s, Call& c) {
  const SteamID id = c.user(0, "steam_id");
  Client* cl = ready(s, c);
  return int_value(cl ? cl->GetFriendPersonaState(id) : 0);
}

Variant get_app_id(ApiState& s, Call& c) {
  Client* cl = ready(s, c);
  return int_value(cl ? cl->GetAppID() : 0);
}

Variant is_subscribed(ApiState& s, Call& c) {
  Client* cl = ready(s, c);
  return Variant::boolean(cl && cl->BIsSubscribedApp(cl->GetAppID()));
}

Variant is_subscribed_app(ApiState& s, Call& c) {
  const std::int64_t app_id = c.integer(0, "app_id");
  if (c.types_ok() && (app_id <= 0 || app_id > UINT32_MAX))
    c.value_error("argument 1 (app_id) must be 1 to 4294967295, got " + std::to_string(app_id));
  Client* cl = ready(s, c);
  return Variant::boolean(cl && cl->BIsSubscribedApp(static_cast<AppId_t>(app_id)));
}

}  // namespace

void add_init_functions(std::vector<Function>& t) {
  t.push_back({"steamInit", Failure::own_result, 3, false, steam_init});
  t.push_back({"steamInitEx", Failure::own_result, 3, false, steam_init_ex});
  t.push_back({"steamShutdown", Failure::nil, 0, false, steam_shutdown});
  t.push_back({"isSteamRunning", Failure::boolean, 0, false, is_steam_running});
  t.push_back({"loggedOn", Failure::boolean, 0, false, logged_on});
  t.push_back({"getSteamID", Failure::integer, 0, true, get_steam_id});
  t.push_back({"getPersonaName", Failure::string, 0, true, get_persona_name});
  t.push_back({"getFriendPersonaName", Failure::string, 1, true, get_friend_persona_name});
  t.push_back({"setPersonaName", Failure::nil, 1, true, set_persona_name});
  t.push_back({"requestUserInformation", Failure::boolean, 2, true, request_user_information});
  t.push_back({"getPersonaState", Failure::integer, 0, true, get_persona_state});
  t.push_back({"getFriendPersonaState", Failure::integer, 1, true, get_friend_persona_state});
  t.push_back({"getAppID", Failure::integer, 0, true, get_app_id});
  t.push_back({"isSubscribed", Failure::boolean, 0, true, is_subscribed});
  t.push_back({"isSubscribedApp", Failure::boolean, 1, true, is_subscribed_app});
}

}  // namespace kettle::agent
