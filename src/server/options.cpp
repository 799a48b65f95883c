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
  transport::Config t = transport;
  t.accept_anonymous_peers = true;
  t.idle_timeout = backend_liveness;
  t.max_connections = max_clients;
  t.keepalive_interval = std::min(t.keepalive_interval, backend_liveness / 3);
  if (auto st = t.validate(); !st) return bad("transport: " + st.error().message);
  return {};
}

}  // namespace kettle::server
