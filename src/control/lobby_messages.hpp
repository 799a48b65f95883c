// Lobby messages of the control protocol (docs/protocol.md §15): ISteamMatchmaking's lobbies,
// kept on kettle-server per app. They are alternatives of control::Body (messages.hpp) and use
// its framing, string, list and steam_id encodings. The behaviour they carry is
// ../shared/spec/p2p-api.md §3; the limits below are that contract's.
//
// Requests answer with a reply of the same request_id: CreateLobby / JoinLobby → LobbyEntered
// (or Error), RequestLobbyList → LobbyList, RequestLobbyData → LobbyData, the others → Ok or
// Error. Everything a member's client must see happen to a lobby arrives as notifications
// (request_id 0) in the server's order, which is the same order for every member.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/steam_id.hpp"

namespace kettle::control {

inline constexpr std::size_t kMaxLobbyKeyBytes = 255;     // [1, 255]
inline constexpr std::size_t kMaxLobbyValueBytes = 8191;  // [0, 8191]; "" in a change deletes the key
inline constexpr std::size_t kMaxLobbyKeys = 256;         // per lobby, and per member
inline constexpr std::size_t kMaxLobbyChatBytes = 4096;   // [1, 4096]
inline constexpr std::uint16_t kMaxLobbyMembers = 250;    // member limit [1, 250]
inline constexpr std::size_t kMaxLobbyFilters = 64;       // per RequestLobbyList
inline constexpr std::uint16_t kDefaultLobbyResults = 50;
inline constexpr std::uint16_t kMaxLobbyResults = 500;

// The per-key limits above allow a lobby far larger than one control message (the transport's
// 1 MiB, docs/protocol.md §12.1): 256 values of 8191 bytes alone are 2 MiB. So a lobby's data in
// total — its own entries and every member's — may cost at most kMaxLobbyDataTotalBytes, an
// entry costing its key and value bytes plus 4 (at least what encoding its lengths takes). Then
// its LobbyEntered fits one message with 250 members' ids and names besides, and so does one
// batch of changes to it (a client keeps its batches under the same total). Writes past it are
// refused with limit_exceeded.
inline constexpr std::size_t kLobbyEntryOverheadBytes = 4;
inline constexpr std::size_t kMaxLobbyDataTotalBytes = 896 * 1024;
constexpr std::size_t lobby_entry_cost(std::size_t key_bytes, std::size_t value_bytes) noexcept {
  return key_bytes + value_bytes + kLobbyEntryOverheadBytes;
}
// A LobbyList carries results (in order) while their summaries, each costing its data plus
// kLobbySummaryOverheadBytes, fit in kMaxLobbyListBytes; later results are left out, so a search
// among lobbies with much data returns fewer than max_results rather than nothing.
inline constexpr std::size_t kLobbySummaryOverheadBytes = 24;
inline constexpr std::size_t kMaxLobbyListBytes = 960 * 1024;

// ELobbyType; 4 (PRIVATE_UNIQUE) is refused by decode() like any other value above 3.
enum class LobbyType : std::uint8_t { private_only = 0, friends_only = 1, public_lobby = 2, invisible = 3 };

// EChatRoomEnterResponse values the server sends.
enum class EnterResponse : std::uint8_t {
  success = 1,
  doesnt_exist = 2,
  not_allowed = 3,
  full = 4,
  error = 5,
  banned = 6,
  rate_limit_exceeded = 15,
};

// EChatMemberStateChange: exactly one flag per LobbyMemberUpdate.
enum class MemberChange : std::uint8_t {
  entered = 0x01,
  left = 0x02,
  disconnected = 0x04,
  kicked = 0x08,
  banned = 0x10
};

struct LobbyEntry {
  std::string key;    // [1, kMaxLobbyKeyBytes] bytes
  std::string value;  // [0, kMaxLobbyValueBytes] bytes; in a change, "" deletes the key
  friend bool operator==(const LobbyEntry&, const LobbyEntry&) = default;
};

struct LobbyMember {
  SteamID id;
  std::string persona_name;      // so the joiner's name cache is complete before LobbyEnter_t
  std::vector<LobbyEntry> data;  // member data, sorted by key
  friend bool operator==(const LobbyMember&, const LobbyMember&) = default;
};

// Everything a member's client keeps about a lobby it is in.
struct LobbyState {
  SteamID lobby;
  LobbyType type = LobbyType::public_lobby;
  std::uint16_t max_members = 0;
  bool joinable = true;
  SteamID owner;
  std::vector<LobbyMember> members;  // join order (the creator first until it leaves)
  std::vector<LobbyEntry> data;      // lobby data, sorted by key
  friend bool operator==(const LobbyState&, const LobbyState&) = default;
};

// What a non-member may see: a search result or a RequestLobbyData answer.
struct LobbySummary {
  SteamID lobby;
  SteamID owner;
  std::uint16_t members = 0;
  std::uint16_t max_members = 0;
  std::vector<LobbyEntry> data;  // sorted by key
  friend bool operator==(const LobbySummary&, const LobbySummary&) = default;
};

// ELobbyComparison: the lobby's value `op` the filter's value.
enum class LobbyComparison : std::int8_t {
  equal_or_less = -2,
  less = -1,
  equal = 0,
  greater = 1,
  equal_or_greater = 2,
  not_equal = 3,
};
enum class LobbyFilterKind : std::uint8_t {
  string = 0,
  numerical = 1,
  near_value = 2,
  slots_available = 3,
  distance = 4
};

struct LobbyFilter {
  LobbyFilterKind kind = LobbyFilterKind::string;
  std::string key;          // string, numerical, near_value: [1, kMaxLobbyKeyBytes]; else empty
  std::string text;         // string: the value to compare with ([0, kMaxLobbyValueBytes])
  std::int64_t number = 0;  // numerical / near_value: the value; slots_available: slots; distance: 0-3
  LobbyComparison comparison = LobbyComparison::equal;  // string and numerical
  friend bool operator==(const LobbyFilter&, const LobbyFilter&) = default;
};

// ---- client → server ----
struct CreateLobby {  // reply LobbyEntered (success) or Error (invalid_param, access_denied, limit_exceeded, fail)
  LobbyType type = LobbyType::public_lobby;
  std::uint16_t max_members = 2;  // [1, 250]; decode() refuses other values
  friend bool operator==(const CreateLobby&, const CreateLobby&) = default;
};
struct JoinLobby {  // reply LobbyEntered with the response code
  SteamID lobby;
  friend bool operator==(const JoinLobby&, const JoinLobby&) = default;
};
struct LeaveLobby {  // reply Ok, or Error{invalid_param} when not a member
  SteamID lobby;
  friend bool operator==(const LeaveLobby&, const LeaveLobby&) = default;
};
struct SetLobbyData {  // owner only; one batch of changes; reply Ok or
                       // Error{access_denied/invalid_param/limit_exceeded}
  SteamID lobby;
  std::vector<LobbyEntry> changes;  // at most kMaxLobbyKeys
  friend bool operator==(const SetLobbyData&, const SetLobbyData&) = default;
};
struct SetLobbyMemberData {  // the caller's own member data; same rules
  SteamID lobby;
  std::vector<LobbyEntry> changes;
  friend bool operator==(const SetLobbyMemberData&, const SetLobbyMemberData&) = default;
};
enum class LobbySetting : std::uint8_t { owner = 1, member_limit = 2, joinable = 3, type = 4 };
struct SetLobbySetting {  // owner only; reply Ok or Error
  SteamID lobby;
  LobbySetting setting = LobbySetting::joinable;
  std::uint64_t value = 0;  // owner: the new owner's SteamID64; limit: [1, 250]; joinable: 0/1; type: 0-3
  friend bool operator==(const SetLobbySetting&, const SetLobbySetting&) = default;
};
struct SendLobbyChat {  // members only; reply Ok (every member, the sender too, gets LobbyChat)
  SteamID lobby;
  std::vector<std::uint8_t> body;  // [1, kMaxLobbyChatBytes]
  friend bool operator==(const SendLobbyChat&, const SendLobbyChat&) = default;
};
struct RequestLobbyList {                            // reply LobbyList
  std::vector<LobbyFilter> filters;                  // at most kMaxLobbyFilters, ANDed
  std::uint16_t max_results = kDefaultLobbyResults;  // [1, 500]
  friend bool operator==(const RequestLobbyList&, const RequestLobbyList&) = default;
};
struct RequestLobbyData {  // reply LobbyData
  SteamID lobby;
  friend bool operator==(const RequestLobbyData&, const RequestLobbyData&) = default;
};
struct InviteToLobby {  // members only; reply Ok. The invitee, if online in the app, gets LobbyInvite
  SteamID lobby;
  SteamID invitee;
  friend bool operator==(const InviteToLobby&, const InviteToLobby&) = default;
};
struct SendJoinIntent {  // a front end asks `user`'s game to join `lobby` (GameLobbyJoinRequested_t); reply Ok
  SteamID user;
  SteamID lobby;
  friend bool operator==(const SendJoinIntent&, const SendJoinIntent&) = default;
};

// ---- server → client ----
struct LobbyEntered {  // reply to CreateLobby / JoinLobby
  EnterResponse response = EnterResponse::success;
  SteamID lobby;                    // the lobby asked for (the new one for CreateLobby)
  std::optional<LobbyState> state;  // present iff response == success
  friend bool operator==(const LobbyEntered&, const LobbyEntered&) = default;
};
struct LobbyMemberUpdate {  // notification to every remaining member
  SteamID lobby;
  SteamID member;         // who entered or left
  SteamID making_change;  // == member except for moderation
  MemberChange change = MemberChange::entered;
  std::optional<LobbyMember> entered;  // present iff change == entered: name and member data
  // Set when the departure moved ownership: the client applies both, then posts the owner's
  // LobbyDataUpdate_t before the LobbyChatUpdate_t (spec §3.2 LeaveLobby).
  SteamID new_owner;
  friend bool operator==(const LobbyMemberUpdate&, const LobbyMemberUpdate&) = default;
};
struct LobbyDataUpdate {  // notification to every member (the writer too)
  SteamID lobby;
  SteamID member;                   // == lobby: lobby data/settings changed; else that member's data
  std::vector<LobbyEntry> changes;  // "" value = deleted
  // Lobby settings after the change (member == lobby only; ignored otherwise).
  SteamID owner;
  std::uint16_t max_members = 0;
  bool joinable = true;
  LobbyType type = LobbyType::public_lobby;
  friend bool operator==(const LobbyDataUpdate&, const LobbyDataUpdate&) = default;
};
struct LobbyChat {  // notification to every member, the sender too, in one server order
  SteamID lobby;
  SteamID from;
  std::vector<std::uint8_t> body;
  friend bool operator==(const LobbyChat&, const LobbyChat&) = default;
};
struct LobbyList {  // reply to RequestLobbyList, in result order
  std::vector<LobbySummary> lobbies;
  friend bool operator==(const LobbyList&, const LobbyList&) = default;
};
struct LobbyData {  // reply to RequestLobbyData
  bool exists = false;
  LobbySummary summary;  // meaningful iff exists
  friend bool operator==(const LobbyData&, const LobbyData&) = default;
};
struct LobbyInvite {  // notification to the invitee
  SteamID lobby;
  SteamID from;
  std::uint32_t app_id = 0;
  friend bool operator==(const LobbyInvite&, const LobbyInvite&) = default;
};
struct LobbyJoinRequested {  // notification: GameLobbyJoinRequested_t
  SteamID lobby;
  SteamID from;  // the friend whose front end sent the intent
  friend bool operator==(const LobbyJoinRequested&, const LobbyJoinRequested&) = default;
};
struct LobbyKicked {  // notification: the server removed the caller (moderation)
  SteamID lobby;
  SteamID admin;  // invalid for a moderation kick
  friend bool operator==(const LobbyKicked&, const LobbyKicked&) = default;
};

}  // namespace kettle::control
