// The client's lobby state, shared between the Matchmaking API (any thread) and the I/O
// thread's LobbyIo, under one mutex. Lock order: p2p.mu, then lobbies.mu, then state.mu.
//
// The copy of a lobby the game reads (`joined`) changes when the callback announcing the
// change is delivered (CallbackQueue::post_applying), so a getter inside a callback sees what
// that callback announces and nothing later (spec p2p-api.md §3.2, host migration). The one
// exception is the caller's own writes (SetLobbyData, SetLobbyMemberData), which show at once.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/lobby_messages.hpp"
#include "control/messages.hpp"
#include "core/steam_id.hpp"
#include "core/time.hpp"

namespace kettle::client {

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

}  // namespace kettle::client
