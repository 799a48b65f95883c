#include "client/client_config.hpp"

#include <cmath>

#include "control/messages.hpp"

namespace kettle::client {
namespace {

// Seconds as a Duration; rejects NaN, infinities and values outside [min_s, max_s].
Result<Duration> seconds_field(const char* name, double v, double min_s, double max_s) {
  if (!std::isfinite(v) || v < min_s || v > max_s) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "ClientConfig.%s must be between %g and %g seconds (got %g)", name, min_s, max_s, v);
    return make_error(Errc::invalid_argument, buf);
  }
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(v));
}

}  // namespace

Result<SessionConfig> resolve_config(const ClientConfig& cfg) {
  SessionConfig s;
  if (cfg.server == "embedded") {
    std::string err;
    EmbeddedServer* es = EmbeddedServer::shared(&err);
    if (es == nullptr) return make_error(Errc::io, "the embedded kettle-server could not start: " + err);
    auto addr = Address::parse(es->address());
    auto key = crypto::SigningPublicKey::from_hex(es->public_key());
    if (!addr || !key) return make_error(Errc::internal, "the embedded kettle-server reported a bad address or key");
    s.server = *addr;
    s.server_key = *key;
    s.server_text = es->address();
  } else {
    auto addr = Address::parse(cfg.server);
    if (!addr) {
      return make_error(Errc::invalid_argument, "ClientConfig.server \"" + cfg.server +
                                                    "\" is not \"embedded\" or HOST:PORT: " + addr.error().message);
    }
    if (addr->port == 0)
      return make_error(Errc::invalid_argument, "ClientConfig.server \"" + cfg.server + "\": port 0");
    if (cfg.server_key.empty()) {
      return make_error(Errc::invalid_argument, "ClientConfig.server_key is required for server " + cfg.server +
                                                    " (64 hex characters: kettle-server --print-public-key)");
    }
    auto key = crypto::SigningPublicKey::from_hex(cfg.server_key);
    if (!key) {
      return make_error(Errc::invalid_argument,
                        "ClientConfig.server_key must be 64 hex characters: " + key.error().message);
    }
    s.server = *addr;
    s.server_key = *key;
    s.server_text = cfg.server;
  }

  if (cfg.app_id == 0) return make_error(Errc::invalid_argument, "ClientConfig.app_id must not be 0");
  s.app_id = cfg.app_id;

  if (!cfg.token.empty()) {
    s.method = control::LoginMethod::token;
    s.secret = cfg.token;
  } else if (!cfg.password.empty()) {
    s.method = control::LoginMethod::password;
    s.secret = cfg.password;
  } else {
    s.method = control::LoginMethod::dev;
  }
  if (s.secret.size() > control::kMaxSecretBytes) {
    return make_error(Errc::invalid_argument,
                      std::string("ClientConfig.") + (s.method == control::LoginMethod::token ? "token" : "password") +
                          " is longer than " + std::to_string(control::kMaxSecretBytes) + " bytes");
  }
  if (cfg.login_name.empty()) return make_error(Errc::invalid_argument, "ClientConfig.login_name is empty");
  if (auto st = control::validate_name(cfg.login_name, control::kMaxLoginNameBytes); !st) {
    return make_error(Errc::invalid_argument, "ClientConfig.login_name: " + st.error().message);
  }
  s.login_name = cfg.login_name;

  auto login = seconds_field("login_timeout_s", cfg.login_timeout_s, 0.25, 120);
  if (!login) return std::move(login).error();
  auto rmin = seconds_field("reconnect_min_s", cfg.reconnect_min_s, 0.01, 3600);
  if (!rmin) return std::move(rmin).error();
  auto rmax = seconds_field("reconnect_max_s", cfg.reconnect_max_s, 0.01, 3600);
  if (!rmax) return std::move(rmax).error();
  if (*rmax < *rmin) {
    return make_error(Errc::invalid_argument, "ClientConfig.reconnect_max_s must not be below reconnect_min_s");
  }
  auto live = seconds_field("backend_liveness_s", cfg.backend_liveness_s, 0.5, 3600);
  if (!live) return std::move(live).error();
  s.login_timeout = *login;
  s.reconnect_min = *rmin;
  s.reconnect_max = *rmax;
  s.backend_liveness = *live;
  auto p2p_connect = seconds_field("p2p_connect_timeout_s", cfg.p2p_connect_timeout_s, 0.1, 3600);
  if (!p2p_connect) return std::move(p2p_connect).error();
  auto p2p_hold = seconds_field("p2p_pending_hold_s", cfg.p2p_pending_hold_s, 0.1, 3600);
  if (!p2p_hold) return std::move(p2p_hold).error();
  auto p2p_direct = seconds_field("p2p_direct_timeout_s", cfg.p2p_direct_timeout_s, 0, 3600);
  if (!p2p_direct) return std::move(p2p_direct).error();
  auto p2p_live = seconds_field("p2p_liveness_timeout_s", cfg.p2p_liveness_timeout_s, 0.5, 3600);
  if (!p2p_live) return std::move(p2p_live).error();
  s.p2p_liveness = *p2p_live;
  s.p2p.connect_timeout = *p2p_connect;
  s.p2p.pending_hold = *p2p_hold;
  s.p2p.direct_timeout = *p2p_direct;
  s.p2p.request_name_wait = std::min<Duration>(secs(2), *p2p_hold / 2);
  s.p2p.precise_errors = cfg.precise_session_errors;
  s.p2p.relay_only = cfg.p2p_relay_only;
  auto join = seconds_field("lobby_join_timeout_s", cfg.lobby_join_timeout_s, 0.1, 3600);
  if (!join) return std::move(join).error();
  auto list = seconds_field("lobby_list_timeout_s", cfg.lobby_list_timeout_s, 0.1, 3600);
  if (!list) return std::move(list).error();
  auto batch = seconds_field("lobby_data_batch_s", cfg.lobby_data_batch_s, 0, 10);
  if (!batch) return std::move(batch).error();
  s.lobby = LobbyTiming{*join, *list, *batch};

  auto bind = Address::parse(cfg.local_bind);
  if (!bind) {
    return make_error(Errc::invalid_argument,
                      "ClientConfig.local_bind \"" + cfg.local_bind + "\" is not HOST:PORT: " + bind.error().message);
  }
  // The socket's family must match the server's (no dual-stack magic for a v4 wildcard).
  if (bind->family != s.server.family) {
    if (cfg.local_bind == ClientConfig{}.local_bind && s.server.family == Address::Family::v6) {
      bind = Address::parse("[::]:0");
    } else {
      return make_error(Errc::invalid_argument, "ClientConfig.local_bind " + cfg.local_bind + " and server " +
                                                    s.server_text + " are different IP families");
    }
  }
  s.local_bind = *bind;
  return s;
}

}  // namespace kettle::client
