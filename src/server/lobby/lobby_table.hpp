// The server's lobbies (../shared/spec/p2p-api.md §3, docs/protocol.md §15), sans-IO: every
// call takes the acting user and returns what each affected user must be told, in order, as
// control notifications (`Deliveries`). ServerCore maps users to sessions and sends them; a
// multi-node server would route them through Redis instead — the table does not know.
//
// Guarantees the client side builds on:
// - A user gets notifications about one lobby in one order, the table's; chat and updates of a
//   lobby reach every member in the same order.
// - A joiner is told (its LobbyEntered reply) before anyone else about its entry; the others'
//   LobbyMemberUpdate(entered) carries its name and member data.
// - When the owner leaves, ownership moves to the longest-present remaining member, and the
//   remaining members get one LobbyMemberUpdate(left) with new_owner set (the client turns it
//   into the owner's LobbyDataUpdate_t followed by the LobbyChatUpdate_t). An empty lobby is
//   deleted.
// - Lobby IDs are never reused within the table's life (a counter, SteamID::lobby(n)).
//
// Every state change also goes to the LobbyStore (write-through), so the state can be
// inspected and, for a Redis-backed store, shared; the table itself is the authority.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "control/lobby_messages.hpp"
#include "control/messages.hpp"
#include "core/result.hpp"
#include "core/steam_id.hpp"
#include "core/time.hpp"
#include "server/lobby/lobby_store.hpp"

namespace kettle::server::lobby {

// What the table tells users besides the caller (notifications, request_id 0), and what it
// answers the caller. Subsets of control::Body, so the table builds without the codec; ServerCore
// converts them.
using Notification = std::variant<control::LobbyMemberUpdate, control::LobbyDataUpdate, control::LobbyChat,
                                  control::LobbyInvite, control::LobbyJoinRequested, control::LobbyKicked>;
using Reply =
    std::variant<control::Ok, control::ErrorReply, control::LobbyEntered, control::LobbyList, control::LobbyData>;

// One message for one user.
struct Delivery {
  SteamID to;
  Notification body;
};
using Deliveries = std::vector<Delivery>;

struct Limits {
  std::uint32_t max_invisible_per_user = 2;    // besides one regular lobby (spec §3.1)
  std::uint32_t max_lobbies_per_app = 100000;  // create refuses with limit_exceeded above it
};

// Who is acting: the caller's identity as its session knows it.
struct Actor {
  SteamID user;
  std::uint32_t app_id = 0;
  std::string persona_name;
};

class LobbyTable {
 public:
  explicit LobbyTable(LobbyStore& store, Limits limits = {});
  ~LobbyTable();

  // ---- requests (each returns the reply for the caller; `out` gets everyone else's news) ----

  // Reply: LobbyEntered(success) with the new lobby's state, or ErrorReply{invalid_param} (type
  // or max_members out of range), {limit_exceeded}, {fail} (store error). Creating a regular
  // lobby while in one leaves the old one first (its members see `left`).
  Reply create(const Actor& a, const control::CreateLobby& m, Deliveries& out);
  // Reply: LobbyEntered with the response; success carries the full state. Already a member:
  // success again and nobody is told. Joining a second regular lobby leaves the first.
  Reply join(const Actor& a, const control::JoinLobby& m, Deliveries& out);
  // Reply: Ok, or ErrorReply{invalid_param} if not a member.
  Reply leave(const Actor& a, const control::LeaveLobby& m, Deliveries& out);
  Reply set_data(const Actor& a, const control::SetLobbyData& m, Deliveries& out);
  Reply set_member_data(const Actor& a, const control::SetLobbyMemberData& m, Deliveries& out);
  Reply set_setting(const Actor& a, const control::SetLobbySetting& m, Deliveries& out);
  Reply chat(const Actor& a, const control::SendLobbyChat& m, Deliveries& out);
  Reply invite(const Actor& a, const control::InviteToLobby& m, Deliveries& out);
  Reply list(const Actor& a, const control::RequestLobbyList& m) const;
  Reply data(const Actor& a, const control::RequestLobbyData& m) const;

  // The user's session ended: it leaves every lobby with `why` (left on logout, disconnected
  // when the server lost it).
  void remove_user(SteamID user, control::MemberChange why, Deliveries& out);
  // Moderation (kettle-server admin): kicked / banned; a banned user's later joins get `banned`.
  void kick(SteamID lobby, SteamID user, bool ban, Deliveries& out);

  // ---- queries ----
  std::size_t lobby_count() const noexcept;
  std::vector<SteamID> lobbies_of(SteamID user) const;  // regular first, then invisible
  std::optional<control::LobbyState> state(SteamID lobby) const;

 private:
  struct Lobby;  // lobby_detail.hpp
  // The lobby `id` if it exists and belongs to `app_id`, else nullptr (unknown, deleted, not a
  // lobby ID, or another app's).
  Lobby* find(SteamID id, std::uint32_t app_id) const;
  void add_member(Lobby& l, const Actor& a, Deliveries& out);
  // Removes `user` and tells the remaining members (one update, new_owner set when ownership
  // moved). Deletes `l` when it empties: the reference is dangling afterwards.
  void remove_member(Lobby& l, SteamID user, SteamID making_change, control::MemberChange change, Deliveries& out);
  void leave_regular(SteamID user, Deliveries& out);  // every non-invisible lobby of `user`, as `left`
  std::size_t invisible_count(SteamID user) const;
  void put_lobby(const Lobby& l);
  void tell_members(const Lobby& l, const Notification& n, Deliveries& out) const;
  static control::LobbyState state_of(const Lobby& l);
  static control::LobbySummary summary_of(const Lobby& l);
  static control::LobbyDataUpdate settings_update(const Lobby& l);

  LobbyStore& store_;
  Limits limits_;
  std::uint32_t next_lobby_ = 1;
  std::uint64_t next_seq_ = 1;  // creation and join order (newest first in search)
  std::unordered_map<SteamID, std::unique_ptr<Lobby>> lobbies_;
  std::unordered_map<SteamID, std::vector<SteamID>> member_of_;  // user → lobbies, entry order
  std::unordered_map<std::uint32_t, std::size_t> per_app_;       // app → lobby count
};

}  // namespace kettle::server::lobby
