// Lobby bad input end to end (issue 6 Acceptance) against the real kettle-server process:
// oversized chat, keys and values, too many keys, the total data cap, invalid lobby ids, joining
// twice, leaving a lobby you are not in, non-owner writes, out-of-range settings — each through
// the client API (its failure value) and, forced on a raw connection, the server's defined
// error; a bystanders' lobby keeps delivering chat after each.
#include "lobby_fixture.hpp"

namespace kettle::integration {
namespace {

class BadLobbyInput : public Lobbies {
 protected:
  // A bystanders' lobby (carol, dave) whose chat must keep working after every bad request.
  void SetUp() override {
    Lobbies::SetUp();
    carol_ = &player("carol");
    dave_ = &player("dave");
    other_ = create(*carol_, k_ELobbyTypePublic, 4);
    join_seen(*dave_, other_, {carol_});
  }
  void expect_other_lobby_fine(const std::string& tag) {
    EXPECT_TRUE(chat_reaches(*carol_, other_, "still here " + tag, {carol_, dave_})) << tag;
    EXPECT_EQ(carol_->mm().GetNumLobbyMembers(other_), 2) << tag;
  }
  Player* carol_ = nullptr;
  Player* dave_ = nullptr;
  SteamID other_;
};

TEST_F(BadLobbyInput, OversizedChatKeysValuesAndTooManyKeysAreRefused) {
  Player& alice = player("alice");
  Player& bob = player("bob");
  const SteamID lobby = create(alice, k_ELobbyTypePublic, 4);
  join_seen(bob, lobby, {&alice});
  auto& mm = alice.mm();

  const std::string big(k_cbMaxLobbyChatMsg + 1, 'c');
  EXPECT_FALSE(mm.SendLobbyChatMsg(lobby, big.data(), static_cast<int>(big.size())));
  EXPECT_FALSE(mm.SendLobbyChatMsg(lobby, big.data(), 0));
  EXPECT_FALSE(mm.SendLobbyChatMsg(lobby, nullptr, 4));
  EXPECT_TRUE(mm.SendLobbyChatMsg(lobby, big.data(), k_cbMaxLobbyChatMsg));  // exactly 4096: fine
  ASSERT_TRUE(pump(10, [&] { return bob.chat.size() == 1; }));
  EXPECT_EQ(bob.chat[0].second.size(), static_cast<std::size_t>(k_cbMaxLobbyChatMsg));

  EXPECT_FALSE(mm.SetLobbyData(lobby, "", "v"));
  EXPECT_FALSE(mm.SetLobbyData(lobby, std::string(256, 'k'), "v"));
  EXPECT_FALSE(mm.SetLobbyData(lobby, "k", std::string(8192, 'v')));
  EXPECT_TRUE(mm.SetLobbyData(lobby, std::string(255, 'k'), std::string(8191, 'v')));
  for (int i = 1; i < 256; ++i) ASSERT_TRUE(mm.SetLobbyData(lobby, "k" + std::to_string(i), "v")) << i;
  EXPECT_EQ(mm.GetLobbyDataCount(lobby), 256);
  EXPECT_FALSE(mm.SetLobbyData(lobby, "one-too-many", "v")) << "a 257th key";
  EXPECT_TRUE(mm.SetLobbyData(lobby, "k1", "w")) << "overwriting an existing key is fine at 256";
  bob.mm().SetLobbyMemberData(lobby, std::string(256, 'k'), "v");
  bob.mm().SetLobbyMemberData(lobby, "k", std::string(8192, 'v'));
  EXPECT_EQ(bob.mm().GetLobbyMemberData(lobby, bob.id, "k"), "");
  ASSERT_TRUE(
      pump(10, [&] { return bob.mm().GetLobbyDataCount(lobby) == 256 && bob.mm().GetLobbyData(lobby, "k1") == "w"; }));

  // The server refuses the same when a client sends them anyway.
  Raw& mallory = raw("mallory");
  const auto joined = mallory.request(control::JoinLobby{lobby});
  ASSERT_TRUE(joined && std::holds_alternative<control::LobbyEntered>(joined->body));
  auto member_data = [&](std::string key, std::string value) {
    return mallory.code_of(control::SetLobbyMemberData{lobby, {{std::move(key), std::move(value)}}});
  };
  EXPECT_EQ(member_data("ok", "v"), control::ResultCode::ok);
  std::vector<control::LobbyEntry> many;
  for (int i = 0; i < 257; ++i) many.push_back({"m" + std::to_string(i), "v"});
  // 257 changes do not even decode (malformed → invalid_param); 256 new keys on top of one do
  // not fit the per-member 256 (limit_exceeded).
  EXPECT_EQ(mallory.malformed_code(control::SetLobbyMemberData{lobby, many}), control::ResultCode::invalid_param);
  many.pop_back();
  EXPECT_EQ(mallory.code_of(control::SetLobbyMemberData{lobby, many}), control::ResultCode::limit_exceeded);
  EXPECT_EQ(mallory.malformed_code(control::SendLobbyChat{lobby, std::vector<std::uint8_t>(4097, 'x')}),
            control::ResultCode::invalid_param);
  EXPECT_EQ(mallory.malformed_code(control::SetLobbyData{lobby, {{std::string(256, 'k'), "v"}}}),
            control::ResultCode::invalid_param);
  EXPECT_EQ(mallory.malformed_code(control::SetLobbyMemberData{lobby, {{"k", std::string(8192, 'v')}}}),
            control::ResultCode::invalid_param);
  EXPECT_EQ(mallory.code_of(control::SetLobbyData{lobby, {{"map", "mine"}}}), control::ResultCode::access_denied)
      << "a non-owner's lobby data";
  EXPECT_EQ(bob.mm().GetLobbyData(lobby, "map"), "");
  EXPECT_TRUE(chat_reaches(alice, lobby, "alive", {&bob}));
  expect_other_lobby_fine("after oversized input");
}

TEST_F(BadLobbyInput, InvalidIdsTwiceJoinedForeignLeavesAndNonOwnerWritesGetDefinedErrors) {
  Player& alice = player("alice");
  Player& bob = player("bob");
  const SteamID lobby = create(alice, k_ELobbyTypePublic, 4);
  join_seen(bob, lobby, {&alice});

  // Invalid lobby ids: 0, a user id, an unknown lobby → response 2.
  EXPECT_EQ(join(bob, SteamID()), k_EChatRoomEnterResponseDoesntExist);
  EXPECT_EQ(join(bob, alice.id), k_EChatRoomEnterResponseDoesntExist);
  EXPECT_EQ(join(bob, SteamID::lobby(3999999)), k_EChatRoomEnterResponseDoesntExist);
  EXPECT_EQ(bob.mm().GetNumLobbyMembers(lobby), 2) << "a failed join does not leave the current lobby";
  // Joining twice: success again, nobody told.
  EXPECT_EQ(join(bob, lobby), k_EChatRoomEnterResponseSuccess);
  EXPECT_TRUE(chat_reaches(alice, lobby, "sync1", {&bob}));
  EXPECT_EQ(alice.count_updates(lobby, bob.id, k_EChatMemberStateChangeEntered), 1);
  EXPECT_EQ(bob.mm().GetNumLobbyMembers(lobby), 2);

  // Leaving a lobby you are not in: no effect locally, Error{invalid_param} from the server.
  carol_->mm().LeaveLobby(lobby);
  carol_->mm().LeaveLobby(SteamID());
  Raw& mallory = raw("mallory");
  EXPECT_EQ(mallory.code_of(control::LeaveLobby{lobby}), control::ResultCode::invalid_param);
  EXPECT_EQ(mallory.code_of(control::LeaveLobby{alice.id}), control::ResultCode::invalid_param);
  EXPECT_EQ(mallory.code_of(control::SendLobbyChat{lobby, {'x', 0}}), control::ResultCode::access_denied);
  EXPECT_EQ(mallory.code_of(control::SendLobbyChat{SteamID::lobby(3999999), {'x', 0}}),
            control::ResultCode::invalid_param);
  EXPECT_EQ(alice.mm().GetNumLobbyMembers(lobby), 2);

  // Non-owner writes: false from the API, access_denied from the server.
  EXPECT_FALSE(bob.mm().SetLobbyData(lobby, "map", "bob's"));
  EXPECT_FALSE(bob.mm().DeleteLobbyData(lobby, "map"));
  EXPECT_FALSE(bob.mm().SetLobbyMemberLimit(lobby, 8));
  EXPECT_FALSE(bob.mm().SetLobbyJoinable(lobby, false));
  EXPECT_FALSE(bob.mm().SetLobbyType(lobby, k_ELobbyTypePrivate));
  EXPECT_FALSE(bob.mm().SetLobbyOwner(lobby, bob.id));
  EXPECT_FALSE(bob.mm().SendLobbyChatMsg(other_, "x", 2)) << "not a member";
  const auto joined = mallory.request(control::JoinLobby{lobby});
  ASSERT_TRUE(joined && std::holds_alternative<control::LobbyEntered>(joined->body));
  EXPECT_EQ(mallory.code_of(control::SetLobbyData{lobby, {{"map", "mine"}}}), control::ResultCode::access_denied);
  EXPECT_EQ(mallory.code_of(control::SetLobbySetting{lobby, control::LobbySetting::member_limit, 9}),
            control::ResultCode::access_denied);
  EXPECT_EQ(mallory.code_of(control::SetLobbySetting{lobby, control::LobbySetting::owner, mallory.id.value()}),
            control::ResultCode::access_denied);
  EXPECT_EQ(alice.mm().GetLobbyOwner(lobby), alice.id);

  // Member limit out of range (owner): false, nothing sent; forced, the decoder refuses it.
  EXPECT_FALSE(alice.mm().SetLobbyMemberLimit(lobby, 0));
  EXPECT_FALSE(alice.mm().SetLobbyMemberLimit(lobby, 251));
  EXPECT_FALSE(alice.mm().SetLobbyType(lobby, k_ELobbyTypePrivateUnique));
  EXPECT_FALSE(alice.mm().SetLobbyOwner(lobby, carol_->id)) << "not a member";
  EXPECT_EQ(alice.mm().GetLobbyMemberLimit(lobby), 4);
  // Lowering below the member count is allowed and only blocks new joins.
  ASSERT_TRUE(alice.mm().SetLobbyMemberLimit(lobby, 1));
  ASSERT_TRUE(pump(10, [&] { return bob.mm().GetLobbyMemberLimit(lobby) == 1; }));
  EXPECT_EQ(bob.mm().GetNumLobbyMembers(lobby), 3);
  Player& erin = player("erin");
  EXPECT_EQ(join(erin, lobby), k_EChatRoomEnterResponseFull);

  // CreateLobby with bad arguments: LobbyCreated_t 8, no LobbyEnter_t; the server says the same.
  erin.mm().CreateLobby(k_ELobbyTypePublic, 0);
  erin.mm().CreateLobby(k_ELobbyTypePublic, 251);
  erin.mm().CreateLobby(k_ELobbyTypePrivateUnique, 4);
  ASSERT_TRUE(pump(10, [&] { return erin.created.size() == 3; }));
  for (const auto& c : erin.created) EXPECT_EQ(c.m_eResult, k_EResultInvalidParam);
  EXPECT_EQ(mallory.malformed_code(control::CreateLobby{control::LobbyType::public_lobby, 0}),
            control::ResultCode::invalid_param);
  EXPECT_EQ(mallory.malformed_code(control::SetLobbySetting{lobby, control::LobbySetting::member_limit, 0}),
            control::ResultCode::invalid_param);
  EXPECT_EQ(alice.mm().GetNumLobbyMembers(lobby), 3) << "a refused create leaves nobody's lobby";
  EXPECT_TRUE(chat_reaches(alice, lobby, "alive", {&bob}));
  expect_other_lobby_fine("after bad ids and writes");
}

TEST_F(BadLobbyInput, ALobbysDataStaysWithinWhatOneMessageCarries) {
  using control::kMaxLobbyDataTotalBytes;
  using control::lobby_entry_cost;
  Player& alice = player("alice");
  Player& bob = player("bob");
  const SteamID lobby = create(alice, k_ELobbyTypePublic, 4);
  join_seen(bob, lobby, {&alice});
  // 8191-byte values under 4-byte keys fill the cap after `whole` keys; one more key fits
  // exactly with the rest.
  const std::string value(8191, 'v');
  const std::size_t per_key = lobby_entry_cost(4, value.size());
  const std::size_t whole = kMaxLobbyDataTotalBytes / per_key;
  auto key = [](std::size_t i) { return std::to_string(1000 + i); };  // 4 bytes
  for (std::size_t i = 0; i < whole; ++i) ASSERT_TRUE(alice.mm().SetLobbyData(lobby, key(i), value)) << i;
  EXPECT_FALSE(alice.mm().SetLobbyData(lobby, key(whole), value)) << "past the total: false, no change";
  const std::size_t rest = kMaxLobbyDataTotalBytes - whole * per_key - lobby_entry_cost(4, 0);
  ASSERT_TRUE(alice.mm().SetLobbyData(lobby, key(whole), std::string(rest, 'r')));
  EXPECT_FALSE(alice.mm().SetLobbyData(lobby, "x", "y"));
  EXPECT_TRUE(alice.mm().SetLobbyData(lobby, key(0), "small")) << "shrinking always fits";
  ASSERT_TRUE(alice.mm().SetLobbyData(lobby, key(0), value));
  const int keys = static_cast<int>(whole) + 1;
  EXPECT_EQ(alice.mm().GetLobbyDataCount(lobby), keys);
  // All of it reached bob in one batch, and a member's data has no room left either.
  ASSERT_TRUE(pump(
      20, [&] { return bob.mm().GetLobbyDataCount(lobby) == keys && bob.mm().GetLobbyData(lobby, key(0)) == value; }));
  bob.mm().SetLobbyMemberData(lobby, "t", "r");
  EXPECT_EQ(bob.mm().GetLobbyMemberData(lobby, bob.id, "t"), "");

  // The server refuses what a client sends anyway: a member's data past the total, an owner's
  // batch past it (all or nothing).
  Raw& mallory = raw("mallory");
  const auto joined = mallory.request(control::JoinLobby{lobby});
  ASSERT_TRUE(joined && std::holds_alternative<control::LobbyEntered>(joined->body))
      << "the full state fits one LobbyEntered";
  EXPECT_EQ(std::get<control::LobbyEntered>(joined->body).state->data.size(), static_cast<std::size_t>(keys));
  EXPECT_EQ(mallory.code_of(control::SetLobbyMemberData{lobby, {{"t", "r"}}}), control::ResultCode::limit_exceeded);
  EXPECT_EQ(mallory.code_of(control::LeaveLobby{lobby}), control::ResultCode::ok);
  const auto own = mallory.request(control::CreateLobby{control::LobbyType::public_lobby, 4});
  ASSERT_TRUE(own && std::holds_alternative<control::LobbyEntered>(own->body));
  const SteamID mine = std::get<control::LobbyEntered>(own->body).lobby;
  std::vector<control::LobbyEntry> batch;
  for (std::size_t i = 0; i <= whole; ++i) batch.push_back({key(i), value});
  EXPECT_EQ(mallory.code_of(control::SetLobbyData{mine, batch}), control::ResultCode::limit_exceeded);
  batch.resize(whole / 2);
  EXPECT_EQ(mallory.code_of(control::SetLobbyData{mine, batch}), control::ResultCode::ok);

  // A joiner gets the whole lobby; a search answers with as many lobbies as one reply carries:
  // mallory's (newest, half full) and not alice's as well.
  Player& erin = player("erin");
  join_seen(erin, lobby, {&alice});
  EXPECT_EQ(erin.mm().GetLobbyDataCount(lobby), keys);
  EXPECT_EQ(erin.mm().GetLobbyData(lobby, key(whole)), std::string(rest, 'r'));
  Player& seeker = player("seeker");
  EXPECT_EQ(search(seeker), (std::vector<SteamID>{mine}));
  EXPECT_EQ(seeker.mm().GetLobbyDataCount(mine), static_cast<int>(whole / 2));
  EXPECT_EQ(
      search(seeker,
             [&](auto& mm) { mm.AddRequestLobbyListStringFilter(key(whole), "r", k_ELobbyComparisonGreaterThan); }),
      (std::vector<SteamID>{lobby}))
      << "alice's lobby alone fits";
  EXPECT_TRUE(chat_reaches(alice, lobby, "alive", {&bob, &erin}));
  expect_other_lobby_fine("after the data cap");
}

}  // namespace
}  // namespace kettle::integration
