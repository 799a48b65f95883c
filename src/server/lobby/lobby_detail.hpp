// LobbyTable's private lobby record, shared by lobby_table.cpp and lobby_search.cpp only.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "server/lobby/lobby_table.hpp"

namespace kettle::server::lobby {

using DataMap = std::map<std::string, std::string>;  // std::less<std::string>: byte order, as the store sorts

struct LobbyTable::Lobby {
  struct Member {
    SteamID id;
    std::string persona_name;
    DataMap data;
    std::uint64_t join_seq = 0;
  };

  SteamID id;
  std::uint32_t app_id = 0;
  control::LobbyType type = control::LobbyType::public_lobby;
  std::uint16_t max_members = 0;
  bool joinable = true;
  SteamID owner;
  std::uint64_t created_seq = 0;
  std::vector<Member> members;  // join order; members[0] is the longest present
  DataMap data;
  std::set<SteamID> invited;  // may enter while PRIVATE
  std::set<SteamID> banned;   // moderation: later joins get `banned`
  // Cost of the lobby's data and all members' (control::lobby_entry_cost), kept under
  // control::kMaxLobbyDataTotalBytes so the state fits one message.
  std::size_t data_bytes = 0;

  Member* find(SteamID user) noexcept {
    for (Member& m : members) {
      if (m.id == user) return &m;
    }
    return nullptr;
  }
  bool has(SteamID user) const noexcept {
    for (const Member& m : members) {
      if (m.id == user) return true;
    }
    return false;
  }
  bool full() const noexcept { return members.size() >= max_members; }
};

inline std::vector<control::LobbyEntry> entries_of(const DataMap& data) {
  std::vector<control::LobbyEntry> out;
  out.reserve(data.size());
  for (const auto& [k, v] : data) out.push_back(control::LobbyEntry{k, v});
  return out;
}

inline std::size_t data_cost(const DataMap& data) {
  std::size_t n = 0;
  for (const auto& [k, v] : data) n += control::lobby_entry_cost(k.size(), v.size());
  return n;
}

inline bool is_invisible(control::LobbyType t) noexcept { return t == control::LobbyType::invisible; }

}  // namespace kettle::server::lobby
