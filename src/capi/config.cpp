// kettle_client_config: its defaults come from kettle::ClientConfig itself, so the C and C++
// defaults cannot drift apart.
#include "capi/capi_internal.hpp"

namespace kettle::capi {
namespace {

std::string text(const char* s, const char* fallback = "") { return s != nullptr ? s : fallback; }

}  // namespace

ClientConfig to_client_config(const kettle_client_config& c) {
  const ClientConfig defaults;
  ClientConfig cfg;
  cfg.server = text(c.server, defaults.server.c_str());
  cfg.server_key = text(c.server_key);
  cfg.app_id = c.app_id;
  cfg.login_name = text(c.login_name);
  cfg.password = text(c.password);
  cfg.token = text(c.token);
  cfg.manual_pump = c.manual_pump != 0;
  cfg.login_timeout_s = c.login_timeout_s;
  cfg.reconnect_min_s = c.reconnect_min_s;
  cfg.reconnect_max_s = c.reconnect_max_s;
  cfg.backend_liveness_s = c.backend_liveness_s;
  cfg.local_bind = text(c.local_bind, defaults.local_bind.c_str());
  cfg.p2p_connect_timeout_s = c.p2p_connect_timeout_s;
  cfg.p2p_pending_hold_s = c.p2p_pending_hold_s;
  cfg.p2p_direct_timeout_s = c.p2p_direct_timeout_s;
  cfg.precise_session_errors = c.precise_session_errors != 0;
  cfg.p2p_relay_only = c.p2p_relay_only != 0;
  return cfg;
}

}  // namespace kettle::capi

extern "C" kettle_result kettle_client_config_init(kettle_client_config* cfg) {
  if (cfg == nullptr) return KETTLE_ERR_INVALID_ARGUMENT;
  return kettle::capi::guarded([cfg] {
    // String fields stay NULL ("use the default"): to_client_config takes server and local_bind
    // from ClientConfig, so the two APIs cannot disagree.
    const kettle::ClientConfig d;
    *cfg = kettle_client_config{};
    cfg->struct_size = sizeof(kettle_client_config);
    cfg->app_id = d.app_id;
    cfg->manual_pump = d.manual_pump ? 1 : 0;
    cfg->login_timeout_s = d.login_timeout_s;
    cfg->reconnect_min_s = d.reconnect_min_s;
    cfg->reconnect_max_s = d.reconnect_max_s;
    cfg->backend_liveness_s = d.backend_liveness_s;
    cfg->p2p_connect_timeout_s = d.p2p_connect_timeout_s;
    cfg->p2p_pending_hold_s = d.p2p_pending_hold_s;
    cfg->p2p_direct_timeout_s = d.p2p_direct_timeout_s;
    cfg->precise_session_errors = d.precise_session_errors ? 1 : 0;
    cfg->p2p_relay_only = d.p2p_relay_only ? 1 : 0;
    return KETTLE_OK;
  });
}
