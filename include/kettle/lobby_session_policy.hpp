// kettle::LobbySessionPolicy — the tutorial's session check, ready-made and built only on the
// public API: every P2PSessionRequest_t from a user who shares a lobby with this client is
// accepted; every other one is rejected (or left to the game).
//
//   kettle::LobbySessionPolicy policy(*client);  // before the game's own handlers
//   client->On<kettle::P2PSessionRequest_t>(...); // optional: runs after the policy decided
//
// "Shares a lobby" means: the requester is in the member list of a lobby this client entered
// (LobbyEnter_t with success, including by CreateLobby) and is still in, as the getters show it
// when the request is delivered. The lobby and chat callbacks are queued before a member's
// request (spec p2p-api.md §3.7), so a member who just joined is already known.
//
// Rejecting closes the pending session (CloseP2PSessionWithUser): the data it sent is dropped
// and the requester sees only its connect timeout (spec §2.2), as with Steam when a game ignores
// a request. Create it on the thread that calls RunCallbacks; it must not outlive the Client.
#pragma once

#include <cstdint>
#include <unordered_set>

#include "kettle/client.hpp"

namespace kettle {

class LobbySessionPolicy {
 public:
  enum class Strangers {
    reject,         // CloseP2PSessionWithUser: the request is refused at once
    leave_to_game,  // nothing: the game's own handler (or p2p_pending_hold) decides
  };

  explicit LobbySessionPolicy(Client& client, Strangers strangers = Strangers::reject);
  ~LobbySessionPolicy();
  LobbySessionPolicy(const LobbySessionPolicy&) = delete;
  LobbySessionPolicy& operator=(const LobbySessionPolicy&) = delete;

  // True if `user` is a member of a lobby this client is in (never for this client itself).
  bool SharesLobbyWith(SteamID user);

  // What the policy did so far (diagnostics, tests).
  std::uint64_t accepted() const noexcept { return accepted_; }
  std::uint64_t rejected() const noexcept { return rejected_; }

 private:
  void on_request(SteamID remote);

  Client& client_;
  Strangers strangers_;
  std::unordered_set<SteamID> lobbies_;  // entered; dropped once this client is no longer listed
  CallbackHandle on_enter_ = 0, on_request_ = 0, on_kicked_ = 0;
  std::uint64_t accepted_ = 0, rejected_ = 0;
};

}  // namespace kettle
