// Schema migrations, versioned in code. Each step runs in its own transaction and is recorded
// in schema_migrations(version, applied_unix_s); a database whose recorded version is newer
// than the last step this binary knows is refused (Errc::unsupported) rather than guessed at.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string>

#include "core/result.hpp"

namespace kettle::server::sqlite {

struct Migration {
  int version;      // 1, 2, 3, ... in order, no gaps
  const char* sql;  // one or more statements
};

// The steps this binary knows, oldest first.
std::span<const Migration> migrations() noexcept;
int latest_schema_version() noexcept;

// The highest version recorded in schema_migrations; 0 for a database without the table.
Result<int> schema_version(sqlite3* db, const std::string& path);

// Applies every pending step. Errors: unsupported (newer schema), malformed (the file holds
// tables of something other than Kettle), io/malformed from SQLite.
Status migrate(sqlite3* db, const std::string& path, std::int64_t now_unix_s);

}  // namespace kettle::server::sqlite
