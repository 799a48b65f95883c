// The client handle: lifecycle and the local user's identity (kettle.h "Client lifecycle", "User
// and friends"). Each entry point checks its pointers, then calls kettle::Client inside the
// exception barrier.
#include "capi/capi_internal.hpp"

using kettle::capi::guarded;
using kettle::capi::guarded_value;

static_assert(KETTLE_INIT_OK == static_cast<int>(kettle::k_ESteamAPIInitResult_OK));
static_assert(KETTLE_INIT_FAILED_GENERIC == static_cast<int>(kettle::k_ESteamAPIInitResult_FailedGeneric));
static_assert(KETTLE_INIT_NO_STEAM_CLIENT == static_cast<int>(kettle::k_ESteamAPIInitResult_NoSteamClient));
static_assert(KETTLE_INIT_VERSION_MISMATCH == static_cast<int>(kettle::k_ESteamAPIInitResult_VersionMismatch));

extern "C" kettle_result kettle_client_create(kettle_client** out) {
  if (out == nullptr) return KETTLE_ERR_INVALID_ARGUMENT;
  *out = nullptr;
  return guarded([out] {
    auto c = std::make_unique<kettle_client>();
    c->client = kettle::Client::Create();
    *out = c.release();  // owned by the caller until kettle_client_destroy
    return KETTLE_OK;
  });
}

extern "C" void kettle_client_destroy(kettle_client* client) {
  // The destructor shuts down; a throwing teardown would otherwise end in std::terminate.
  (void)guarded([client] {
    std::unique_ptr<kettle_client> owned(client);
    return KETTLE_OK;
  });
}

extern "C" kettle_init_result kettle_client_init(kettle_client* client, const kettle_client_config* cfg, char* message,
                                                 size_t message_size) {
  using kettle::capi::copy_message;
  copy_message("", message, message_size);
  if (client == nullptr || cfg == nullptr) {
    copy_message(client == nullptr ? "kettle_client_init: client is NULL" : "kettle_client_init: config is NULL",
                 message, message_size);
    return KETTLE_INIT_FAILED_GENERIC;
  }
  if (cfg->struct_size != sizeof(kettle_client_config)) {
    copy_message("kettle_client_init: config was not set up by kettle_client_config_init", message, message_size);
    return KETTLE_INIT_FAILED_GENERIC;
  }
  kettle_init_result code = KETTLE_INIT_FAILED_GENERIC;
  const kettle_result r = guarded([&] {
    const kettle::InitResult res = client->client->Init(kettle::capi::to_client_config(*cfg));
    code = static_cast<kettle_init_result>(res.code);
    copy_message(res.message, message, message_size);
    if (res.code == kettle::k_ESteamAPIInitResult_OK) client->initialized.store(true, std::memory_order_release);
    return KETTLE_OK;
  });
  if (r != KETTLE_OK) {
    copy_message(
        r == KETTLE_ERR_OUT_OF_MEMORY ? "kettle_client_init: out of memory" : "kettle_client_init: internal error",
        message, message_size);
    return KETTLE_INIT_FAILED_GENERIC;
  }
  return code;
}

extern "C" kettle_result kettle_client_shutdown(kettle_client* client) {
  if (client == nullptr) return KETTLE_ERR_INVALID_ARGUMENT;
  return guarded([client] {
    client->initialized.store(false, std::memory_order_release);
    client->client->Shutdown();
    return KETTLE_OK;
  });
}

extern "C" kettle_result kettle_client_run_callbacks(kettle_client* client) {
  if (client == nullptr) return KETTLE_ERR_INVALID_ARGUMENT;
  return guarded([client] {
    client->client->RunCallbacks();
    return KETTLE_OK;
  });
}

extern "C" kettle_result kettle_client_pump(kettle_client* client) {
  if (client == nullptr) return KETTLE_ERR_INVALID_ARGUMENT;
  return guarded([client] {
    client->client->Pump();
    return KETTLE_OK;
  });
}

extern "C" int kettle_client_logged_on(const kettle_client* client) {
  if (client == nullptr) return 0;
  return guarded_value(0, [client] { return client->client->BLoggedOn() ? 1 : 0; });
}

extern "C" uint64_t kettle_client_get_steam_id(const kettle_client* client) {
  if (client == nullptr) return 0;
  return guarded_value<uint64_t>(0, [client] { return client->client->GetSteamID().ConvertToUint64(); });
}

extern "C" uint32_t kettle_client_get_app_id(const kettle_client* client) {
  if (client == nullptr) return 0;
  return guarded_value<uint32_t>(0, [client] { return client->client->GetAppID(); });
}
