#include "cli/commands.hpp"

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/internal.hpp"
#include "control/messages.hpp"
#include "core/address.hpp"
#include "kettle/client.hpp"

namespace kettle::cli {
namespace {

Result<std::string> env_secret(const std::string& var) {
  if (var.empty()) return std::string{};
  const char* v = std::getenv(var.c_str());
  if (v == nullptr) return make_error(Errc::invalid_argument, "environment variable " + var + " is not set");
  return std::string(v);
}

}  // namespace

Outcome run(const Options& o, const Io& io) {
  // ---- arguments ----
  const bool remote = !o.server.empty() || !o.server_key.empty();
  if (o.embedded && remote) return fail(kExitUsage, "--embedded and --server/--server-key are exclusive");
  if (!o.embedded && (o.server.empty() || o.server_key.empty()))
    return fail(kExitUsage, "give --server HOST:PORT and --server-key KEY, or --embedded");
  // Bad flag values are usage errors (exit 1), not failed logins: check them before Init does.
  if (!o.embedded) {
    auto addr = Address::parse(o.server);
    if (!addr || addr->port == 0)
      return fail(kExitUsage, "--server '" + o.server + "' is not HOST:PORT (e.g. 127.0.0.1:27015)");
    const bool hex =
        o.server_key.size() == 64 && o.server_key.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
    if (!hex) return fail(kExitUsage, "--server-key must be 64 hex characters (kettle-server --print-public-key)");
  }
  if (o.app_id == 0) return fail(kExitUsage, "--app-id must not be 0");
  const std::size_t want_args = o.command == "set-name" || o.command == "lookup" ? 1 : 0;
  if (o.command != "whoami" && o.command != "set-name" && o.command != "lookup" && o.command != "online" &&
      o.command != "send" && o.command != "listen" && o.command != "doctor" && o.command != "lobby")
    return fail(kExitUsage, "unknown command '" + o.command +
                                "' (whoami | set-name NEW | lookup STEAMID | online | send | listen | doctor | lobby)");
  if (o.connect_timeout_s && !(*o.connect_timeout_s >= 0.1 && *o.connect_timeout_s <= 600))
    return fail(kExitUsage, "--connect-timeout must be 0.1-600 seconds");
  if (o.args.size() != want_args)
    return fail(kExitUsage, o.command + " takes " + std::to_string(want_args) + " argument(s), got " +
                                std::to_string(o.args.size()));
  if (o.command == "set-name") {
    if (auto st = control::validate_name(o.args[0], control::kMaxPersonaNameBytes); !st)
      return fail(kExitUsage, "invalid name: " + st.error().message);
  }
  SteamID lookup_id;
  if (o.command == "lookup") {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(o.args[0].c_str(), &end, 10);
    lookup_id = SteamID(v);
    if (o.args[0].empty() || *end != '\0' || !lookup_id.BIndividualAccount())
      return fail(kExitUsage, "'" + o.args[0] + "' is not a user SteamID64 (e.g. 76561197960265729)");
  }
  std::vector<std::uint8_t> payload;
  if (o.command == "send") {
    if (auto bad = prepare_send(o.send, payload)) return *bad;
  }
  if (o.command == "listen") {
    if (auto bad = check_listen(o.listen)) return *bad;
  }
  if (o.command == "lobby") {
    if (auto bad = check_lobby(o.lobby)) return *bad;
  }
  auto password = env_secret(o.password_env);
  if (!password) return fail(kExitUsage, password.error().message);
  auto token = env_secret(o.token_env);
  if (!token) return fail(kExitUsage, token.error().message);

  // ---- login ----
  ClientConfig cfg;
  cfg.server = o.embedded ? "embedded" : o.server;
  cfg.server_key = o.server_key;
  cfg.app_id = o.app_id;
  cfg.login_name = o.name;
  cfg.password = *password;
  cfg.token = *token;
  cfg.login_timeout_s = o.timeout_s;
  cfg.p2p_relay_only = o.relay_only;
  if (o.connect_timeout_s) cfg.p2p_connect_timeout_s = *o.connect_timeout_s;
  auto client = Client::Create();
  const InitResult init = client->Init(cfg);
  if (init.code == k_ESteamAPIInitResult_NoSteamClient)
    return fail(kExitUnreachable, "cannot reach the server: " + init.message);
  if (init.code != k_ESteamAPIInitResult_OK) return fail(kExitUnreachable, "login failed: " + init.message);
  const auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<long>(o.timeout_s * 1000));

  if (o.command == "send" || o.command == "listen" || o.command == "doctor" || o.command == "lobby") {
    Outcome r = o.command == "send"     ? run_send(*client, o.send, payload)
                : o.command == "listen" ? run_listen(*client, o.listen, io)
                : o.command == "lobby"  ? run_lobby(*client, o, io)
                                        : run_doctor(*client, o);
    if (r.disconnect && io.exit_without_logoff) io.exit_without_logoff(r);  // does not return
    client->Shutdown();
    return r;
  }

  nlohmann::json out;
  if (o.command == "whoami") {
    out = {{"steam_id", std::to_string(client->GetSteamID().ConvertToUint64())},
           {"persona_name", client->GetPersonaName()},
           {"logged_on", client->BLoggedOn()},
           {"app_id", client->GetAppID()},
           {"subscribed", client->BIsSubscribedApp(client->GetAppID())}};
  } else if (o.command == "set-name") {
    // The API has no completion for SetPersonaName (the local name changes at once). The server
    // handles one client's requests in order and stores the name before it answers anything
    // sent after it, so the answer to a lookup sent after the rename is the confirmation. The
    // looked-up id is a neighbouring account (a missing one is answered too).
    const SteamID own = client->GetSteamID();
    const std::uint64_t v = own.ConvertToUint64();
    const SteamID barrier((v & 0xFFFFFFFFu) == 0xFFFFFFFFu ? v - 1 : v + 1);
    bool confirmed = false;
    client->Subscribe<PersonaStateChange_t>([&](const PersonaStateChange_t& cb) {
      if (cb.m_ulSteamID == barrier.ConvertToUint64()) confirmed = true;
    });
    if (client->SetPersonaName(o.args[0]) == k_uAPICallInvalid)
      return fail(kExitFailure, "the name was not accepted (the session ended?)");
    if (!client->RequestUserInformation(barrier, true))
      return fail(kExitFailure, "could not send the confirming lookup (the session ended?)");
    if (!pump_until(*client, deadline, [&] { return confirmed; }))
      return fail(kExitFailure, "no confirmation of the name change within the timeout");
    out = {{"steam_id", std::to_string(own.ConvertToUint64())}, {"persona_name", client->GetPersonaName()}};
  } else if (o.command == "lookup") {
    bool arrived = !client->RequestUserInformation(lookup_id, true);
    client->Subscribe<PersonaStateChange_t>([&](const PersonaStateChange_t& cb) {
      if (cb.m_ulSteamID == lookup_id.ConvertToUint64()) arrived = true;
    });
    if (!pump_until(*client, deadline, [&] { return arrived; }))
      return fail(kExitFailure, "the server did not answer the lookup within the timeout");
    out = {{"steam_id", std::to_string(lookup_id.ConvertToUint64())},
           {"persona_name", client->GetFriendPersonaName(lookup_id)},
           {"online", client->GetFriendPersonaState(lookup_id) == k_EPersonaStateOnline}};
  } else {  // online
    std::optional<KettleOnlineList_t> answer;
    client->Subscribe<KettleOnlineList_t>([&](const KettleOnlineList_t& cb) { answer = cb; });
    if (!client->RequestOnlineList(0)) return fail(kExitFailure, "could not ask for the online list (session lost)");
    if (!pump_until(*client, deadline, [&] { return answer.has_value(); }))
      return fail(kExitFailure, "the server did not answer the online list within the timeout");
    if (answer->m_eResult == k_EResultAccessDenied)
      return fail(kExitFailure, "this server does not publish who is online (allow_list_online is off)");
    if (answer->m_eResult != k_EResultOK)
      return fail(kExitFailure, "online list failed (EResult " + std::to_string(answer->m_eResult) + ")");
    nlohmann::json users = nlohmann::json::array();
    for (const auto& u : answer->m_users) {
      users.push_back(nlohmann::json{{"steam_id", std::to_string(u.steam_id.ConvertToUint64())},
                                     {"persona_name", u.persona_name},
                                     {"app_id", u.app_id}});
    }
    out = {{"online", std::move(users)}};
  }
  client->Shutdown();
  return Outcome{kExitOk, out.dump(), {}};
}

}  // namespace kettle::cli
