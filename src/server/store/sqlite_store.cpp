// SqliteStore: the default Store. One connection, one mutex: SQLite serialises writers anyway
// and every call is short, so a connection pool would add locking without adding throughput.
#include <sqlite3.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <system_error>

#include "control/messages.hpp"
#include "core/log.hpp"
#include "server/store/migrations.hpp"
#include "server/store/sqlite_util.hpp"
#include "server/store/store.hpp"

namespace kettle::server {
namespace {

using sqlite::bind_int;
using sqlite::bind_text;
using sqlite::column_text;
using sqlite::Use;

constexpr int kBusyTimeoutMs = 5000;

// Prepared once at open; indices into SqliteStore::stmts_.
enum Q : std::size_t {
  kInsertAccount,
  kFindAccountByName,
  kFindAccountById,
  kListAccounts,
  kCredential,
  kSetCredential,
  kSetPersona,
  kTouch,
  kAddToken,
  kFindToken,
  kUpsertApp,
  kFindApp,
  kListApps,
  kGrant,
  kRevoke,
  kHasGrant,
  kQueryCount,
};

#define KETTLE_ACCOUNT_COLUMNS "account_id, login_name, persona_name, created_unix_s, last_seen_unix_s"

constexpr std::array<const char*, kQueryCount> kSql{
    "INSERT INTO accounts(login_name, persona_name, credential_kind, credential_hash, created_unix_s, "
    "last_seen_unix_s) VALUES(?1, ?1, ?2, ?3, ?4, 0)",
    "SELECT " KETTLE_ACCOUNT_COLUMNS " FROM accounts WHERE login_name = ?1",
    "SELECT " KETTLE_ACCOUNT_COLUMNS " FROM accounts WHERE account_id = ?1",
    "SELECT " KETTLE_ACCOUNT_COLUMNS " FROM accounts ORDER BY account_id",
    "SELECT credential_kind, credential_hash FROM accounts WHERE account_id = ?1",
    "UPDATE accounts SET credential_kind = ?2, credential_hash = ?3 WHERE account_id = ?1",
    "UPDATE accounts SET persona_name = ?2 WHERE account_id = ?1",
    "UPDATE accounts SET last_seen_unix_s = ?2 WHERE account_id = ?1",
    "INSERT INTO tokens(token_hash, account_id, created_unix_s) VALUES(?1, ?2, ?3)",
    "SELECT account_id FROM tokens WHERE token_hash = ?1",
    "INSERT INTO apps(app_id, name, open) VALUES(?1, ?2, ?3) "
    "ON CONFLICT(app_id) DO UPDATE SET name = excluded.name, open = excluded.open",
    "SELECT app_id, name, open FROM apps WHERE app_id = ?1",
    "SELECT app_id, name, open FROM apps ORDER BY app_id",
    "INSERT OR IGNORE INTO grants(app_id, account_id) VALUES(?1, ?2)",
    "DELETE FROM grants WHERE app_id = ?1 AND account_id = ?2",
    "SELECT 1 FROM grants WHERE app_id = ?1 AND account_id = ?2",
};

#undef KETTLE_ACCOUNT_COLUMNS

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// control::validate_name's rules, with the field named: "login name: empty" beats "name: empty".
Status check_name(std::string_view name, std::size_t max_bytes, std::string_view what) {
  Status s = control::validate_name(name, max_bytes);
  if (s.ok()) return s;
  std::string msg = s.error().message;
  if (msg.rfind("name", 0) == 0) msg.erase(0, 4);
  return make_error(Errc::invalid_argument, std::string(what) + msg);
}

bool is_token_hash(std::string_view h) {
  if (h.size() != 64) return false;
  for (char c : h) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status check_credential(CredentialKind kind, std::string_view hash) {
  switch (kind) {
    case CredentialKind::none:
      if (!hash.empty()) return make_error(Errc::invalid_argument, "credential kind none takes no hash");
      return {};
    case CredentialKind::password:
      if (hash.empty() || hash.size() > 512) {
        return make_error(Errc::invalid_argument, "password credential needs a crypto_pwhash_str hash");
      }
      return {};
  }
  return make_error(Errc::invalid_argument, "unknown credential kind");
}

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite::DbPtr db, std::string path, std::array<sqlite::Stmt, kQueryCount> stmts)
      : db_(std::move(db)), path_(std::move(path)), stmts_(std::move(stmts)) {}

  Result<Account> create_account(std::string_view login_name, CredentialKind kind, std::string_view credential_hash,
                                 std::int64_t now_unix_s) override {
    KETTLE_TRY(check_name(login_name, control::kMaxLoginNameBytes, "login name"));
    KETTLE_TRY(check_credential(kind, credential_hash));
    std::lock_guard lock(mu_);
    Use st(stmts_[kInsertAccount].get());
    bind_text(st.get(), 1, login_name);
    bind_int(st.get(), 2, static_cast<int>(kind));
    bind_text(st.get(), 3, credential_hash);
    bind_int(st.get(), 4, now_unix_s);
    const int rc = sqlite3_step(st.get());
    if (rc == SQLITE_CONSTRAINT_UNIQUE) return make_error(Errc::invalid_argument, "login name already taken");
    if (rc == SQLITE_CONSTRAINT_CHECK) return make_error(Errc::io, "account ids exhausted (2^32 - 1 accounts)");
    if (rc != SQLITE_DONE) return fail(rc, "create account");
    Account a;
    a.account_id = static_cast<std::uint32_t>(sqlite3_last_insert_rowid(db_.get()));
    a.login_name = std::string(login_name);
    a.persona_name = a.login_name;
    a.created_unix_s = now_unix_s;
    a.last_seen_unix_s = 0;
    return a;
  }

  Result<std::optional<Account>> find_account(std::string_view login_name) override {
    if (login_name.empty() || login_name.size() > control::kMaxLoginNameBytes) return std::optional<Account>{};
    std::lock_guard lock(mu_);
    Use st(stmts_[kFindAccountByName].get());
    bind_text(st.get(), 1, login_name);
    return one_account(st.get());
  }

  Result<std::optional<Account>> find_account(std::uint32_t account_id) override {
    std::lock_guard lock(mu_);
    Use st(stmts_[kFindAccountById].get());
    bind_int(st.get(), 1, account_id);
    return one_account(st.get());
  }

  Result<std::vector<Account>> list_accounts() override {
    std::lock_guard lock(mu_);
    Use st(stmts_[kListAccounts].get());
    std::vector<Account> out;
    for (;;) {
      const int rc = sqlite3_step(st.get());
      if (rc == SQLITE_DONE) return out;
      if (rc != SQLITE_ROW) return fail(rc, "list accounts");
      out.push_back(read_account(st.get()));
    }
  }

  Result<std::optional<Credential>> credential(std::uint32_t account_id) override {
    std::lock_guard lock(mu_);
    Use st(stmts_[kCredential].get());
    bind_int(st.get(), 1, account_id);
    const int rc = sqlite3_step(st.get());
    if (rc == SQLITE_DONE) return std::optional<Credential>{};
    if (rc != SQLITE_ROW) return fail(rc, "read credential");
    const std::int64_t kind = sqlite3_column_int64(st.get(), 0);
    if (kind != static_cast<int>(CredentialKind::none) && kind != static_cast<int>(CredentialKind::password)) {
      return make_error(Errc::malformed, "database file " + path_ + ": account " + std::to_string(account_id) +
                                             " has unknown credential kind " + std::to_string(kind));
    }
    return std::optional<Credential>{Credential{static_cast<CredentialKind>(kind), column_text(st.get(), 1)}};
  }

  Status set_credential(std::uint32_t account_id, CredentialKind kind, std::string_view hash) override {
    KETTLE_TRY(check_credential(kind, hash));
    std::lock_guard lock(mu_);
    Use st(stmts_[kSetCredential].get());
    bind_int(st.get(), 1, account_id);
    bind_int(st.get(), 2, static_cast<int>(kind));
    bind_text(st.get(), 3, hash);
    return update_one(st.get(), account_id, "set credential");
  }

  Status set_persona_name(std::uint32_t account_id, std::string_view name) override {
    KETTLE_TRY(check_name(name, control::kMaxPersonaNameBytes, "persona name"));
    std::lock_guard lock(mu_);
    Use st(stmts_[kSetPersona].get());
    bind_int(st.get(), 1, account_id);
    bind_text(st.get(), 2, name);
    return update_one(st.get(), account_id, "set persona name");
  }

  Status touch(std::uint32_t account_id, std::int64_t now_unix_s) override {
    std::lock_guard lock(mu_);
    Use st(stmts_[kTouch].get());
    bind_int(st.get(), 1, account_id);
    bind_int(st.get(), 2, now_unix_s);
    return update_one(st.get(), account_id, "touch account");
  }

  Status touch_many(std::span<const Touch> touches) override {
    if (touches.empty()) return {};
    std::lock_guard lock(mu_);
    KETTLE_TRY(sqlite::exec(db_.get(), "BEGIN", path_, "touch batch"));
    for (const Touch& t : touches) {
      Use st(stmts_[kTouch].get());
      bind_int(st.get(), 1, t.account_id);
      bind_int(st.get(), 2, t.now_unix_s);
      if (sqlite3_step(st.get()) != SQLITE_DONE) {
        const std::string why = sqlite3_errmsg(db_.get());
        (void)sqlite::exec(db_.get(), "ROLLBACK", path_, "touch batch");
        return make_error(Errc::io, "touch batch: " + why);
      }
    }
    return sqlite::exec(db_.get(), "COMMIT", path_, "touch batch");
  }

  Status add_token(std::uint32_t account_id, std::string_view token_hash, std::int64_t now_unix_s) override {
    // Refusing anything but a hash keeps a raw token (a secret) from ever reaching the file.
    if (!is_token_hash(token_hash)) {
      return make_error(Errc::invalid_argument, "token hash must be 64 lowercase hex characters (hash_token())");
    }
    std::lock_guard lock(mu_);
    Use st(stmts_[kAddToken].get());
    bind_text(st.get(), 1, token_hash);
    bind_int(st.get(), 2, account_id);
    bind_int(st.get(), 3, now_unix_s);
    const int rc = sqlite3_step(st.get());
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) return make_error(Errc::invalid_argument, "token already stored");
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return no_account(account_id);
    if (rc != SQLITE_DONE) return fail(rc, "add token");
    return {};
  }

  Result<std::optional<std::uint32_t>> find_token(std::string_view token_hash) override {
    if (!is_token_hash(token_hash)) return std::optional<std::uint32_t>{};
    std::lock_guard lock(mu_);
    Use st(stmts_[kFindToken].get());
    bind_text(st.get(), 1, token_hash);
    const int rc = sqlite3_step(st.get());
    if (rc == SQLITE_DONE) return std::optional<std::uint32_t>{};
    if (rc != SQLITE_ROW) return fail(rc, "find token");
    return std::optional<std::uint32_t>{static_cast<std::uint32_t>(sqlite3_column_int64(st.get(), 0))};
  }

  Status upsert_app(const App& app) override {
    if (app.app_id == 0) return make_error(Errc::invalid_argument, "app id 0 is not a valid app");
    KETTLE_TRY(check_name(app.name, kMaxAppNameBytes, "app name"));
    std::lock_guard lock(mu_);
    Use st(stmts_[kUpsertApp].get());
    bind_int(st.get(), 1, app.app_id);
    bind_text(st.get(), 2, app.name);
    bind_int(st.get(), 3, app.open ? 1 : 0);
    const int rc = sqlite3_step(st.get());
    if (rc != SQLITE_DONE) return fail(rc, "upsert app");
    return {};
  }

  Result<std::optional<App>> find_app(std::uint32_t app_id) override {
    std::lock_guard lock(mu_);
    Use st(stmts_[kFindApp].get());
    bind_int(st.get(), 1, app_id);
    const int rc = sqlite3_step(st.get());
    if (rc == SQLITE_DONE) return std::optional<App>{};
    if (rc != SQLITE_ROW) return fail(rc, "find app");
    return std::optional<App>{read_app(st.get())};
  }

  Result<std::vector<App>> list_apps() override {
    std::lock_guard lock(mu_);
    Use st(stmts_[kListApps].get());
    std::vector<App> out;
    for (;;) {
      const int rc = sqlite3_step(st.get());
      if (rc == SQLITE_DONE) return out;
      if (rc != SQLITE_ROW) return fail(rc, "list apps");
      out.push_back(read_app(st.get()));
    }
  }

  Status grant(std::uint32_t app_id, std::uint32_t account_id) override {
    std::lock_guard lock(mu_);
    Use st(stmts_[kGrant].get());
    bind_int(st.get(), 1, app_id);
    bind_int(st.get(), 2, account_id);
    const int rc = sqlite3_step(st.get());
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
      return make_error(Errc::invalid_argument, "cannot grant app " + std::to_string(app_id) + " to account " +
                                                    std::to_string(account_id) + ": no such app or account");
    }
    if (rc != SQLITE_DONE) return fail(rc, "grant");
    return {};
  }

  Status revoke(std::uint32_t app_id, std::uint32_t account_id) override {
    std::lock_guard lock(mu_);
    Use st(stmts_[kRevoke].get());
    bind_int(st.get(), 1, app_id);
    bind_int(st.get(), 2, account_id);
    const int rc = sqlite3_step(st.get());
    if (rc != SQLITE_DONE) return fail(rc, "revoke");
    return {};
  }

  Result<bool> has_grant(std::uint32_t app_id, std::uint32_t account_id) override {
    std::lock_guard lock(mu_);
    Use st(stmts_[kHasGrant].get());
    bind_int(st.get(), 1, app_id);
    bind_int(st.get(), 2, account_id);
    const int rc = sqlite3_step(st.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return fail(rc, "check grant");
  }

 private:
  Error fail(int rc, std::string_view what) { return sqlite::error(db_.get(), rc, path_, what); }

  static Error no_account(std::uint32_t account_id) {
    return make_error(Errc::invalid_argument, "no account " + std::to_string(account_id));
  }

  Status update_one(sqlite3_stmt* st, std::uint32_t account_id, std::string_view what) {
    const int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) return fail(rc, what);
    if (sqlite3_changes(db_.get()) == 0) return no_account(account_id);
    return {};
  }

  static Account read_account(sqlite3_stmt* st) {
    Account a;
    a.account_id = static_cast<std::uint32_t>(sqlite3_column_int64(st, 0));
    a.login_name = column_text(st, 1);
    a.persona_name = column_text(st, 2);
    a.created_unix_s = sqlite3_column_int64(st, 3);
    a.last_seen_unix_s = sqlite3_column_int64(st, 4);
    return a;
  }

  static App read_app(sqlite3_stmt* st) {
    App a;
    a.app_id = static_cast<std::uint32_t>(sqlite3_column_int64(st, 0));
    a.name = column_text(st, 1);
    a.open = sqlite3_column_int64(st, 2) != 0;
    return a;
  }

  Result<std::optional<Account>> one_account(sqlite3_stmt* st) {
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return std::optional<Account>{};
    if (rc != SQLITE_ROW) return fail(rc, "find account");
    return std::optional<Account>{read_account(st)};
  }

  // Declared before stmts_ so statements are finalized before the connection closes.
  sqlite::DbPtr db_;
  std::string path_;
  std::array<sqlite::Stmt, kQueryCount> stmts_;
  std::mutex mu_;
};

// sqlite3_open_v2 says only "unable to open database file"; name the path and the OS reason.
Error open_error(sqlite3* db, int rc, const std::string& path) {
  std::string reason;
  if (const int sys = db ? sqlite3_system_errno(db) : 0; sys != 0) {
    reason = std::generic_category().message(sys);
  } else {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path dir = fs::absolute(fs::path(path), ec).parent_path();
    const auto st = fs::status(dir, ec);
    if (!fs::exists(st)) {
      reason = "directory " + dir.string() + " does not exist";
    } else if (!fs::is_directory(st)) {
      reason = dir.string() + " is not a directory";
    } else {
      reason = sqlite3_errstr(rc);
    }
  }
  return make_error(Errc::io, "cannot open database file " + path + ": " + reason + " (" +
                                  (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)) + ")");
}

// A garbage or truncated file fails here (SQLITE_NOTADB / SQLITE_CORRUPT, or rows other than
// "ok") before anything tries to write to it.
Status quick_check(sqlite3* db, const std::string& path) {
  auto st = sqlite::prepare(db, "PRAGMA quick_check", path);
  if (!st) return std::move(st).error();
  std::string problems;
  for (;;) {
    const int rc = sqlite3_step(st->get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return sqlite::error(db, rc, path, "check database");
    std::string row = column_text(st->get(), 0);
    if (row == "ok") continue;
    if (!problems.empty()) problems += "; ";
    if (problems.size() > 400) {
      problems += "...";
      break;
    }
    problems += row;
  }
  if (problems.empty()) return {};
  return make_error(Errc::malformed, "database file " + path + " is corrupt or not a Kettle database: " + problems);
}

Result<std::string> pragma_text(sqlite3* db, const std::string& path, const char* sql) {
  auto st = sqlite::prepare(db, sql, path);
  if (!st) return std::move(st).error();
  const int rc = sqlite3_step(st->get());
  if (rc == SQLITE_DONE) return std::string();
  if (rc != SQLITE_ROW) return sqlite::error(db, rc, path, sql);
  return column_text(st->get(), 0);
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path) {
  if (path.empty()) return make_error(Errc::invalid_argument, "database path is empty");
  sqlite3* raw = nullptr;
  // NOMUTEX: SqliteStore serialises every call with its own mutex.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  sqlite::DbPtr db(raw);
  if (rc != SQLITE_OK) return open_error(db.get(), rc, path);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);

  KETTLE_TRY(quick_check(db.get(), path));
  auto mode = pragma_text(db.get(), path, "PRAGMA journal_mode=WAL");
  if (!mode) return std::move(mode).error();
  if (*mode != "wal" && path != ":memory:") {
    return make_error(Errc::io, "database file " + path + ": cannot enable WAL mode (journal_mode is " + *mode +
                                    "); is it on a network file system?");
  }
  KETTLE_TRY(sqlite::exec(db.get(), "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON", path, "configure"));
  KETTLE_TRY(sqlite::migrate(db.get(), path, unix_now()));

  std::array<sqlite::Stmt, kQueryCount> stmts;
  for (std::size_t i = 0; i < kQueryCount; ++i) {
    auto st = sqlite::prepare(db.get(), kSql[i], path);
    if (!st) return std::move(st).error();
    stmts[i] = std::move(*st);
  }
  logger("server")->info("opened database {} (schema version {}, journal {})", path, sqlite::latest_schema_version(),
                         *mode);
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(db), path, std::move(stmts)));
}

}  // namespace kettle::server
