// Only the public API here (issue 6 §4: the helper must be something a game could have written).
#include "kettle/lobby_session_policy.hpp"

#include <vector>

namespace kettle {

LobbySessionPolicy::LobbySessionPolicy(Client& client, Strangers strangers) : client_(client), strangers_(strangers) {
  on_enter_ = client_.On<LobbyEnter_t>([this](const LobbyEnter_t& cb) {
    if (cb.m_EChatRoomEnterResponse == k_EChatRoomEnterResponseSuccess) lobbies_.insert(SteamID(cb.m_ulSteamIDLobby));
  });
  on_kicked_ =
      client_.On<LobbyKicked_t>([this](const LobbyKicked_t& cb) { lobbies_.erase(SteamID(cb.m_ulSteamIDLobby)); });
  on_request_ =
      client_.On<P2PSessionRequest_t>([this](const P2PSessionRequest_t& cb) { on_request(cb.m_steamIDRemote); });
}

LobbySessionPolicy::~LobbySessionPolicy() {
  client_.Unsubscribe(on_enter_);
  client_.Unsubscribe(on_kicked_);
  client_.Unsubscribe(on_request_);
}

bool LobbySessionPolicy::SharesLobbyWith(SteamID user) {
  const SteamID self = client_.GetSteamID();
  if (!user.BIndividualAccount() || user == self) return false;
  auto& mm = client_.matchmaking();
  bool found = false;
  std::vector<SteamID> left;
  for (SteamID lobby : lobbies_) {
    // LeaveLobby has no callback: a lobby whose member list no longer has this client is gone.
    bool self_in = false, user_in = false;
    const int n = mm.GetNumLobbyMembers(lobby);
    for (int i = 0; i < n; ++i) {
      const SteamID m = mm.GetLobbyMemberByIndex(lobby, i);
      self_in = self_in || m == self;
      user_in = user_in || m == user;
    }
    if (!self_in) left.push_back(lobby);
    found = found || (self_in && user_in);
  }
  for (SteamID lobby : left) lobbies_.erase(lobby);
  return found;
}

void LobbySessionPolicy::on_request(SteamID remote) {
  if (SharesLobbyWith(remote)) {
    if (client_.networking().AcceptP2PSessionWithUser(remote)) ++accepted_;
  } else if (strangers_ == Strangers::reject) {
    if (client_.networking().CloseP2PSessionWithUser(remote)) ++rejected_;
  }
}

}  // namespace kettle
