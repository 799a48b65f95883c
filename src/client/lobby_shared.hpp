// The client's lobby state, shared between the Matchmaking API (any thread) and the I/O
// thread's LobbyIo, under one mutex. Lock order: p2p.mu, then lobbies.mu, then state.mu.
//
// The copy of a lobby the game reads (`joined`) changes when the callback announcing the
// change is delivered (CallbackQueue::post_applying), so a getter inside a callback sees what
// that callback announces and nothing later (spec p2p-api.md §3.2, host migration). The one
// exception is the caller's own writes (SetLobbyData, SetLobbyMemberData), which show at once.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "control/lobby_messages.hpp"
#include "control/messages.hpp"
#include "core/steam_id.hpp"
#include "core/time.hpp"

namespace kettle::client {

// Lobby and member data are key/value lists sorted by key (as the server sends them).
inline const control::LobbyEntry* find_entry(const std::vector<control::LobbyEntry>& list, std::string_view key) {
  auto it = std::lower_bound(list.begin(), list.end(), key,
                             [](const control::LobbyEntry& e, std::string_view k) { return e.key < k; });
  return it != list.end() && it->key == key ? &*it : nullptr;
}

// Writes key=value ("" deletes). False, and nothing written, if a new key would make the list
// longer than max_keys; `changed` says whether the list changed.
inline bool write_entry(std::vector<control::LobbyEntry>& list, std::string_view key, std::string_view value,
                        std::size_t max_keys, bool& changed) {
  auto it = std::lower_bound(list.begin(), list.end(), key,
                             [](const control::LobbyEntry& e, std::string_view k) { return e.key < k; });
  const bool found = it != list.end() && it->key == key;
  changed = false;
  if (value.empty()) {
    if (found) {
      list.erase(it);
      changed = true;
    }
    return true;
  }
  if (found) {
    changed = it->value != value;
    it->value.assign(value);
    return true;
  }
  if (list.size() >= max_keys) return false;
  list.insert(it, control::LobbyEntry{std::string(key), std::string(value)});
  changed = true;
  return true;
}

// Whether writing key=value ("" deletes) into `list`, one of the lobby copy `s`'s lists (its
// data or a member's), keeps the lobby's data total within what the server accepts
// (control::kMaxLobbyDataTotalBytes). A write that does not grow the total always fits.
inline bool fits_lobby_total(const control::LobbyState& s, const std::vector<control::LobbyEntry>& list,
                             std::string_view key, std::string_view value) {
  const control::LobbyEntry* e = find_entry(list, key);
  const std::size_t old_cost = e != nullptr ? control::lobby_entry_cost(key.size(), e->value.size()) : 0;
  const std::size_t new_cost = value.empty() ? 0 : control::lobby_entry_cost(key.size(), value.size());
  if (new_cost <= old_cost) return true;
  std::size_t total = 0;
  for (const auto& d : s.data) total += control::lobby_entry_cost(d.key.size(), d.value.size());
  for (const auto& m : s.members)
    for (const auto& d : m.data) total += control::lobby_entry_cost(d.key.size(), d.value.size());
  return total - old_cost + new_cost <= control::kMaxLobbyDataTotalBytes;
}

struct LobbyChatEntry {
  SteamID lobby;
  SteamID from;
  std::vector<std::uint8_t> body;
};

struct LobbyShared {
  std::mutex mu;
  std::unordered_map<SteamID, control::LobbyState> joined;
  std::unordered_map<SteamID, control::LobbySummary> snapshots;  // latest search and RequestLobbyData answers
  std::vector<SteamID> results;                                  // latest LobbyMatchList_t, in order
  // Filters for the next RequestLobbyList.
  std::vector<control::LobbyFilter> filters;
  std::uint16_t max_results = control::kDefaultLobbyResults;
  // Chat entries by m_iChatID; an entry lives until the RunCallbacks after the one that
  // delivered its LobbyChatMsg_t.
  std::unordered_map<std::uint32_t, LobbyChatEntry> chat;
  std::uint32_t next_chat_id = 1;
  // API → I/O thread: requests to send when logged on (lobby data writes are batched apart).
  std::deque<control::Body> outbox;
  // Own lobby / member data writes, coalesced for lobby_data_batch: lobby → key → value.
  std::map<SteamID, std::map<std::string, std::string>> data_batch;
  std::map<SteamID, std::map<std::string, std::string>> member_batch;
  Instant batch_due = kInstantNever;
};

// True if `user` is a member of a lobby this client is in, as the game currently sees it. The
// caller holds sh.mu.
inline bool shares_lobby(const LobbyShared& sh, SteamID user) {
  for (const auto& [id, lobby] : sh.joined) {
    for (const auto& m : lobby.members)
      if (m.id == user) return true;
  }
  return false;
}

}  // namespace kettle::client
