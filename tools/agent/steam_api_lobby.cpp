// Lobbies (spec §3): GodotSteam's matchmaking functions on Client::matchmaking(). The results
// of the async ones (create, join, list, data requests) arrive as signals (steam_api_signals.cpp).
#include <string>

#include "kettle/matchmaking.hpp"
#include "steam_api_impl.hpp"

namespace kettle::agent {
namespace {

using godot::Variant;

Matchmaking* mm(ApiState& s, const Call& c) {
  Client* cl = ready(s, c);
  return cl ? &cl->matchmaking() : nullptr;
}

// Metadata keys are 1-255 bytes and values 0-8191 (spec §3.4). The client refuses others too,
// but silently; checking here gives the game the reason.
std::string_view key_arg(Call& c, std::size_t i) {
  const std::string_view key = c.text(i, "key");
  if (c.ok() && (key.empty() || key.size() > static_cast<std::size_t>(k_nMaxLobbyKeyLength))) {
    c.value_error("argument " + std::to_string(i + 1) + " (key) must be 1 to " + std::to_string(k_nMaxLobbyKeyLength) +
                  " bytes of UTF-8, got " + std::to_string(key.size()));
  }
  return key;
}

std::string_view value_arg(Call& c, std::size_t i) {
  const std::string_view value = c.text(i, "value");
  if (c.ok() && value.size() >= static_cast<std::size_t>(k_cubChatMetadataMax)) {
    c.value_error("argument " + std::to_string(i + 1) + " (value) must be at most " +
                  std::to_string(k_cubChatMetadataMax - 1) + " bytes of UTF-8, got " + std::to_string(value.size()));
  }
  return value;
}

Variant create_lobby(ApiState& s, Call& c) {
  const int type = c.int_in(0, "lobby_type", k_ELobbyTypePrivate, k_ELobbyTypeInvisible);
  const int max_members = c.int_in(1, "max_members", 1, k_nMaxLobbyMembers, 2);
  // Out-of-range values still go to the client: lobby_created(8, 0) must reach the handler.
  if (c.types_ok() && s.client) s.client->matchmaking().CreateLobby(static_cast<ELobbyType>(type), max_members);
  return {};
}

Variant join_lobby(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  // An invalid id still goes to the client: lobby_joined(id, 0, false, 2) follows, never silence.
  if (c.types_ok() && s.client) s.client->matchmaking().JoinLobby(lobby);
  return {};
}

Variant leave_lobby(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  if (auto* m = mm(s, c)) m->LeaveLobby(lobby);
  return {};
}

Variant invite_user(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  const SteamID invitee = c.user(1, "steam_id_invitee");
  auto* m = mm(s, c);
  return Variant::boolean(m && m->InviteUserToLobby(lobby, invitee));
}

Variant num_members(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  auto* m = mm(s, c);
  return int_value(m ? m->GetNumLobbyMembers(lobby) : 0);
}

Variant member_by_index(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  const int index = c.int_in(1, "member", 0, k_nMaxLobbyMembers - 1);
  auto* m = mm(s, c);
  return id_value(m ? m->GetLobbyMemberByIndex(lobby, index) : SteamID());
}

Variant lobby_owner(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  auto* m = mm(s, c);
  return id_value(m ? m->GetLobbyOwner(lobby) : SteamID());
}

Variant set_owner(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  const SteamID owner = c.user(1, "steam_id_new_owner");
  auto* m = mm(s, c);
  return Variant::boolean(m && m->SetLobbyOwner(lobby, owner));
}

Variant member_limit(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  auto* m = mm(s, c);
  return int_value(m ? m->GetLobbyMemberLimit(lobby) : 0);
}

Variant set_member_limit(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  const int max_members = c.int_in(1, "max_members", 1, k_nMaxLobbyMembers);
  auto* m = mm(s, c);
  return Variant::boolean(m && m->SetLobbyMemberLimit(lobby, max_members));
}

Variant set_joinable(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  const bool joinable = c.boolean(1, "joinable");
  auto* m = mm(s, c);
  return Variant::boolean(m && m->SetLobbyJoinable(lobby, joinable));
}

Variant set_type(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  const int type = c.int_in(1, "lobby_type", k_ELobbyTypePrivate, k_ELobbyTypeInvisible);
  auto* m = mm(s, c);
  return Variant::boolean(m && m->SetLobbyType(lobby, static_cast<ELobbyType>(type)));
}

Variant set_data(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  const std::string_view key = key_arg(c, 1);
  const std::string_view value = value_arg(c, 2);
  auto* m = mm(s, c);
  return Variant::boolean(m && m->SetLobbyData(lobby, key, value));
}

Variant get_data(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  const std::string_view key = key_arg(c, 1);
  auto* m = mm(s, c);
  return text_value(m ? m->GetLobbyData(lobby, key) : std::string());
}

Variant delete_data(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  const std::string_view key = key_arg(c, 1);
  auto* m = mm(s, c);
  return Variant::boolean(m && m->DeleteLobbyData(lobby, key));
}

// {i: {"index": i, "key": k, "value": v}} with int keys, as GodotSteam 3.27/4.11 builds it.
Variant all_data(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  auto* m = mm(s, c);
  godot::Dictionary out;
  const int n = m ? m->GetLobbyDataCount(lobby) : 0;
  for (int i = 0; i < n; ++i) {
    std::string key, value;
    if (!m->GetLobbyDataByIndex(lobby, i, &key, &value)) continue;
    out.emplace_back(Variant::integer(i), Variant::dictionary({{Variant::string("index"), Variant::integer(i)},
                                                               {Variant::string("key"), text_value(key)},
                                                               {Variant::string("value"), text_value(value)}}));
  }
  return Variant::dictionary(std::move(out));
}

Variant data_count(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  auto* m = mm(s, c);
  return Variant::integer(m ? m->GetLobbyDataCount(lobby) : 0);
}

// Older GodotSteam names; Kettle answers one entry of getAllLobbyData's shape, {} out of range.
Variant data_by_index(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  const int index = c.int32(1, "index");
  auto* m = mm(s, c);
  std::string key, value;
  if (m == nullptr || !m->GetLobbyDataByIndex(lobby, index, &key, &value)) return Variant::dictionary({});
  return Variant::dictionary({{Variant::string("index"), Variant::integer(index)},
                              {Variant::string("key"), text_value(key)},
                              {Variant::string("value"), text_value(value)}});
}

Variant set_member_data(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  const std::string_view key = key_arg(c, 1);
  const std::string_view value = value_arg(c, 2);
  if (auto* m = mm(s, c)) m->SetLobbyMemberData(lobby, key, value);
  return {};
}

Variant get_member_data(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  const SteamID user = c.user(1, "steam_id_user");
  const std::string_view key = key_arg(c, 2);
  auto* m = mm(s, c);
  return text_value(m ? m->GetLobbyMemberData(lobby, user, key) : std::string());
}

Variant request_data(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  auto* m = mm(s, c);
  return Variant::boolean(m && m->RequestLobbyData(lobby));
}

// GodotSteam sends the String's UTF-8 bytes plus a NUL (spec §3.5).
Variant send_chat(ApiState& s, Call& c) {
  const SteamID lobby = c.lobby(0, "steam_lobby_id");
  const std::string_view text = c.text(1, "message_body");
  if (c.ok() && text.empty()) c.value_error("argument 2 (message_body) is empty");
  if (c.ok() && text.size() + 1 > static_cast<std::size_t>(k_cbMaxLobbyChatMsg)) {
    c.value_error("argument 2 (message_body) is " + std::to_string(text.size()) +
                  " bytes of UTF-8, more than the 4095 a chat message holds");
  }
  auto* m = mm(s, c);
  if (m == nullptr) return Variant::boolean(false);
  std::string body(text);
  body.push_back('\0');
  return Variant::boolean(m->SendLobbyChatMsg(lobby, body.data(), static_cast<int>(body.size())));
}

Variant request_list(ApiState& s, Call& c) {
  if (auto* m = mm(s, c)) m->RequestLobbyList();
  return {};
}

Variant string_filter(ApiState& s, Call& c) {
  const std::string_view key = c.text(0, "key_to_match");
  const std::string_view value = c.text(1, "value_to_match");
  const int cmp = c.int_in(2, "comparison_type", k_ELobbyComparisonEqualToOrLessThan, k_ELobbyComparisonNotEqual);
  if (auto* m = mm(s, c)) m->AddRequestLobbyListStringFilter(key, value, static_cast<ELobbyComparison>(cmp));
  return {};
}

Variant numerical_filter(ApiState& s, Call& c) {
  const std::string_view key = c.text(0, "key_to_match");
  const int value = c.int32(1, "value_to_match");
  const int cmp = c.int_in(2, "comparison_type", k_ELobbyComparisonEqualToOrLessThan, k_ELobbyComparisonNotEqual);
  if (auto* m = mm(s, c)) m->AddRequestLobbyListNumericalFilter(key, value, static_cast<ELobbyComparison>(cmp));
  return {};
}

Variant near_filter(ApiState& s, Call& c) {
  const std::string_view key = c.text(0, "key_to_match");
  const int value = c.int32(1, "value_to_be_close_to");
  if (auto* m = mm(s, c)) m->AddRequestLobbyListNearValueFilter(key, value);
  return {};
}

Variant slots_filter(ApiState& s, Call& c) {
  const int slots = c.int32(0, "slots_available");  // 0 or less: no effect (spec §3.6)
  if (auto* m = mm(s, c)) m->AddRequestLobbyListFilterSlotsAvailable(slots);
  return {};
}

Variant distance_filter(ApiState& s, Call& c) {
  const int f = c.int_in(0, "distance_filter", k_ELobbyDistanceFilterClose, k_ELobbyDistanceFilterWorldwide);
  if (auto* m = mm(s, c)) m->AddRequestLobbyListDistanceFilter(static_cast<ELobbyDistanceFilter>(f));
  return {};
}

Variant count_filter(ApiState& s, Call& c) {
  const int max_results = c.int32(0, "max_results");  // below 1: default, above 500: 500 (spec §3.6)
  if (auto* m = mm(s, c)) m->AddRequestLobbyListResultCountFilter(max_results);
  return {};
}

}  // namespace

void add_lobby_functions(std::vector<Function>& t) {
  t.push_back({"createLobby", Failure::nil, 2, true, create_lobby});
  t.push_back({"joinLobby", Failure::nil, 1, true, join_lobby});
  t.push_back({"leaveLobby", Failure::nil, 1, true, leave_lobby});
  t.push_back({"inviteUserToLobby", Failure::boolean, 2, true, invite_user});
  t.push_back({"getNumLobbyMembers", Failure::integer, 1, true, num_members});
  t.push_back({"getLobbyMemberByIndex", Failure::integer, 2, true, member_by_index});
  t.push_back({"getLobbyOwner", Failure::integer, 1, true, lobby_owner});
  t.push_back({"setLobbyOwner", Failure::boolean, 2, true, set_owner});
  t.push_back({"getLobbyMemberLimit", Failure::integer, 1, true, member_limit});
  t.push_back({"setLobbyMemberLimit", Failure::boolean, 2, true, set_member_limit});
  t.push_back({"setLobbyJoinable", Failure::boolean, 2, true, set_joinable});
  t.push_back({"setLobbyType", Failure::boolean, 2, true, set_type});
  t.push_back({"setLobbyData", Failure::boolean, 3, true, set_data});
  t.push_back({"getLobbyData", Failure::string, 2, true, get_data});
  t.push_back({"deleteLobbyData", Failure::boolean, 2, true, delete_data});
  t.push_back({"getAllLobbyData", Failure::dictionary, 1, true, all_data});
  t.push_back({"getLobbyDataCount", Failure::integer, 1, true, data_count});
  t.push_back({"getLobbyDataByIndex", Failure::dictionary, 2, true, data_by_index});
  t.push_back({"setLobbyMemberData", Failure::nil, 3, true, set_member_data});
  t.push_back({"getLobbyMemberData", Failure::string, 3, true, get_member_data});
  t.push_back({"requestLobbyData", Failure::boolean, 1, true, request_data});
  t.push_back({"sendLobbyChatMsg", Failure::boolean, 2, true, send_chat});
  t.push_back({"requestLobbyList", Failure::nil, 0, true, request_list});
  t.push_back({"addRequestLobbyListStringFilter", Failure::nil, 3, true, string_filter});
  t.push_back({"addRequestLobbyListNumericalFilter", Failure::nil, 3, true, numerical_filter});
  t.push_back({"addRequestLobbyListNearValueFilter", Failure::nil, 2, true, near_filter});
  t.push_back({"addRequestLobbyListFilterSlotsAvailable", Failure::nil, 1, true, slots_filter});
  t.push_back({"addRequestLobbyListDistanceFilter", Failure::nil, 1, true, distance_filter});
  t.push_back({"addRequestLobbyListResultCountFilter", Failure::nil, 1, true, count_filter});
}

}  // namespace kettle::agent
