// Owner hand-over, member limits, reading lobby data by index, the search owner, and joining
// from the launch arguments — against the real kettle-server process (issue 6).
#include <string>
#include <vector>

#include "lobby_fixture.hpp"

namespace kettle::integration {
namespace {

TEST_F(Lobbies, SetLobbyOwnerHandsTheLobbyOverAndEveryoneSeesItInTheDataUpdate) {
  Player& alice = player("alice");
  Player& bob = player("bob");
  Player& carol = player("carol");
  const SteamID lobby = create(alice, k_ELobbyTypePublic, 4);
  join_seen(bob, lobby, {&alice});
  join_seen(carol, lobby, {&alice, &bob});

  // What GetLobbyOwner says inside each player's LobbyDataUpdate_t for the lobby.
  std::vector<std::vector<SteamID>> owner_in_update(3);
  std::vector<Player*> all{&alice, &bob, &carol};
  for (std::size_t i = 0; i < all.size(); ++i) {
    Player* p = all[i];
    p->c->On<LobbyDataUpdate_t>([p, i, &owner_in_update](const LobbyDataUpdate_t& cb) {
      if (cb.m_ulSteamIDMember == cb.m_ulSteamIDLobby)
        owner_in_update[i].push_back(p->mm().GetLobbyOwner(SteamID(cb.m_ulSteamIDLobby)));
    });
  }
  EXPECT_FALSE(alice.mm().SetLobbyOwner(lobby, SteamID::lobby(99))) << "not a user";
  ASSERT_TRUE(alice.mm().SetLobbyOwner(lobby, bob.id));
  ASSERT_TRUE(pump(10, [&] {
    return std::all_of(owner_in_update.begin(), owner_in_update.end(), [](const auto& v) { return !v.empty(); });
  }));
  for (const auto& seen : owner_in_update) EXPECT_EQ(seen.front(), bob.id);
  for (Player* p : all) EXPECT_EQ(p->mm().GetLobbyOwner(lobby), bob.id);
  // The new owner may write lobby data and settings; the old one may not any more.
  EXPECT_FALSE(alice.mm().SetLobbyData(lobby, "map", "dust"));
  EXPECT_FALSE(alice.mm().SetLobbyOwner(lobby, alice.id));
  ASSERT_TRUE(bob.mm().SetLobbyData(lobby, "map", "nuke"));
  ASSERT_TRUE(pump(10, [&] { return carol.mm().GetLobbyData(lobby, "map") == "nuke"; }));
  EXPECT_EQ(alice.mm().GetLobbyData(lobby, "map"), "nuke");
}

TEST_F(Lobbies, AMemberLimitChangeReachesEveryoneAndALowerLimitTurnsJoinersAway) {
  Player& alice = player("alice");
  Player& bob = player("bob");
  Player& carol = player("carol");
  const SteamID lobby = create(alice, k_ELobbyTypePublic, 8);
  join_seen(bob, lobby, {&alice});
  EXPECT_FALSE(bob.mm().SetLobbyMemberLimit(lobby, 4)) << "owner only";
  EXPECT_FALSE(alice.mm().SetLobbyMemberLimit(lobby, 0));
  EXPECT_FALSE(alice.mm().SetLobbyMemberLimit(lobby, k_nMaxLobbyMembers + 1));
  ASSERT_TRUE(alice.mm().SetLobbyMemberLimit(lobby, 2));
  ASSERT_TRUE(pump(10, [&] { return bob.mm().GetLobbyMemberLimit(lobby) == 2; }));
  EXPECT_EQ(alice.mm().GetLobbyMemberLimit(lobby), 2);
  EXPECT_EQ(join(carol, lobby), k_EChatRoomEnterResponseFull);
  // Raised again: carol gets in.
  ASSERT_TRUE(alice.mm().SetLobbyMemberLimit(lobby, 3));
  ASSERT_TRUE(pump(10, [&] { return bob.mm().GetLobbyMemberLimit(lobby) == 3; }));
  EXPECT_EQ(join(carol, lobby), k_EChatRoomEnterResponseSuccess);
  EXPECT_EQ(carol.mm().GetLobbyMemberLimit(lobby), 3);
}

TEST_F(Lobbies, LobbyDataByIndexListsEveryKeyOnceInKeyOrder) {
  Player& alice = player("alice");
  Player& bob = player("bob");
  const SteamID lobby = create(alice, k_ELobbyTypePublic, 4);
  for (const char* k : {"mode", "map", "zone", "level"})
    ASSERT_TRUE(alice.mm().SetLobbyData(lobby, k, std::string(k) + "!"));
  join_seen(bob, lobby, {&alice});
  for (Player* p : {&alice, &bob}) {
    auto& mm = p->mm();
    // bob may have joined before alice's batched writes went out: they follow as an update.
    ASSERT_TRUE(pump(10, [&] { return mm.GetLobbyDataCount(lobby) == 4; })) << mm.GetLobbyDataCount(lobby);
    std::vector<std::string> keys;
    for (int i = 0; i < 4; ++i) {
      std::string key = "unset", value;
      ASSERT_TRUE(mm.GetLobbyDataByIndex(lobby, i, &key, &value));
      EXPECT_EQ(value, key + "!");
      keys.push_back(key);
    }
    EXPECT_EQ(keys, (std::vector<std::string>{"level", "map", "mode", "zone"}));
    std::string key = "unchanged", value = "unchanged";
    EXPECT_FALSE(mm.GetLobbyDataByIndex(lobby, 4, &key, &value));
    EXPECT_FALSE(mm.GetLobbyDataByIndex(lobby, -1, &key, &value));
    EXPECT_FALSE(mm.GetLobbyDataByIndex(SteamID::lobby(424242), 0, &key, &value));
  }
}

TEST_F(Lobbies, ASearchResultsOwnerIsReadableWithoutJoining) {
  Player& alice = player("alice");
  Player& bob = player("bob");
  const SteamID lobby = create(alice, k_ELobbyTypePublic, 4);
  EXPECT_FALSE(bob.mm().GetLobbyOwnerFromSearch(lobby).IsValid()) << "not searched yet";
  ASSERT_EQ(search(bob), (std::vector<SteamID>{lobby}));
  EXPECT_EQ(bob.mm().GetLobbyOwnerFromSearch(lobby), alice.id);
  EXPECT_FALSE(bob.mm().GetLobbyOwner(lobby).IsValid()) << "GetLobbyOwner stays members-only, as Steam's";
}

TEST_F(Lobbies, TheConnectLobbyLaunchArgumentJoinsThatLobby) {
  Player& alice = player("alice");
  Player& bob = player("bob");
  const SteamID lobby = create(alice, k_ELobbyTypePublic, 4);
  const std::string id = std::to_string(lobby.value());
  const std::vector<const char*> bad{"game", "+connect_lobby", "12x"};
  EXPECT_EQ(bob.mm().JoinLobbyFromLaunchArgs(bad), k_uAPICallInvalid);
  const std::vector<const char*> none{"game", "--fullscreen"};
  EXPECT_EQ(bob.mm().JoinLobbyFromLaunchArgs(none), k_uAPICallInvalid);
  const std::vector<const char*> args{"game", "+connect_lobby", id.c_str(), "--fullscreen"};
  EXPECT_NE(bob.mm().JoinLobbyFromLaunchArgs(args), k_uAPICallInvalid);
  ASSERT_TRUE(pump(10, [&] { return !bob.entered.empty(); }));
  EXPECT_EQ(bob.entered.size(), 1u) << "the malformed arguments joined nothing";
  EXPECT_EQ(bob.entered[0].m_ulSteamIDLobby, lobby.value());
  EXPECT_EQ(bob.entered[0].m_EChatRoomEnterResponse, static_cast<uint32>(k_EChatRoomEnterResponseSuccess));
  ASSERT_TRUE(pump(10, [&] { return alice.count_updates(lobby, bob.id, k_EChatMemberStateChangeEntered) == 1; }));
}

}  // namespace
}  // namespace kettle::integration
