// The SQLite LobbyStore: tables lobbies, lobby_members and lobby_data in the server's database
// file, on a connection of its own. flush() is one transaction of prepared statements, so a
// server loop turn costs one commit however many lobby operations it made.
//
// The tables are created here (IF NOT EXISTS) rather than by the account store's migrations:
// they hold nothing that survives a restart (clear() at startup), so a schema change can drop
// and recreate them instead of migrating rows. Open this store after open_sqlite_store(), which
// refuses a file that holds tables but no schema_migrations.
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>

#include "server/lobby/lobby_store.hpp"

namespace kettle::server::lobby {
namespace {

constexpr int kBusyTimeoutMs = 5000;  // as the account store: another writer holds the file briefly

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS lobbies(
  lobby_id    INTEGER PRIMARY KEY,  -- SteamID64 (bit pattern as a signed integer)
  app_id      INTEGER NOT NULL,
  type        INTEGER NOT NULL,
  max_members INTEGER NOT NULL,
  joinable    INTEGER NOT NULL,
  owner_id    INTEGER NOT NULL,
  created_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS lobby_members(
  lobby_id     INTEGER NOT NULL,
  user_id      INTEGER NOT NULL,
  join_seq     INTEGER NOT NULL,
  persona_name TEXT    NOT NULL,
  PRIMARY KEY(lobby_id, user_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lobby_data(
  lobby_id  INTEGER NOT NULL,
  member_id INTEGER NOT NULL,  -- 0: lobby data
  key       BLOB    NOT NULL,  -- BLOB: byte-exact, and ORDER BY is memcmp like std::string's
  value     BLOB    NOT NULL,
  PRIMARY KEY(lobby_id, member_id, key)
) WITHOUT ROWID;
-- The next lobby number to issue. clear() keeps it: a lobby id from an earlier run (an invite,
-- a +connect_lobby launch) must not name a new lobby of this one.
CREATE TABLE IF NOT EXISTS lobby_numbers(
  one  INTEGER PRIMARY KEY CHECK(one = 1),
  next INTEGER NOT NULL
);
)sql";

enum Q : std::size_t {
  kPutLobby,
  kDeleteLobby,
  kDeleteLobbyMembers,
  kDeleteLobbyData,
  kPutMember,
  kRemoveMember,
  kRemoveMemberData,
  kPutData,
  kDeleteData,
  kLoadLobbies,
  kLoadMembers,
  kLoadData,
  kPutNextNumber,
  kLoadNextNumber,
  kQueryCount,
};

constexpr std::array<const char*, kQueryCount> kSql{
    "INSERT INTO lobbies(lobby_id, app_id, type, max_members, joinable, owner_id, created_seq) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(lobby_id) DO UPDATE SET app_id = excluded.app_id, "
    "type = excluded.type, max_members = excluded.max_members, joinable = excluded.joinable, "
    "owner_id = excluded.owner_id, created_seq = excluded.created_seq",
    "DELETE FROM lobbies WHERE lobby_id = ?1",
    "DELETE FROM lobby_members WHERE lobby_id = ?1",
    "DELETE FROM lobby_data WHERE lobby_id = ?1",
    "INSERT INTO lobby_members(lobby_id, user_id, join_seq, persona_name) VALUES(?1, ?2, ?3, ?4) "
    "ON CONFLICT(lobby_id, user_id) DO UPDATE SET join_seq = excluded.join_seq, persona_name = excluded.persona_name",
    "DELETE FROM lobby_members WHERE lobby_id = ?1 AND user_id = ?2",
    "DELETE FROM lobby_data WHERE lobby_id = ?1 AND member_id = ?2",
    "INSERT INTO lobby_data(lobby_id, member_id, key, value) VALUES(?1, ?2, ?3, ?4) "
    "ON CONFLICT(lobby_id, member_id, key) DO UPDATE SET value = excluded.value",
    "DELETE FROM lobby_data WHERE lobby_id = ?1 AND member_id = ?2 AND key = ?3",
    "SELECT lobby_id, type, max_members, joinable, owner_id FROM lobbies ORDER BY lobby_id",
    "SELECT lobby_id, user_id, persona_name FROM lobby_members ORDER BY lobby_id, join_seq",
    "SELECT lobby_id, member_id, key, value FROM lobby_data ORDER BY lobby_id, member_id, key",
    "INSERT INTO lobby_numbers(one, next) VALUES(1, ?1) ON CONFLICT(one) DO UPDATE SET next = max(next, excluded.next)",
    "SELECT next FROM lobby_numbers WHERE one = 1",
};

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Every failure here is the file's or the environment's: io, naming the path.
Error db_error(sqlite3* db, int rc, const std::string& path, std::string_view what) {
  std::string msg = "lobby store: database file " + path + ": " + std::string(what) + ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (const int sys = db ? sqlite3_system_errno(db) : 0; sys != 0) {
    msg += ": ";
    msg += std::strerror(sys);
  }
  return make_error(Errc::io, std::move(msg));
}

Status exec(sqlite3* db, const char* sql, const std::string& path, std::string_view what) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return db_error(db, rc, path, what);
  return {};
}

std::int64_t as_int(SteamID id) noexcept { return static_cast<std::int64_t>(id.value()); }
SteamID as_id(sqlite3_stmt* s, int col) noexcept {
  return SteamID(static_cast<std::uint64_t>(sqlite3_column_int64(s, col)));
}
std::string column_bytes(sqlite3_stmt* s, int col) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, col))) : std::string();
}

class SqliteLobbyStore final : public LobbyStore {
 public:
  SqliteLobbyStore(DbPtr db, std::string path, std::array<StmtPtr, kQueryCount> stmts)
      : db_(std::move(db)), path_(std::move(path)), stmts_(std::move(stmts)) {}

  // Reads the stored next lobby number (open time, so errors can be returned).
  Status load_first_number() {
    std::int64_t next = 1;
    KETTLE_TRY(
        rows(kLoadNextNumber, "load lobby numbers", [&](sqlite3_stmt* st) { next = sqlite3_column_int64(st, 0); }));
    // Past 2^32 - 1 the numbers are used up: 0 makes the table refuse new lobbies.
    first_number_ = next > 0xffffffffLL ? 0 : static_cast<std::uint32_t>(std::max<std::int64_t>(next, 1));
    return {};
  }
  std::uint32_t first_lobby_number() const noexcept override { return first_number_; }

  Status flush() override {
    if (pending_.empty()) return {};
    std::vector<StoreOp> ops = std::move(pending_);
    pending_.clear();  // emptied on error too: the table stays the authority
    KETTLE_TRY(exec(db_.get(), "BEGIN IMMEDIATE", path_, "begin lobby flush"));
    for (const StoreOp& op : ops) {
      Status s = std::visit([this](const auto& o) { return apply(o); }, op);
      if (!s) {
        sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
        return s;
      }
    }
    if (Status s = exec(db_.get(), "COMMIT", path_, "commit lobby flush"); !s) {
      sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
    return {};
  }

  Status clear() override {
    pending_.clear();
    if (Status s = exec(db_.get(),
                        "BEGIN IMMEDIATE; DELETE FROM lobby_data; DELETE FROM lobby_members; DELETE FROM lobbies; "
                        "COMMIT",
                        path_, "clear lobbies");
        !s) {
      sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
    return {};
  }

  Result<std::vector<control::LobbyState>> load_all() override {
    std::vector<control::LobbyState> out;
    std::map<SteamID, std::size_t> index;  // lobby → position in out
    if (Status s = rows(kLoadLobbies, "load lobbies",
                        [&](sqlite3_stmt* st) {
                          control::LobbyState l;
                          l.lobby = as_id(st, 0);
                          l.type = static_cast<control::LobbyType>(sqlite3_column_int(st, 1));
                          l.max_members = static_cast<std::uint16_t>(sqlite3_column_int(st, 2));
                          l.joinable = sqlite3_column_int(st, 3) != 0;
                          l.owner = as_id(st, 4);
                          index.emplace(l.lobby, out.size());
                          out.push_back(std::move(l));
                        });
        !s) {
      return std::move(s).error();
    }
    // Rows whose lobby (or member) is gone are never shown: the memory store cannot hold them.
    auto lobby_at = [&](SteamID id) -> control::LobbyState* {
      const auto it = index.find(id);
      return it == index.end() ? nullptr : &out[it->second];
    };
    if (Status s = rows(kLoadMembers, "load lobby members",
                        [&](sqlite3_stmt* st) {
                          if (control::LobbyState* l = lobby_at(as_id(st, 0))) {
                            l->members.push_back(control::LobbyMember{as_id(st, 1), column_bytes(st, 2), {}});
                          }
                        });
        !s) {
      return std::move(s).error();
    }
    if (Status s = rows(kLoadData, "load lobby data",
                        [&](sqlite3_stmt* st) {
                          control::LobbyState* l = lobby_at(as_id(st, 0));
                          if (l == nullptr) return;
                          control::LobbyEntry e{column_bytes(st, 2), column_bytes(st, 3)};
                          const SteamID member = as_id(st, 1);
                          if (!member.IsValid()) {
                            l->data.push_back(std::move(e));
                            return;
                          }
                          for (control::LobbyMember& m : l->members) {
                            if (m.id == member) m.data.push_back(std::move(e));
                          }
                        });
        !s) {
      return std::move(s).error();
    }
    return out;
  }

 private:
  // Binds with `bind`, steps to completion, resets: one write.
  template <class Bind>
  Status run(Q q, std::string_view what, Bind bind) {
    sqlite3_stmt* st = stmts_[q].get();
    bind(st);
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) return db_error(db_.get(), rc, path_, what);
    return {};
  }

  template <class Row>
  Status rows(Q q, std::string_view what, Row row) {
    sqlite3_stmt* st = stmts_[q].get();
    for (;;) {
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_ROW) {
        row(st);
        continue;
      }
      sqlite3_reset(st);
      if (rc == SQLITE_DONE) return {};
      return db_error(db_.get(), rc, path_, what);
    }
  }

  static void bind_bytes(sqlite3_stmt* st, int i, const std::string& v) {
    // A zero-length blob must not bind as NULL (NOT NULL column): pass a non-null pointer.
    sqlite3_bind_blob64(st, i, v.empty() ? "" : v.data(), v.size(), SQLITE_TRANSIENT);
  }

  Status apply(const PutLobby& o) {
    KETTLE_TRY(run(kPutNextNumber, "store lobby number", [&](sqlite3_stmt* st) {
      sqlite3_bind_int64(st, 1, static_cast<std::int64_t>(o.lobby.value() & 0xffffffffULL) + 1);
    }));
    return run(kPutLobby, "store lobby", [&](sqlite3_stmt* st) {
      sqlite3_bind_int64(st, 1, as_int(o.lobby));
      sqlite3_bind_int64(st, 2, o.app_id);
      sqlite3_bind_int64(st, 3, static_cast<int>(o.type));
      sqlite3_bind_int64(st, 4, o.max_members);
      sqlite3_bind_int64(st, 5, o.joinable ? 1 : 0);
      sqlite3_bind_int64(st, 6, as_int(o.owner));
      sqlite3_bind_int64(st, 7, static_cast<std::int64_t>(o.created_seq));
    });
  }
  Status apply(const DeleteLobby& o) {
    for (Q q : {kDeleteLobbyData, kDeleteLobbyMembers, kDeleteLobby}) {
      KETTLE_TRY(run(q, "delete lobby", [&](sqlite3_stmt* st) { sqlite3_bind_int64(st, 1, as_int(o.lobby)); }));
    }
    return {};
  }
  Status apply(const PutMember& o) {
    return run(kPutMember, "store lobby member", [&](sqlite3_stmt* st) {
      sqlite3_bind_int64(st, 1, as_int(o.lobby));
      sqlite3_bind_int64(st, 2, as_int(o.user));
      sqlite3_bind_int64(st, 3, static_cast<std::int64_t>(o.join_seq));
      bind_bytes(st, 4, o.persona_name);
    });
  }
  Status apply(const RemoveMember& o) {
    for (Q q : {kRemoveMemberData, kRemoveMember}) {
      KETTLE_TRY(run(q, "remove lobby member", [&](sqlite3_stmt* st) {
        sqlite3_bind_int64(st, 1, as_int(o.lobby));
        sqlite3_bind_int64(st, 2, as_int(o.user));
      }));
    }
    return {};
  }
  Status apply(const PutData& o) {
    const std::int64_t member = o.member.IsValid() ? as_int(o.member) : 0;
    return run(o.value.empty() ? kDeleteData : kPutData, "store lobby data", [&](sqlite3_stmt* st) {
      sqlite3_bind_int64(st, 1, as_int(o.lobby));
      sqlite3_bind_int64(st, 2, member);
      bind_bytes(st, 3, o.key);
      if (!o.value.empty()) bind_bytes(st, 4, o.value);
    });
  }

  // Declared first so the statements are finalized before the connection closes.
  DbPtr db_;
  std::string path_;
  std::array<StmtPtr, kQueryCount> stmts_;
  std::uint32_t first_number_ = 1;
};

Result<std::string> pragma_text(sqlite3* db, const std::string& path, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  StmtPtr st(raw);
  if (rc != SQLITE_OK) return db_error(db, rc, path, sql);
  rc = sqlite3_step(st.get());
  if (rc == SQLITE_DONE) return std::string();
  if (rc != SQLITE_ROW) return db_error(db, rc, path, sql);
  return column_bytes(st.get(), 0);
}

}  // namespace

Result<std::unique_ptr<LobbyStore>> open_sqlite_lobby_store(const std::string& db_path) {
  if (db_path.empty()) return make_error(Errc::invalid_argument, "lobby store: database path is empty");
  sqlite3* raw = nullptr;
  // NOMUTEX: the server loop is the only caller.
  const int rc =
      sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return db_error(db.get(), rc, db_path, "cannot open");
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);

  // The first statement that reads the file: a garbage file fails here.
  auto mode = pragma_text(db.get(), db_path, "PRAGMA journal_mode=WAL");
  if (!mode) return std::move(mode).error();
  if (*mode != "wal" && db_path != ":memory:") {
    return make_error(
        Errc::io, "lobby store: database file " + db_path + ": cannot enable WAL mode (journal_mode is " + *mode + ")");
  }
  KETTLE_TRY(exec(db.get(), "PRAGMA synchronous=NORMAL", db_path, "configure"));
  KETTLE_TRY(exec(db.get(), kSchema, db_path, "create lobby tables"));

  std::array<StmtPtr, kQueryCount> stmts;
  for (std::size_t i = 0; i < kQueryCount; ++i) {
    sqlite3_stmt* s = nullptr;
    const int prc = sqlite3_prepare_v3(db.get(), kSql[i], -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    stmts[i].reset(s);
    if (prc != SQLITE_OK) return db_error(db.get(), prc, db_path, "prepare");
  }
  auto store = std::make_unique<SqliteLobbyStore>(std::move(db), db_path, std::move(stmts));
  KETTLE_TRY(store->load_first_number());
  return std::unique_ptr<LobbyStore>(std::move(store));
}

}  // namespace kettle::server::lobby
