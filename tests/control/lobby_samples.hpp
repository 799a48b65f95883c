// Lobby messages (docs/protocol.md §15) with realistic content, one or more per kind: part of
// sample_messages() (the codec tests and the fuzz seeds of make_control_corpus), and the
// building blocks of lobby_messages_test.cpp.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "control/messages.hpp"

namespace kettle::control::testing {

inline const SteamID kSampleLobby = SteamID::lobby(42);

inline std::vector<std::uint8_t> text_bytes(std::string_view s) { return {s.begin(), s.end()}; }

inline LobbyMember sample_member(std::uint32_t account, std::string name, std::vector<LobbyEntry> data = {}) {
  return LobbyMember{SteamID::individual(account), std::move(name), std::move(data)};
}

// The lobby as alice (1) created it and bob (2) joined it: what bob's LobbyEntered carries.
inline LobbyState sample_lobby_state() {
  LobbyState s;
  s.lobby = kSampleLobby;
  s.type = LobbyType::public_lobby;
  s.max_members = 4;
  s.joinable = true;
  s.owner = SteamID::individual(1);
  s.members = {sample_member(1, "Alice", {{"ready", "1"}, {"team", "red"}}), sample_member(2, "Bob")};
  s.data = {{"map", "de_dust2"}, {"mode", "coop"}, {"name", "Alice's lobby"}};
  return s;
}

inline LobbySummary sample_summary(std::uint32_t n, std::uint16_t members) {
  return LobbySummary{SteamID::lobby(n), SteamID::individual(n), members, 8, {{"mode", "ffa"}, {"name", "Room"}}};
}

inline std::vector<std::pair<std::string, Message>> lobby_sample_messages() {
  std::vector<std::pair<std::string, Message>> out;
  // ---- client → server
  out.emplace_back("create_lobby", Message{20, CreateLobby{LobbyType::friends_only, 8}});
  out.emplace_back("join_lobby", Message{21, JoinLobby{kSampleLobby}});
  out.emplace_back("leave_lobby", Message{22, LeaveLobby{kSampleLobby}});
  out.emplace_back("set_lobby_data", Message{23, SetLobbyData{kSampleLobby, {{"name", "Alice's lobby"}, {"old", ""}}}});
  out.emplace_back(
      "set_lobby_member_data",
      Message{24, SetLobbyMemberData{kSampleLobby, {{"ready", "1"}, {"\x01\xff", std::string("\x00\x80", 2)}}}});
  out.emplace_back("set_lobby_setting_owner",
                   Message{25, SetLobbySetting{kSampleLobby, LobbySetting::owner, SteamID::individual(2).value()}});
  out.emplace_back("set_lobby_setting_limit",
                   Message{26, SetLobbySetting{kSampleLobby, LobbySetting::member_limit, 250}});
  out.emplace_back("send_lobby_chat", Message{27, SendLobbyChat{kSampleLobby, text_bytes(std::string("gl hf\0", 6))}});
  out.emplace_back(
      "request_lobby_list",
      Message{28, RequestLobbyList{{{LobbyFilterKind::string, "mode", "coop", 0, LobbyComparison::equal},
                                    {LobbyFilterKind::numerical, "level", "", -5, LobbyComparison::equal_or_less},
                                    {LobbyFilterKind::near_value, "skill", "", 1500, {}},
                                    {LobbyFilterKind::slots_available, "", "", 2, {}},
                                    {LobbyFilterKind::distance, "", "", 3, {}}},
                                   20}});
  out.emplace_back("request_lobby_data", Message{29, RequestLobbyData{SteamID::lobby(7)}});
  out.emplace_back("invite_to_lobby", Message{30, InviteToLobby{kSampleLobby, SteamID::individual(3)}});
  out.emplace_back("send_join_intent", Message{31, SendJoinIntent{SteamID::individual(2), kSampleLobby}});
  // ---- server → client
  out.emplace_back("lobby_entered",
                   Message{21, LobbyEntered{EnterResponse::success, kSampleLobby, sample_lobby_state()}});
  out.emplace_back("lobby_entered_full", Message{21, LobbyEntered{EnterResponse::full, kSampleLobby, std::nullopt}});
  out.emplace_back(
      "lobby_member_entered",
      Message{0, LobbyMemberUpdate{kSampleLobby, SteamID::individual(3), SteamID::individual(3), MemberChange::entered,
                                   sample_member(3, "Ĉarlie", {{"team", "blue"}}), SteamID()}});
  out.emplace_back("lobby_member_left",
                   Message{0, LobbyMemberUpdate{kSampleLobby, SteamID::individual(1), SteamID::individual(1),
                                                MemberChange::left, std::nullopt, SteamID::individual(2)}});
  out.emplace_back("lobby_data_update", Message{0, LobbyDataUpdate{kSampleLobby,
                                                                   kSampleLobby,
                                                                   {{"map", "de_nuke"}, {"old", ""}},
                                                                   SteamID::individual(1),
                                                                   4,
                                                                   false,
                                                                   LobbyType::invisible}});
  out.emplace_back(
      "lobby_member_data_update",
      Message{
          0, LobbyDataUpdate{
                 kSampleLobby, SteamID::individual(2), {{"ready", "1"}}, SteamID(), 0, true, LobbyType::public_lobby}});
  out.emplace_back("lobby_chat", Message{0, LobbyChat{kSampleLobby, SteamID::individual(2), {0x00, 0xff, 0x10}}});
  out.emplace_back("lobby_list", Message{28, LobbyList{{sample_summary(1, 3), sample_summary(2, 1)}}});
  out.emplace_back("lobby_data", Message{29, LobbyData{true, sample_summary(7, 2)}});
  out.emplace_back("lobby_data_missing", Message{29, LobbyData{false, {}}});
  out.emplace_back("lobby_invite", Message{0, LobbyInvite{kSampleLobby, SteamID::individual(1), 480}});
  out.emplace_back("lobby_join_requested", Message{0, LobbyJoinRequested{kSampleLobby, SteamID::individual(1)}});
  out.emplace_back("lobby_kicked", Message{0, LobbyKicked{kSampleLobby, SteamID()}});
  return out;
}

}  // namespace kettle::control::testing
