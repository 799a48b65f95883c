#include "server/store/sqlite_util.hpp"

#include <cstring>

namespace kettle::server::sqlite {

Errc errc_for(int rc) noexcept {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Errc::malformed;
    default:
      return Errc::io;
  }
}

Error error(sqlite3* db, int rc, std::string_view path, std::string_view what) {
  const Errc code = errc_for(rc);
  std::string msg;
  if (code == Errc::malformed) {
    msg = "database file " + std::string(path) + " is corrupt or not a Kettle database: ";
  } else {
    msg = "database file " + std::string(path) + ": " + std::string(what) + ": ";
  }
  // errmsg is often just errstr; say it once.
  const std::string_view detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string_view generic = sqlite3_errstr(rc);
  msg += detail;
  if (detail != generic) {
    msg += " (";
    msg += generic;
    msg += ")";
  }
  const int sys = db ? sqlite3_system_errno(db) : 0;
  if (sys != 0 && code == Errc::io) {
    msg += ": ";
    msg += std::strerror(sys);
  }
  return Error{code, std::move(msg)};
}

Result<Stmt> prepare(sqlite3* db, std::string_view sql, std::string_view path) {
  sqlite3_stmt* s = nullptr;
  const int rc =
      sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(s);
    return error(db, rc, path, "prepare");
  }
  return Stmt(s);
}

Status exec(sqlite3* db, const char* sql, std::string_view path, std::string_view what) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(db, rc, path, what);
  return {};
}

}  // namespace kettle::server::sqlite
