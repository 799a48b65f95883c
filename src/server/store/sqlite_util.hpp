// Small RAII helpers over the SQLite C API, shared by the store and its migrations.
// Internal to src/server/store; nothing outside this folder includes it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace kettle::server::sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

// CORRUPT/NOTADB mean the file itself is bad (malformed); everything else is an I/O or
// environment failure (io).
Errc errc_for(int rc) noexcept;

// "database file PATH: WHAT: <sqlite message> (<extended code name>)". The OS errno is
// appended when SQLite reports one, since "unable to open database file" alone says nothing.
Error error(sqlite3* db, int rc, std::string_view path, std::string_view what);

// A prepared statement; finalized on destruction. Bind indices are 1-based as in SQLite.
class Stmt {
 public:
  Stmt() = default;
  explicit Stmt(sqlite3_stmt* s) noexcept : s_(s) {}
  Stmt(Stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept {
    if (this != &o) {
      sqlite3_finalize(s_);
      s_ = o.s_;
      o.s_ = nullptr;
    }
    return *this;
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s_); }

  sqlite3_stmt* get() const noexcept { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

Result<Stmt> prepare(sqlite3* db, std::string_view sql, std::string_view path);

// Runs one or more statements that return no rows of interest.
Status exec(sqlite3* db, const char* sql, std::string_view path, std::string_view what);

// Resets and clears bindings when a cached statement goes out of use, so the next caller
// starts clean and no read transaction stays open between calls.
class Use {
 public:
  explicit Use(sqlite3_stmt* s) noexcept : s_(s) {}
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  ~Use() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  sqlite3_stmt* get() const noexcept { return s_; }

 private:
  sqlite3_stmt* s_;
};

inline int bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  return sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}
inline int bind_int(sqlite3_stmt* s, int i, std::int64_t v) { return sqlite3_bind_int64(s, i, v); }

inline std::string column_text(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))) : std::string();
}

}  // namespace kettle::server::sqlite
