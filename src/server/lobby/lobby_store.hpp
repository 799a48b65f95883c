// Where lobby state is written (write-behind) as LobbyTable changes it. The table is the
// authority while the server runs; the store makes lobbies visible outside the process (an
// operator's sqlite3, tools) and is the seam for a multi-node server: every operation is a
// small keyed write that maps one-to-one onto Redis (docs/server.md "Lobbies": HSET
// lobby:<id> meta fields, ZADD lobby:<id>:members <join seq> <user>, HSET lobby:<id>:data,
// HSET lobby:<id>:member:<user>, DEL on delete; apply() runs them in one MULTI/EXEC).
//
// Operations are queued by the table and applied in one transaction by flush() (the server
// calls it once per loop turn, and at shutdown): a SQLite commit per lobby operation would cap
// the server far below its goal. A crash loses at most the last turn's operations, which only
// matters to the stale-lobby cleanup below.
//
// Restart policy (issue 6): lobbies do not survive a server restart — their members' sessions
// and P2P paths are gone with it. At startup the server calls clear(); a client that reconnects
// tells its game it was removed (LobbyKicked_t, due_to_disconnect = 1) and the game creates or
// joins again.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "control/lobby_messages.hpp"
#include "core/result.hpp"
#include "core/steam_id.hpp"

namespace kettle::server::lobby {

struct PutLobby {  // create or change the lobby's settings
  SteamID lobby;
  std::uint32_t app_id = 0;
  control::LobbyType type = control::LobbyType::public_lobby;
  std::uint16_t max_members = 0;
  bool joinable = true;
  SteamID owner;
  std::uint64_t created_seq = 0;
};
struct DeleteLobby {  // with its members and data
  SteamID lobby;
};
struct PutMember {
  SteamID lobby;
  SteamID user;
  std::uint64_t join_seq = 0;  // join order
  std::string persona_name;    // as the member's session knew it at entry, so load_all() is complete
};
struct RemoveMember {  // with the member's data
  SteamID lobby;
  SteamID user;
};
struct PutData {  // value "" deletes; member invalid: lobby data, else that member's
  SteamID lobby;
  SteamID member;
  std::string key;
  std::string value;
};
using StoreOp = std::variant<PutLobby, DeleteLobby, PutMember, RemoveMember, PutData>;

class LobbyStore {
 public:
  virtual ~LobbyStore() = default;
  void queue(StoreOp op) { pending_.push_back(std::move(op)); }
  // Applies the queued operations in one transaction and empties the queue (also on error:
  // the table stays the authority). Errors: io with the database's message.
  virtual Status flush() = 0;
  // Removes every lobby (startup, see above). Errors: io.
  virtual Status clear() = 0;
  // The first lobby number (SteamID::lobby(n)) a table on this store may issue: past every
  // number issued on it before, by earlier processes too (clear() keeps it), so a stale lobby
  // id never names a new lobby. 0: the numbers are used up.
  virtual std::uint32_t first_lobby_number() const noexcept { return 1; }
  // For tests and tools: the lobbies as stored, members in join order, data sorted by key.
  virtual Result<std::vector<control::LobbyState>> load_all() = 0;
  std::size_t pending() const noexcept { return pending_.size(); }

 protected:
  std::vector<StoreOp> pending_;
};

// Keeps nothing beyond the process (for EmbeddedServer with db ":memory:" and for tests).
std::unique_ptr<LobbyStore> make_memory_lobby_store();
// Tables lobbies, lobby_members, lobby_data in the server's SQLite database at `db_path`
// (created if missing; a separate connection to the same file, WAL). Errors: io naming the path.
Result<std::unique_ptr<LobbyStore>> open_sqlite_lobby_store(const std::string& db_path);

}  // namespace kettle::server::lobby
