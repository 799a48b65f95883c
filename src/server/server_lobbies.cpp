// ServerCore's lobby requests: the sans-IO LobbyTable (src/server/lobby) decides, this file
// turns its replies and deliveries into control messages on the right sessions.
#include <type_traits>

#include "core/log.hpp"
#include "server/server_core.hpp"

namespace kettle::server {

namespace {

template <class V>
control::Body to_body(V&& v) {
  return std::visit([](auto&& alt) -> control::Body { return std::forward<decltype(alt)>(alt); }, std::forward<V>(v));
}

}  // namespace

bool ServerCore::handle_lobby(Session& s, std::uint32_t rid, const control::Body& body, Instant now) {
  const lobby::Actor actor{s.steam_id(), s.app_id, s.persona_name};
  lobby::Deliveries out;
  std::optional<lobby::Reply> reply = std::visit(
      [&](const auto& m) -> std::optional<lobby::Reply> {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, control::CreateLobby>) return lobbies_.create(actor, m, out);
        if constexpr (std::is_same_v<T, control::JoinLobby>) return lobbies_.join(actor, m, out);
        if constexpr (std::is_same_v<T, control::LeaveLobby>) return lobbies_.leave(actor, m, out);
        if constexpr (std::is_same_v<T, control::SetLobbyData>) return lobbies_.set_data(actor, m, out);
        if constexpr (std::is_same_v<T, control::SetLobbyMemberData>) return lobbies_.set_member_data(actor, m, out);
        if constexpr (std::is_same_v<T, control::SetLobbySetting>) return lobbies_.set_setting(actor, m, out);
        if constexpr (std::is_same_v<T, control::SendLobbyChat>) return lobbies_.chat(actor, m, out);
        if constexpr (std::is_same_v<T, control::RequestLobbyList>) return lobbies_.list(actor, m);
        if constexpr (std::is_same_v<T, control::RequestLobbyData>) return lobbies_.data(actor, m);
        if constexpr (std::is_same_v<T, control::InviteToLobby>) return lobbies_.invite(actor, m, out);
        if constexpr (std::is_same_v<T, control::SendJoinIntent>) {
          // Best effort: the user's game, if running this app now, hears of it.
          if (m.user.BIndividualAccount() && m.lobby.IsLobby() && online_in_app(m.user, s.app_id) != nullptr)
            out.push_back({m.user, control::LobbyJoinRequested{m.lobby, s.steam_id()}});
          return lobby::Reply{control::Ok{}};
        }
        return std::nullopt;
      },
      body);
  if (!reply) return false;  // not a lobby request
  // The caller's reply goes first: a joiner's LobbyEntered precedes anything else about the
  // lobby on its connection, and the others' news follow in the table's order.
  send(s, rid, to_body(std::move(*reply)), now);
  deliver(out, now);
  return true;
}

void ServerCore::deliver(lobby::Deliveries& out, Instant now) {
  for (auto& d : out) {
    // Members are online by construction (a session's end removes its user from every lobby);
    // an invitee or join-intent target who is not gets nothing.
    if (Session* target = online_in_app(d.to, std::nullopt)) send(*target, 0, to_body(std::move(d.body)), now);
  }
  out.clear();
}

Status ServerCore::flush_lobbies() {
  if (lobby_store_.pending() == 0) return {};
  return lobby_store_.flush();
}

void ServerCore::leave_lobbies(const Session& s, control::MemberChange why, Instant now) {
  if (!s.logged_in) return;
  lobby::Deliveries out;
  lobbies_.remove_user(s.steam_id(), why, out);
  deliver(out, now);
}

}  // namespace kettle::server
