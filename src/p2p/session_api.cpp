#include "p2p/session_api.hpp"

namespace kettle::p2p {

void release_held(Shared& sh, Session& s) {
  for (auto& pkt : s.held) {
    s.unread_bytes += pkt.data.size();
    s.open_channels.set(static_cast<std::size_t>(pkt.channel));
    sh.readable[static_cast<std::size_t>(pkt.channel)].push_back(std::move(pkt));
  }
  if (!s.held.empty()) sh.notify_readable();
  s.held.clear();
  s.held_bytes = 0;
}

bool accept_session(Shared& sh, SteamID remote) {
  auto [it, created] = sh.sessions.try_emplace(remote);
  Session& s = it->second;
  if (created) {
    s.state = State::pre_accepted;
    s.deadline = kInstantNever;
    return false;  // no connection attempt (spec §2.2)
  }
  if (s.state != State::pending_incoming) return false;
  s.state = State::active;
  s.deadline = kInstantNever;
  s.last_error = 0;
  release_held(sh, s);
  sh.dirty.push_back(remote);
  return true;
}

}  // namespace kettle::p2p
