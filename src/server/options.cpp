// ServerOptions::validate: every option's range in one place, with messages that name it.
#include <algorithm>
#include <unordered_set>

#include "control/messages.hpp"
#include "server/server.hpp"

namespace kettle::server {

namespace {

Error bad(std::string message) { return make_error(Errc::invalid_argument, std::move(message)); }

}  // namespace

Status ServerOptions::validate() const {
  if (!udp.is_set()) return bad("udp: bind address is unset");
  if (http && !http->is_set()) return bad("http: bind address is unset (use nullopt to disable HTTP)");
  if (db_path.empty()) return bad("db_path is empty (use \":memory:\" for a throwaway database)");
  if (key.pub == crypto::SigningPublicKey{}) return bad("key is not set (see load_or_create_key)");
  // 10 s is only sensible for tests (clients refresh at 2/3 of it); the default is 1 h.
  if (certificate_lifetime < secs(10) || certificate_lifetime > secs(366LL * 24 * 3600)) {
    return bad("certificate_lifetime must be in [10 s, 366 days]");
  }
  if (backend_liveness < secs(1) || backend_liveness > secs(3600)) {
    return bad("backend_liveness must be in [1 s, 3600 s]");
  }
  if (auth_threads < 1 || auth_threads > 64) return bad("auth_threads must be in [1, 64]");
  if (max_clients < 1 || max_clients > 1'000'000) return bad("max_clients must be in [1, 1000000]");
  std::unordered_set<std::uint32_t> seen;
  for (const auto& app : apps) {
    if (app.app_id == 0) return bad("apps: app_id 0 is reserved");
    if (!seen.insert(app.app_id).second) return bad("apps: app_id " + std::to_string(app.app_id) + " listed twice");
    for (const auto& name : app.allow) {
      if (auto st = control::validate_name(name, control::kMaxLoginNameBytes); !st) {
        return bad("apps: app " + std::to_string(app.app_id) + " allow list: " + st.error().message);
      }
    }
  }
  if (relay && relay->is_set() && relay->port != 0 && *relay == udp) return bad("relay: must differ from udp");
  if (relay && !relay->is_set() && udp.port == 65535) {
    return bad("relay: the default relay port is udp's port + 1, but udp uses 65535; set relay explicitly");
  }
  if (relay_rate_bytes < relay::kMaxForwardBytes || relay_rate_bytes > 100'000'000'000ULL) {
    return bad("relay_rate_bytes must be in [" + std::to_string(relay::kMaxForwardBytes) +
               ", 100000000000] (bytes per second per allocation)");
  }
  if (relay_idle_timeout < secs(1) || relay_idle_timeout > secs(24 * 3600)) {
    return bad("relay_idle_timeout must be in [1 s, 86400 s]");
  }
  if (relay_max_allocations < 1 || relay_max_allocations > 100'000) {
    return bad("relay_max_allocations must be in [1, 100000]");
  }
  transport::Config t = transport;
  t.accept_anonymous_peers = true;
  t.idle_timeout = backend_liveness;
  t.max_connections = max_clients;
  t.keepalive_interval = std::min(t.keepalive_interval, backend_liveness / 3);
  if (auto st = t.validate(); !st) return bad("transport: " + st.error().message);
  return {};
}

}  // namespace kettle::server
