// kettle-server's admin subcommands (account add/token/list, app add). They open the --db file
// directly through the Store, so they work while the server is stopped; SQLite's WAL mode and
// busy timeout let them run next to a live server too.
#pragma once

#include <cstdio>
#include <string>

#include "core/result.hpp"
#include "server/config/server_config.hpp"

namespace kettle::server_tool {

// Runs cfg.command (one of the admin commands) against cfg.options.db_path, printing results on
// `out`; the --password-env variable is read from the process environment. Errors:
// invalid_argument (bad name, unknown account, unset password variable), io/malformed/
// unsupported (database).
Status run_admin(const server::ServerConfig& cfg, std::FILE* out);

}  // namespace kettle::server_tool
