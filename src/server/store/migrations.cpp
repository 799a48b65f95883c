#include "server/store/migrations.hpp"

#include <array>

#include "server/store/sqlite_util.hpp"

namespace kettle::server::sqlite {
namespace {

// Never edit a step once released: databases in the field have run it. Add a new one instead.
constexpr std::array kMigrations{
    Migration{1, R"sql(
CREATE TABLE accounts(
  account_id       INTEGER PRIMARY KEY AUTOINCREMENT  -- AUTOINCREMENT: ids are never reused
                   CHECK (account_id BETWEEN 1 AND 4294967295),
  login_name       TEXT    NOT NULL UNIQUE,
  persona_name     TEXT    NOT NULL,
  credential_kind  INTEGER NOT NULL DEFAULT 0,
  credential_hash  TEXT    NOT NULL DEFAULT '',
  created_unix_s   INTEGER NOT NULL,
  last_seen_unix_s INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tokens(
  token_hash     TEXT    PRIMARY KEY,
  account_id     INTEGER NOT NULL REFERENCES accounts(account_id),
  created_unix_s INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX tokens_by_account ON tokens(account_id);
CREATE TABLE apps(
  app_id INTEGER PRIMARY KEY CHECK (app_id BETWEEN 1 AND 4294967295),
  name   TEXT    NOT NULL,
  open   INTEGER NOT NULL
);
CREATE TABLE grants(
  app_id     INTEGER NOT NULL REFERENCES apps(app_id),
  account_id INTEGER NOT NULL REFERENCES accounts(account_id),
  PRIMARY KEY(app_id, account_id)
) WITHOUT ROWID;
CREATE INDEX grants_by_account ON grants(account_id);
)sql"},
};

// step_once() indexes the list by the recorded version.
constexpr bool contiguous() {
  for (std::size_t i = 0; i < kMigrations.size(); ++i) {
    if (kMigrations[i].version != static_cast<int>(i) + 1) return false;
  }
  return true;
}
static_assert(contiguous(), "migration versions must be 1, 2, 3, ... in order");

// Counts user tables other than ours, so a foreign SQLite file is refused, not scribbled on.
Result<int> count_tables(sqlite3* db, const std::string& path, const char* where) {
  std::string sql = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND ";
  sql += where;
  auto st = prepare(db, sql, path);
  if (!st) return std::move(st).error();
  const int rc = sqlite3_step(st->get());
  if (rc != SQLITE_ROW) return error(db, rc, path, "read schema");
  return sqlite3_column_int(st->get(), 0);
}

Error rollback(sqlite3* db, Error e) {
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  return e;
}

Status check_is_kettle(sqlite3* db, const std::string& path) {
  auto ours = count_tables(db, path, "name = 'schema_migrations'");
  if (!ours) return std::move(ours).error();
  if (*ours == 1) return {};
  auto others = count_tables(db, path, "name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
  if (!others) return std::move(others).error();
  if (*others > 0) {
    return make_error(Errc::malformed, "database file " + path + " is corrupt or not a Kettle database: it holds " +
                                           std::to_string(*others) + " table(s) but no schema_migrations");
  }
  return {};
}

// One pending step (or none) inside a write transaction. Returns the version now recorded.
Result<int> step_once(sqlite3* db, const std::string& path, std::int64_t now_unix_s) {
  // IMMEDIATE takes the write lock up front, so two servers opening the same file do not both
  // apply a step; the second waits (busy_timeout), then sees the new version.
  KETTLE_TRY(exec(db, "BEGIN IMMEDIATE", path, "begin migration"));
  if (auto s = check_is_kettle(db, path); !s) return rollback(db, std::move(s).error());
  if (auto s = exec(db,
                    "CREATE TABLE IF NOT EXISTS schema_migrations("
                    "version INTEGER PRIMARY KEY, applied_unix_s INTEGER NOT NULL)",
                    path, "create schema_migrations");
      !s) {
    return rollback(db, std::move(s).error());
  }
  auto v = schema_version(db, path);
  if (!v) return rollback(db, std::move(v).error());
  const int latest = latest_schema_version();
  if (*v > latest) {
    return rollback(
        db, make_error(Errc::unsupported, "database file " + path + " has schema version " + std::to_string(*v) +
                                              " but this kettle-server knows only up to version " +
                                              std::to_string(latest) + "; run a newer kettle-server"));
  }
  if (*v == latest) {
    KETTLE_TRY(exec(db, "COMMIT", path, "commit"));
    return *v;
  }
  const Migration& m = kMigrations[static_cast<std::size_t>(*v)];
  if (auto s = exec(db, m.sql, path, "apply schema migration " + std::to_string(m.version)); !s) {
    return rollback(db, std::move(s).error());
  }
  auto ins = prepare(db, "INSERT INTO schema_migrations(version, applied_unix_s) VALUES(?1, ?2)", path);
  if (!ins) return rollback(db, std::move(ins).error());
  bind_int(ins->get(), 1, m.version);
  bind_int(ins->get(), 2, now_unix_s);
  if (const int rc = sqlite3_step(ins->get()); rc != SQLITE_DONE) {
    return rollback(db, error(db, rc, path, "record schema migration"));
  }
  if (const int rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    return rollback(db, error(db, rc, path, "commit schema migration"));
  }
  return m.version;
}

}  // namespace

std::span<const Migration> migrations() noexcept { return kMigrations; }
int latest_schema_version() noexcept { return kMigrations.back().version; }

Result<int> schema_version(sqlite3* db, const std::string& path) {
  auto have = count_tables(db, path, "name = 'schema_migrations'");
  if (!have) return std::move(have).error();
  if (*have == 0) return 0;
  auto st = prepare(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", path);
  if (!st) return std::move(st).error();
  const int rc = sqlite3_step(st->get());
  if (rc != SQLITE_ROW) return error(db, rc, path, "read schema version");
  const std::int64_t v = sqlite3_column_int64(st->get(), 0);
  if (v < 0 || v > 1'000'000) {
    return make_error(Errc::malformed, "database file " + path +
                                           " is corrupt or not a Kettle database: schema version " + std::to_string(v) +
                                           " is out of range");
  }
  return static_cast<int>(v);
}

Status migrate(sqlite3* db, const std::string& path, std::int64_t now_unix_s) {
  for (;;) {
    auto v = step_once(db, path, now_unix_s);
    if (!v) return std::move(v).error();
    if (*v == latest_schema_version()) return {};
  }
}

}  // namespace kettle::server::sqlite
