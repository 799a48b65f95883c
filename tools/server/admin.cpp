#include "admin.hpp"

#include <cstdlib>
#include <ctime>

#include "server/store/credentials.hpp"
#include "server/store/store.hpp"

namespace kettle::server_tool {

namespace {

using server::Command;

std::int64_t now_unix_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string utc(std::int64_t t) {
  if (t <= 0) return "-";
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<server::Account> existing_account(server::Store& store, const std::string& name) {
  auto a = store.find_account(name);
  if (!a) return std::move(a).error();
  if (!a->has_value()) return Error{Errc::invalid_argument, "no account named '" + name + "'"};
  return **a;
}

// The password in the --password-env variable, hashed.
Result<std::string> password_hash_from_env(const server::ServerConfig& cfg) {
  const char* pw = std::getenv(cfg.admin.password_env->c_str());
  if (pw == nullptr || *pw == '\0') {
    return Error{Errc::invalid_argument,
                 "--password-env: variable " + *cfg.admin.password_env + " is not set or empty"};
  }
  return server::hash_password(pw);
}

Status account_add(server::Store& store, const server::ServerConfig& cfg, std::FILE* out) {
  server::CredentialKind kind = server::CredentialKind::none;
  std::string hash;
  if (cfg.admin.password_env) {
    auto h = password_hash_from_env(cfg);
    if (!h) return std::move(h).error();
    kind = server::CredentialKind::password;
    hash = std::move(*h);
  }
  auto a = store.create_account(cfg.admin.name, kind, hash, now_unix_s());
  if (!a) return std::move(a).error();
  std::fprintf(out, "created account %s account_id=%u steam_id=%s password=%s\n", a->login_name.c_str(), a->account_id,
               a->steam_id().to_string().c_str(), cfg.admin.password_env ? "set" : "none");
  if (!cfg.admin.password_env) {
    std::fprintf(out, "no password: log in with a token (kettle-server account token %s)\n", a->login_name.c_str());
  }
  return {};
}

Status account_token(server::Store& store, const server::ServerConfig& cfg, std::FILE* out) {
  auto a = existing_account(store, cfg.admin.name);
  if (!a) return std::move(a).error();
  const std::string token = server::generate_token();
  KETTLE_TRY(store.add_token(a->account_id, server::hash_token(token), now_unix_s()));
  // The only place the token ever appears; the store keeps its hash.
  std::fprintf(out, "%s\n", token.c_str());
  return {};
}

Status account_passwd(server::Store& store, const server::ServerConfig& cfg, std::FILE* out) {
  auto a = existing_account(store, cfg.admin.name);
  if (!a) return std::move(a).error();
  auto h = password_hash_from_env(cfg);
  if (!h) return std::move(h).error();
  KETTLE_TRY(store.set_credential(a->account_id, server::CredentialKind::password, *h));
  std::fprintf(out, "password set for %s\n", a->login_name.c_str());
  return {};
}

Status account_list(server::Store& store, std::FILE* out) {
  auto accounts = store.list_accounts();
  if (!accounts) return std::move(accounts).error();
  std::fprintf(out, "account_id\tsteam_id\tlogin\tpersona\tcreated\tlast_seen\n");
  for (const auto& a : *accounts) {
    std::fprintf(out, "%u\t%s\t%s\t%s\t%s\t%s\n", a.account_id, a.steam_id().to_string().c_str(), a.login_name.c_str(),
                 a.persona_name.c_str(), utc(a.created_unix_s).c_str(), utc(a.last_seen_unix_s).c_str());
  }
  return {};
}

Status app_add(server::Store& store, const server::ServerConfig& cfg, std::FILE* out) {
  // Resolve every grantee first so a typo changes nothing.
  std::vector<server::Account> grantees;
  for (const auto& name : cfg.admin.grants) {
    auto a = existing_account(store, name);
    if (!a) return std::move(a).error();
    grantees.push_back(std::move(*a));
  }
  server::App app;
  app.app_id = cfg.admin.app_id;
  auto existing = store.find_app(app.app_id);
  if (!existing) return std::move(existing).error();
  if (existing->has_value()) app = **existing;  // keep the name unless --name is given
  if (cfg.admin.app_name) app.name = *cfg.admin.app_name;
  if (app.name.empty()) app.name = "app " + std::to_string(app.app_id);  // --name is optional
  app.open = !cfg.admin.closed;
  KETTLE_TRY(store.upsert_app(app));
  for (const auto& g : grantees) KETTLE_TRY(store.grant(app.app_id, g.account_id));
  std::fprintf(out, "app %u name=\"%s\" %s grants=%zu\n", app.app_id, app.name.c_str(), app.open ? "open" : "closed",
               grantees.size());
  return {};
}

}  // namespace

Status run_admin(const server::ServerConfig& cfg, std::FILE* out) {
  auto store = server::open_sqlite_store(cfg.options.db_path);
  if (!store) return std::move(store).error();
  Status st;
  std::string what;
  switch (cfg.command) {
    case Command::account_add:
      st = account_add(**store, cfg, out);
      what = "account add " + cfg.admin.name;
      break;
    case Command::account_token:
      st = account_token(**store, cfg, out);
      what = "account token " + cfg.admin.name;
      break;
    case Command::account_passwd:
      st = account_passwd(**store, cfg, out);
      what = "account passwd " + cfg.admin.name;
      break;
    case Command::account_list:
      st = account_list(**store, out);
      what = "account list";
      break;
    case Command::app_add:
      st = app_add(**store, cfg, out);
      what = "app add " + std::to_string(cfg.admin.app_id);
      break;
    default:
      return Error{Errc::internal, "run_admin: not an admin command"};
  }
  if (!st) return Error{st.error().code, what + ": " + st.error().message};
  return {};
}

}  // namespace kettle::server_tool
