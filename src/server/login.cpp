// ServerCore's login path: the four methods (docs/server.md "Login"), entitlement and the
// certificate the server issues. Password checks run on an AuthPool worker; everything else
// here is cheap and runs on the I/O thread.
#include <mutex>

#include "core/log.hpp"
#include "server/server_core.hpp"
#include "server/store/credentials.hpp"

namespace kettle::server {

using control::ResultCode;

namespace {

// One text for an unknown account and a wrong secret, so a client cannot probe login names.
constexpr std::string_view kWrongLogin = "wrong login name or password";

std::string_view method_name(control::LoginMethod m) {
  switch (m) {
    case control::LoginMethod::dev:
      return "dev";
    case control::LoginMethod::password:
      return "password";
    case control::LoginMethod::token:
      return "token";
    case control::LoginMethod::certificate:
      return "certificate";
  }
  return "unknown";
}

// A valid hash of a password nobody knows. Verifying against it when the login name does not
// exist makes an unknown name cost the same time as a wrong password.
const std::string& dummy_password_hash() {
  static std::once_flag once;
  static std::string hash;
  std::call_once(once, [] {
    auto h = hash_password("kettle: no such account");
    if (h) hash = std::move(*h);
  });
  return hash;
}

struct PasswordCheck {
  std::optional<Account> account;  // set iff the password matched
  std::string internal_error;      // store failure (logged, reported as "fail")
};

// Runs on an auth worker: only the Store (thread-safe) and its arguments.
PasswordCheck check_password(Store& store, const std::string& name, const std::string& password) {
  PasswordCheck r;
  auto found = store.find_account(std::string_view(name));
  if (!found) {
    r.internal_error = found.error().to_string();
    return r;
  }
  std::optional<Store::Credential> cred;
  if (found->has_value()) {
    auto c = store.credential((*found)->account_id);
    if (!c) {
      r.internal_error = c.error().to_string();
      return r;
    }
    cred = std::move(*c);
  }
  if (!cred || cred->kind != CredentialKind::password) {
    (void)verify_password(dummy_password_hash(), password);
    return r;
  }
  if (verify_password(cred->hash, password)) r.account = std::move(**found);
  return r;
}

}  // namespace

void ServerCore::handle_login(Session& s, std::uint32_t rid, control::Login login, Instant now) {
  if (s.logged_in) {
    send_error(s, rid, ResultCode::invalid_param, "already logged in on this connection", now);
    return;
  }
  if (s.login_pending) {
    send_error(s, rid, ResultCode::invalid_param, "a login is already in progress on this connection", now);
    return;
  }
  logger("server")->debug("login attempt conn={} method={} app={} name=\"{}\"", s.conn, method_name(login.method),
                          login.app_id, login.name);
  if (login.version != control::kControlVersion) {
    login_failed(s, rid, ResultCode::unsupported,
                 "control protocol version " + std::to_string(login.version) + ", server speaks " +
                     std::to_string(control::kControlVersion),
                 now);
    return;
  }
  if (login.app_id == 0) {
    login_failed(s, rid, ResultCode::invalid_param, "app_id must not be 0", now);
    return;
  }
  if (!options_.dev) {
    auto app = store_.find_app(login.app_id);
    if (!app) {
      logger("server")->error("find_app app={} error=\"{}\"", login.app_id, app.error().to_string());
      login_failed(s, rid, ResultCode::fail, "server database error", now);
      return;
    }
    if (!app->has_value()) {
      login_failed(s, rid, ResultCode::invalid_param, "unknown app_id " + std::to_string(login.app_id), now);
      return;
    }
  }
  switch (login.method) {
    case control::LoginMethod::dev:
      login_dev(s, rid, login, now);
      return;
    case control::LoginMethod::password:
      login_password(s, rid, std::move(login), now);
      return;
    case control::LoginMethod::token:
      login_token(s, rid, login, now);
      return;
    case control::LoginMethod::certificate:
      login_certificate(s, rid, login, now);
      return;
  }
  login_failed(s, rid, ResultCode::invalid_param, "unknown login method", now);
}

void ServerCore::login_dev(Session& s, std::uint32_t rid, const control::Login& login, Instant now) {
  if (!options_.dev) {
    login_failed(s, rid, ResultCode::invalid_password, "dev login is disabled on this server; use a password or token",
                 now);
    return;
  }
  if (auto st = control::validate_name(login.name, control::kMaxLoginNameBytes); !st) {
    login_failed(s, rid, ResultCode::invalid_name, "login name: " + st.error().message, now);
    return;
  }
  auto found = store_.find_account(std::string_view(login.name));
  if (!found) {
    logger("server")->error("find_account error=\"{}\"", found.error().to_string());
    login_failed(s, rid, ResultCode::fail, "server database error", now);
    return;
  }
  Account account;
  if (found->has_value()) {
    auto cred = store_.credential((*found)->account_id);
    if (cred && cred->has_value() && (*cred)->kind != CredentialKind::none) {
      login_failed(s, rid, ResultCode::invalid_password,
                   "this account has a password; dev login works only for accounts without one", now);
      return;
    }
    account = std::move(**found);
  } else {
    auto created = store_.create_account(login.name, CredentialKind::none, "", static_cast<std::int64_t>(unix_now_s()));
    if (!created) {
      const bool bad_name = created.code() == Errc::invalid_argument;
      login_failed(s, rid, bad_name ? ResultCode::invalid_name : ResultCode::fail,
                   bad_name ? created.error().message : "server database error", now);
      return;
    }
    logger("server")->info("account created account={} name=\"{}\" method=dev", created->account_id,
                           created->login_name);
    account = std::move(*created);
  }
  complete_login(s, rid, account, login.app_id, now);
}

void ServerCore::login_password(Session& s, std::uint32_t rid, control::Login login, Instant now) {
  if (login.name.empty() || login.secret.empty()) {
    login_failed(s, rid, ResultCode::invalid_password, std::string(kWrongLogin), now);
    return;
  }
  s.login_pending = true;
  const Conn conn = s.conn;
  const std::uint64_t serial = s.serial;
  const std::uint32_t app_id = login.app_id;
  Store& store = store_;
  Status st = auth_.submit([this, &store, conn, serial, rid, app_id, name = std::move(login.name),
                            secret = std::move(login.secret)]() -> AuthPool::Completion {
    PasswordCheck r = check_password(store, name, secret);
    return [this, conn, serial, rid, app_id, r = std::move(r)] {
      Session* session = find(conn);
      if (session == nullptr || session->serial != serial) return;  // gone while we hashed
      session->login_pending = false;
      const Instant t = monotonic_now();
      if (!r.internal_error.empty()) {
        logger("server")->error("password check error=\"{}\"", r.internal_error);
        login_failed(*session, rid, ResultCode::fail, "server database error", t);
      } else if (!r.account) {
        login_failed(*session, rid, ResultCode::invalid_password, std::string(kWrongLogin), t);
      } else {
        complete_login(*session, rid, *r.account, app_id, t);
      }
    };
  });
  if (!st) {
    s.login_pending = false;
    login_failed(s, rid, ResultCode::service_unavailable, "server busy: too many logins in progress, try again", now);
  }
}

void ServerCore::login_token(Session& s, std::uint32_t rid, const control::Login& login, Instant now) {
  if (login.secret.empty()) {
    login_failed(s, rid, ResultCode::invalid_password, std::string(kWrongLogin), now);
    return;
  }
  auto owner = store_.find_token(hash_token(login.secret));
  std::optional<Account> account;
  if (owner && owner->has_value()) {
    auto found = store_.find_account(**owner);
    if (found && found->has_value()) account = std::move(**found);
  }
  // The codec requires a login name for this method; it must be the token owner's.
  if (!owner || (account && login.name != account->login_name)) account.reset();
  if (!account) {
    login_failed(s, rid, ResultCode::invalid_password, std::string(kWrongLogin), now);
    return;
  }
  complete_login(s, rid, *account, login.app_id, now);
}

void ServerCore::login_certificate(Session& s, std::uint32_t rid, const control::Login& login, Instant now) {
  if (!login.certificate) {
    login_failed(s, rid, ResultCode::invalid_param, "certificate login without a certificate", now);
    return;
  }
  const crypto::Certificate& cert = *login.certificate;
  if (auto st = cert.verify(options_.key.pub, unix_now_s()); !st) {
    if (st.code() == Errc::expired) {
      login_failed(s, rid, ResultCode::expired,
                   "certificate expired at " + std::to_string(cert.expiry_unix_s) + " (unix time); log in again", now);
    } else {
      login_failed(s, rid, ResultCode::invalid_certificate, "certificate was not issued by this server's key", now);
    }
    return;
  }
  if (cert.public_key != s.peer_key) {
    login_failed(s, rid, ResultCode::invalid_certificate, "certificate belongs to another key", now);
    return;
  }
  if (!cert.steam_id.BIndividualAccount()) {
    login_failed(s, rid, ResultCode::invalid_certificate, "certificate is not for a user account", now);
    return;
  }
  auto found = store_.find_account(cert.steam_id.account_id());
  if (!found || !found->has_value()) {
    login_failed(s, rid, ResultCode::invalid_certificate, "the certificate's account no longer exists", now);
    return;
  }
  complete_login(s, rid, **found, login.app_id, now);
}

void ServerCore::login_failed(Session& s, std::uint32_t rid, ResultCode code, std::string message, Instant now) {
  metrics_.logins_failed.fetch_add(1, std::memory_order_relaxed);
  logger("server")->info("login failed conn={} addr={} code={} reason=\"{}\"", s.conn, s.peer_address.to_string(),
                         control::result_code_name(code), message);
  send_error(s, rid, code, std::move(message), now);
}

bool ServerCore::entitled(const Account& account, std::uint32_t app_id) {
  if (options_.dev) return true;
  auto app = store_.find_app(app_id);
  if (app && app->has_value() && (*app)->open) return true;
  if (auto it = app_allow_.find(app_id); it != app_allow_.end() && it->second.contains(account.login_name)) return true;
  auto granted = store_.has_grant(app_id, account.account_id);
  return granted && *granted;
}

crypto::Certificate ServerCore::issue_certificate(const Session& s) {
  const auto lifetime_s = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(options_.certificate_lifetime).count());
  return crypto::Certificate::issue(options_.key, s.steam_id(), s.app_id, s.peer_key, unix_now_s() + lifetime_s);
}

void ServerCore::complete_login(Session& s, std::uint32_t rid, const Account& account, std::uint32_t app_id,
                                Instant now) {
  if (auto it = online_.find(account.account_id); it != online_.end() && it->second != s.conn) {
    Session& old = *sessions_.at(it->second);
    logger("server")->info("session replaced account={} old_conn={} new_conn={}", account.account_id, old.conn, s.conn);
    // The client behind the old connection is gone or starting over: its lobbies see it
    // disconnected, and the client tells its game (LobbyKicked_t) when it logs on again.
    leave_lobbies(old, control::MemberChange::disconnected, now);
    old.logged_in = false;
    online_.erase(it);
    drop_relays(old);
    (void)endpoint_.close(old.conn, kCloseLoggedInElsewhere, "logged in elsewhere", now);
  }
  s.logged_in = true;
  s.account_id = account.account_id;
  s.login_name = account.login_name;
  s.persona_name = account.persona_name;
  s.app_id = app_id;
  online_[account.account_id] = s.conn;
  update_gauges();
  touch_later(account.account_id, now);

  control::LoginOk ok;
  ok.steam_id = s.steam_id();
  ok.persona_name = s.persona_name;
  ok.certificate = issue_certificate(s);
  ok.subscribed = entitled(account, app_id);
  ok.reflexive = s.peer_address;
  ok.server_time_unix_s = unix_now_s();
  metrics_.logins_ok.fetch_add(1, std::memory_order_relaxed);
  metrics_.certificates_issued.fetch_add(1, std::memory_order_relaxed);
  logger("server")->info("login ok account={} steam_id={} app={} conn={} addr={} subscribed={}", account.account_id,
                         ok.steam_id.to_string(), app_id, s.conn, s.peer_address.to_string(), ok.subscribed);
  send(s, rid, std::move(ok), now);
  notify_watchers(account.account_id, persona_of(s), control::kPersonaChangeComeOnline, now);
}

}  // namespace kettle::server
