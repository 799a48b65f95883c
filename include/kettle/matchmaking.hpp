// kettle::Matchmaking — ISteamMatchmaking's lobbies (spec ../shared/spec/p2p-api.md §3).
//
//   auto& mm = client->matchmaking();
//   client->On<kettle::LobbyCreated_t>([&](const auto& cb) { mm.SetLobbyData(cb.m_ulSteamIDLobby, "name", "Bob's"); });
//   mm.CreateLobby(kettle::k_ELobbyTypePublic, 4);
//
// Lobbies live on kettle-server per app. Reads (members, owner, data) are served from this
// client's copy, which the server's updates keep current: a getter called inside a callback
// already sees the state that callback announces. Writes go to the server; results and
// everyone's changes come back as callbacks through Client::RunCallbacks. Thread-safe; calls
// before Init or after Shutdown return their failure value.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kettle/types.hpp"

namespace kettle {

enum ELobbyType : int {
  k_ELobbyTypePrivate = 0,      // only invitees may join; not in search
  k_ELobbyTypeFriendsOnly = 1,  // joinable by id (Kettle has no friend graph); not in search
  k_ELobbyTypePublic = 2,
  k_ELobbyTypeInvisible = 3,      // in search; a user may be in 2 of these besides one regular lobby
  k_ELobbyTypePrivateUnique = 4,  // Steam web API only: refused
};

enum ELobbyComparison : int {
  k_ELobbyComparisonEqualToOrLessThan = -2,
  k_ELobbyComparisonLessThan = -1,
  k_ELobbyComparisonEqual = 0,
  k_ELobbyComparisonGreaterThan = 1,
  k_ELobbyComparisonEqualToOrGreaterThan = 2,
  k_ELobbyComparisonNotEqual = 3,
};

enum ELobbyDistanceFilter : int {
  k_ELobbyDistanceFilterClose = 0,
  k_ELobbyDistanceFilterDefault = 1,
  k_ELobbyDistanceFilterFar = 2,
  k_ELobbyDistanceFilterWorldwide = 3,
};

enum EChatMemberStateChange : int {
  k_EChatMemberStateChangeEntered = 0x0001,
  k_EChatMemberStateChangeLeft = 0x0002,
  k_EChatMemberStateChangeDisconnected = 0x0004,
  k_EChatMemberStateChangeKicked = 0x0008,
  k_EChatMemberStateChangeBanned = 0x0010,
};

enum EChatRoomEnterResponse : int {
  k_EChatRoomEnterResponseSuccess = 1,
  k_EChatRoomEnterResponseDoesntExist = 2,
  k_EChatRoomEnterResponseNotAllowed = 3,
  k_EChatRoomEnterResponseFull = 4,
  k_EChatRoomEnterResponseError = 5,
  k_EChatRoomEnterResponseBanned = 6,
  k_EChatRoomEnterResponseLimited = 7,
  k_EChatRoomEnterResponseClanDisabled = 8,
  k_EChatRoomEnterResponseCommunityBan = 9,
  k_EChatRoomEnterResponseMemberBlockedYou = 10,
  k_EChatRoomEnterResponseYouBlockedMember = 11,
  k_EChatRoomEnterResponseRatelimitExceeded = 15,
};

enum EChatEntryType : int { k_EChatEntryTypeChatMsg = 1 };

inline constexpr int k_nMaxLobbyMembers = 250;
inline constexpr int k_cubChatMetadataMax = 8192;  // value bytes + NUL
inline constexpr int k_nMaxLobbyKeyLength = 255;
inline constexpr int k_cbMaxLobbyChatMsg = 4096;

// ---- callbacks (Steam's names, fields and ids) ----

struct GameLobbyJoinRequested_t {
  static constexpr int k_iCallback = 333;
  SteamID m_steamIDLobby;
  SteamID m_steamIDFriend;  // invalid if none
};
struct LobbyInvite_t {
  static constexpr int k_iCallback = 503;
  uint64 m_ulSteamIDUser = 0;  // the inviter
  uint64 m_ulSteamIDLobby = 0;
  uint64 m_ulGameID = 0;  // app id
};
struct LobbyEnter_t {
  static constexpr int k_iCallback = 504;
  uint64 m_ulSteamIDLobby = 0;
  uint32 m_rgfChatPermissions = 0;  // always 0
  bool m_bLocked = false;           // the lobby is PRIVATE (invitees only)
  uint32 m_EChatRoomEnterResponse = k_EChatRoomEnterResponseError;
};
struct LobbyDataUpdate_t {
  static constexpr int k_iCallback = 505;
  uint64 m_ulSteamIDLobby = 0;
  uint64 m_ulSteamIDMember = 0;  // == the lobby: lobby data or settings changed; else that member's data
  uint8 m_bSuccess = 0;
};
struct LobbyChatUpdate_t {
  static constexpr int k_iCallback = 506;
  uint64 m_ulSteamIDLobby = 0;
  uint64 m_ulSteamIDUserChanged = 0;
  uint64 m_ulSteamIDMakingChange = 0;
  uint32 m_rgfChatMemberStateChange = 0;  // exactly one EChatMemberStateChange flag
};
struct LobbyChatMsg_t {
  static constexpr int k_iCallback = 507;
  uint64 m_ulSteamIDLobby = 0;
  uint64 m_ulSteamIDUser = 0;
  uint8 m_eChatEntryType = k_EChatEntryTypeChatMsg;
  uint32 m_iChatID = 0;  // for GetLobbyChatEntry, valid until the next RunCallbacks
};
struct LobbyMatchList_t {
  static constexpr int k_iCallback = 510;
  uint32 m_nLobbiesMatching = 0;  // GetLobbyByIndex(0 .. n-1)
  bool m_bIOFailure = false;      // no answer within lobby_list_timeout_s (the list is empty)
};
struct LobbyKicked_t {
  static constexpr int k_iCallback = 512;
  uint64 m_ulSteamIDLobby = 0;
  uint64 m_ulSteamIDAdmin = 0;  // the lobby id after a lost connection; 0 for moderation
  uint8 m_bKickedDueToDisconnect = 0;
};
struct LobbyCreated_t {
  static constexpr int k_iCallback = 513;
  EResult m_eResult = k_EResultFail;
  uint64 m_ulSteamIDLobby = 0;  // 0 on failure
};

class Client;

class Matchmaking {
 public:
  // ---- create, join, leave (spec §3.2) ----
  // LobbyCreated_t then LobbyEnter_t; failures: LobbyCreated_t with 3/8/15/16/25, no enter.
  SteamAPICall_t CreateLobby(ELobbyType type, int max_members);
  SteamAPICall_t JoinLobby(SteamID lobby);  // LobbyEnter_t with the response
  // Kettle helper for the launch argument (see ParseConnectLobbyArg below): after Init, joins the
  // lobby `+connect_lobby <id>` in `args` names, as JoinLobby. k_uAPICallInvalid, and nothing
  // joined, if the arguments name no valid lobby id (or not logged on).
  SteamAPICall_t JoinLobbyFromLaunchArgs(std::span<const char* const> args);
  void LeaveLobby(SteamID lobby);  // immediate locally; others see LEFT
  bool InviteUserToLobby(SteamID lobby, SteamID invitee);

  // ---- members and owner (§3.3) ----
  int GetNumLobbyMembers(SteamID lobby);  // also for the latest search / RequestLobbyData snapshot
  SteamID GetLobbyMemberByIndex(SteamID lobby, int index);
  SteamID GetLobbyOwner(SteamID lobby);
  bool SetLobbyOwner(SteamID lobby, SteamID new_owner);
  int GetLobbyMemberLimit(SteamID lobby);
  bool SetLobbyMemberLimit(SteamID lobby, int max_members);
  bool SetLobbyJoinable(SteamID lobby, bool joinable);
  bool SetLobbyType(SteamID lobby, ELobbyType type);

  // ---- metadata (§3.4) ----
  bool SetLobbyData(SteamID lobby, std::string_view key, std::string_view value);
  std::string GetLobbyData(SteamID lobby, std::string_view key);
  bool DeleteLobbyData(SteamID lobby, std::string_view key);
  int GetLobbyDataCount(SteamID lobby);
  bool GetLobbyDataByIndex(SteamID lobby, int index, std::string* key, std::string* value);
  void SetLobbyMemberData(SteamID lobby, std::string_view key, std::string_view value);
  std::string GetLobbyMemberData(SteamID lobby, SteamID user, std::string_view key);
  bool RequestLobbyData(SteamID lobby);

  // ---- chat (§3.5) ----
  bool SendLobbyChatMsg(SteamID lobby, const void* body, int size);
  int GetLobbyChatEntry(SteamID lobby, int chat_id, SteamID* user, void* out, int out_size, EChatEntryType* type);

  // ---- search (§3.6): filters apply to the next RequestLobbyList only ----
  void AddRequestLobbyListStringFilter(std::string_view key, std::string_view value, ELobbyComparison cmp);
  void AddRequestLobbyListNumericalFilter(std::string_view key, int value, ELobbyComparison cmp);
  void AddRequestLobbyListNearValueFilter(std::string_view key, int value);
  void AddRequestLobbyListFilterSlotsAvailable(int slots);
  void AddRequestLobbyListDistanceFilter(ELobbyDistanceFilter filter);
  void AddRequestLobbyListResultCountFilter(int max_results);
  SteamAPICall_t RequestLobbyList();  // LobbyMatchList_t; a new request cancels an outstanding one
  SteamID GetLobbyByIndex(int index);
  // Kettle extension: the owner a lobby had in the latest search result or RequestLobbyData
  // answer for it (invalid if none). GetLobbyOwner, as Steam's, answers only for lobbies this
  // client is in; kettle-cli `lobby list` shows this one.
  SteamID GetLobbyOwnerFromSearch(SteamID lobby);

 private:
  friend class Client;
  explicit Matchmaking(Client& client) : client_(client) {}
  Client& client_;
};

// Steam starts a game with `+connect_lobby <id>` when its user joins a friend's lobby from
// outside. Finds `+connect_lobby` anywhere in args and returns the following decimal uint64 if
// it is a valid lobby id; otherwise (missing, empty, non-numeric, zero, overflowing, not a lobby
// id) an invalid SteamID. Joins nothing.
SteamID ParseConnectLobbyArg(std::span<const char* const> args);

}  // namespace kettle
