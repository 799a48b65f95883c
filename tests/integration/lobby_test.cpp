// Lobbies end to end (issue 6 Acceptance) against the real kettle-server process: a member in
// a child process that is SIGKILLed (a crash), a server restart, invites and private lobbies,
// join intents from a front end, RequestLobbyData, listing, data visible to all, exact filter
// results and the membership limits. What tests/client/matchmaking_test.cpp covers in process
// is not repeated here. Bad input: lobby_bad_input_test.cpp.
#include "lobby_fixture.hpp"

namespace kettle::integration {
namespace {

// ---- a crashed member, a restarted server ----

TEST_F(Lobbies, MemberCrashIsAnnouncedAsDisconnectedWithinTheLivenessTimeout) {
  Player& alice = player("alice");
  const SteamID lobby = create(alice, k_ELobbyTypePublic, 4);
  ASSERT_TRUE(lobby.IsLobby());
  Process child(KETTLE_LOBBY_CHILD_PATH, {server_->udp(), server_->key(), "bob", std::to_string(lobby.value())},
                clean_environment());
  const std::string line = child.read_line_starting_with("joined ", in_secs(30));
  ASSERT_FALSE(line.empty()) << child.out();
  const SteamID bob(std::stoull(fields(line)["steam_id"]));
  ASSERT_TRUE(bob.BIndividualAccount());
  ASSERT_TRUE(pump(10, [&] { return alice.count_updates(lobby, bob, k_EChatMemberStateChangeEntered) == 1; }));
  EXPECT_EQ(alice.mm().GetNumLobbyMembers(lobby), 2);

  const std::size_t before = alice.updates.size();
  const auto killed_at = Clock::now();
  child.signal(SIGKILL);
  EXPECT_EQ(child.wait_exit(in_secs(10)), 128 + SIGKILL);
  // No CLOSE from a killed process: the server notices by silence (backend_liveness).
  ASSERT_TRUE(pump(kLiveness + 10, [&] { return alice.updates.size() > before; }));
  const double took = std::chrono::duration<double>(Clock::now() - killed_at).count();
  const LobbyChatUpdate_t& u = alice.updates.back();
  EXPECT_EQ(u.m_rgfChatMemberStateChange, static_cast<uint32>(k_EChatMemberStateChangeDisconnected));
  EXPECT_EQ(u.m_ulSteamIDUserChanged, bob.value());
  EXPECT_EQ(u.m_ulSteamIDMakingChange, bob.value());
  EXPECT_EQ(u.m_ulSteamIDLobby, lobby.value());
  EXPECT_LT(took, kLiveness + 3) << "disconnect noticed after " << took << " s";
  std::printf("[ measured ] member SIGKILL -> LobbyChatUpdate_t disconnected after %.2f s (liveness %.0f s)\n", took,
              kLiveness);
  EXPECT_EQ(alice.mm().GetNumLobbyMembers(lobby), 1);
  EXPECT_EQ(alice.mm().GetLobbyOwner(lobby), alice.id);
}

TEST_F(Lobbies, ServerRestartKicksMembersAfterReconnectAndForgetsTheLobby) {
  Player& alice = player("alice");
  Player& bob = player("bob");
  const SteamID lobby = create(alice, k_ELobbyTypePublic, 4);
  ASSERT_TRUE(alice.mm().SetLobbyData(lobby, "mode", "ctf"));
  join_seen(bob, lobby, {&alice});
  ASSERT_TRUE(pump(5, [&] { return bob.mm().GetLobbyData(lobby, "mode") == "ctf"; }));

  const std::string udp = server_->udp();
  EXPECT_EQ(server_->stop(SIGKILL), 128 + SIGKILL);
  ASSERT_TRUE(pump(kLiveness + 10, [&] { return !alice.c->IsLoggedOn() && !bob.c->IsLoggedOn(); }));
  EXPECT_TRUE(alice.kicked.empty()) << "LobbyKicked_t comes once logged on again";
  server_ = std::make_unique<ServerProcess>(dir(), args(), udp);
  ASSERT_TRUE(server_->started());
  ASSERT_TRUE(pump(30, [&] { return alice.kicked.size() == 1 && bob.kicked.size() == 1; }));
  for (Player* p : {&alice, &bob}) {
    const LobbyKicked_t& k = p->kicked[0];
    EXPECT_EQ(k.m_ulSteamIDLobby, lobby.value());
    EXPECT_EQ(k.m_ulSteamIDAdmin, lobby.value());
    EXPECT_EQ(k.m_bKickedDueToDisconnect, 1);
    EXPECT_TRUE(p->logged_on_at_kick[0]);
    EXPECT_EQ(p->mm().GetNumLobbyMembers(lobby), 0);
    EXPECT_FALSE(p->mm().GetLobbyOwner(lobby).IsValid());
    EXPECT_FALSE(p->mm().SendLobbyChatMsg(lobby, "x", 2));
  }
  // The lobby is gone from the server: not listed, RequestLobbyData says so, a join gets 2.
  Player& carol = player("carol");
  EXPECT_TRUE(search(carol).empty());
  ASSERT_TRUE(carol.mm().RequestLobbyData(lobby));
  ASSERT_TRUE(pump(10, [&] { return !carol.data.empty(); }));
  EXPECT_EQ(carol.data.back().m_bSuccess, 0);
  EXPECT_EQ(join(carol, lobby), k_EChatRoomEnterResponseDoesntExist);
  // Lobbies work again, and a new lobby never takes the old one's id: a stale id (an invite,
  // a +connect_lobby launch) must not lead into somebody else's lobby.
  const SteamID fresh = create(alice, k_ELobbyTypePublic, 4);
  ASSERT_TRUE(fresh.IsLobby());
  EXPECT_NE(fresh, lobby);
  join_seen(bob, fresh, {&alice});
  EXPECT_TRUE(chat_reaches(bob, fresh, "back", {&alice, &bob}));
}

// ---- invites, private lobbies, join intents, RequestLobbyData ----

TEST_F(Lobbies, InvitesReachTheInviteeAndOpenAPrivateLobbyToThemOnly) {
  Player& alice = player("alice");
  Player& bob = player("bob");
  Player& carol = player("carol");
  const SteamID lobby = create(alice, k_ELobbyTypePrivate, 4);
  ASSERT_TRUE(lobby.IsLobby());
  EXPECT_TRUE(alice.entered.back().m_bLocked);
  EXPECT_TRUE(search(carol).empty()) << "a private lobby is not listed";

  // Not a member, not a user, not a lobby: false and nothing sent.
  EXPECT_FALSE(carol.mm().InviteUserToLobby(lobby, bob.id));
  EXPECT_FALSE(alice.mm().InviteUserToLobby(lobby, lobby));
  EXPECT_FALSE(alice.mm().InviteUserToLobby(SteamID(), bob.id));
  EXPECT_FALSE(alice.mm().InviteUserToLobby(bob.id, carol.id));
  // The server refuses a non-member's invite too.
  Raw& mallory = raw("mallory");
  EXPECT_EQ(mallory.code_of(control::InviteToLobby{lobby, bob.id}), control::ResultCode::access_denied);

  EXPECT_EQ(join(carol, lobby), k_EChatRoomEnterResponseNotAllowed);
  ASSERT_TRUE(alice.mm().InviteUserToLobby(lobby, bob.id));
  ASSERT_TRUE(pump(10, [&] { return !bob.invites.empty(); }));
  ASSERT_EQ(bob.invites.size(), 1u);
  EXPECT_EQ(bob.invites[0].m_ulSteamIDUser, alice.id.value());
  EXPECT_EQ(bob.invites[0].m_ulSteamIDLobby, lobby.value());
  EXPECT_EQ(bob.invites[0].m_ulGameID, 480u);
  EXPECT_TRUE(carol.invites.empty());

  join_seen(bob, lobby, {&alice});
  EXPECT_TRUE(bob.entered.back().m_bLocked);
  EXPECT_EQ(bob.mm().GetNumLobbyMembers(lobby), 2);
  EXPECT_EQ(join(carol, lobby), k_EChatRoomEnterResponseNotAllowed) << "bob's invite is not carol's";
  // A member (not only the owner) may invite; the invite opens the door for carol.
  ASSERT_TRUE(bob.mm().InviteUserToLobby(lobby, carol.id));
  ASSERT_TRUE(pump(10, [&] { return !carol.invites.empty(); }));
  EXPECT_EQ(carol.invites[0].m_ulSteamIDUser, bob.id.value());
  join_seen(carol, lobby, {&alice, &bob});
  // Not joinable: every join is refused, invitees included (spec §3.3).
  Player& dave = player("dave");
  ASSERT_TRUE(alice.mm().InviteUserToLobby(lobby, dave.id));
  ASSERT_TRUE(alice.mm().SetLobbyJoinable(lobby, false));
  ASSERT_TRUE(pump(10, [&] { return carol.data.size() >= 1; }));
  EXPECT_EQ(join(dave, lobby), k_EChatRoomEnterResponseNotAllowed);
}

TEST_F(Lobbies, AFrontEndsJoinIntentReachesTheRunningGameAsGameLobbyJoinRequested) {
  Player& alice = player("alice");
  Player& bob = player("bob");
  const SteamID lobby = create(alice, k_ELobbyTypeFriendsOnly, 4);
  Raw& front = raw("carol");  // carol's launcher asks bob's game to join alice's lobby
  EXPECT_EQ(front.code_of(control::SendJoinIntent{bob.id, lobby}), control::ResultCode::ok);
  ASSERT_TRUE(pump(10, [&] { return !bob.join_requests.empty(); }));
  ASSERT_EQ(bob.join_requests.size(), 1u);
  EXPECT_EQ(bob.join_requests[0].m_steamIDLobby, lobby);
  EXPECT_EQ(bob.join_requests[0].m_steamIDFriend, front.id);
  EXPECT_TRUE(alice.join_requests.empty());
  // Kettle does not join by itself: the game does, friends-only is joinable by id.
  EXPECT_EQ(bob.mm().GetNumLobbyMembers(lobby), 0);
  join_seen(bob, lobby, {&alice});
  // An intent for nobody online, or with a non-lobby id: Ok (best effort), nobody told.
  EXPECT_EQ(front.code_of(control::SendJoinIntent{SteamID::individual(999), lobby}), control::ResultCode::ok);
  EXPECT_EQ(front.code_of(control::SendJoinIntent{bob.id, alice.id}), control::ResultCode::ok);
  EXPECT_TRUE(chat_reaches(alice, lobby, "sync", {&bob}));
  EXPECT_EQ(bob.join_requests.size(), 1u);
}

TEST_F(Lobbies, RequestLobbyDataServesOutsidersAndSaysWhenALobbyDoesNotExist) {
  Player& alice = player("alice");
  Player& bob = player("bob");
  const SteamID lobby = create(alice, k_ELobbyTypeFriendsOnly, 6);
  ASSERT_TRUE(alice.mm().SetLobbyData(lobby, "name", "alice's"));
  ASSERT_TRUE(alice.mm().SetLobbyData(lobby, "map", "dust"));
  ASSERT_TRUE(pump(10, [&] { return alice.data.size() >= 1; }));  // the batch reached the server

  EXPECT_FALSE(bob.mm().RequestLobbyData(SteamID()));
  EXPECT_FALSE(bob.mm().RequestLobbyData(alice.id));
  ASSERT_TRUE(bob.mm().RequestLobbyData(lobby));
  ASSERT_TRUE(pump(10, [&] { return !bob.data.empty(); }));
  EXPECT_EQ(bob.data[0].m_ulSteamIDLobby, lobby.value());
  EXPECT_EQ(bob.data[0].m_ulSteamIDMember, lobby.value());
  EXPECT_EQ(bob.data[0].m_bSuccess, 1);
  EXPECT_EQ(bob.mm().GetLobbyData(lobby, "name"), "alice's");
  EXPECT_EQ(bob.mm().GetLobbyData(lobby, "map"), "dust");
  EXPECT_EQ(bob.mm().GetLobbyDataCount(lobby), 2);
  EXPECT_EQ(bob.mm().GetNumLobbyMembers(lobby), 1);
  EXPECT_EQ(bob.mm().GetLobbyMemberLimit(lobby), 6);
  EXPECT_FALSE(bob.mm().GetLobbyMemberByIndex(lobby, 0).IsValid()) << "members only for lobbies you are in";

  const SteamID unknown = SteamID::lobby(4000000);
  ASSERT_TRUE(bob.mm().RequestLobbyData(unknown));
  ASSERT_TRUE(pump(10, [&] { return bob.data.size() == 2; }));
  EXPECT_EQ(bob.data[1].m_ulSteamIDLobby, unknown.value());
  EXPECT_EQ(bob.data[1].m_bSuccess, 0);
  EXPECT_EQ(bob.mm().GetLobbyData(unknown, "name"), "");
}

// ---- listing, data, filters ----

TEST_F(Lobbies, OnlyPublicAndInvisibleJoinableLobbiesWithRoomAreListed) {
  Player& a = player("a");
  Player& b = player("b");
  Player& c = player("c");
  Player& d = player("d");
  Player& e = player("e");
  Player& seeker = player("seeker");
  const SteamID pub = create(a, k_ELobbyTypePublic, 4);
  const SteamID priv = create(b, k_ELobbyTypePrivate, 4);
  const SteamID friends = create(c, k_ELobbyTypeFriendsOnly, 4);
  const SteamID invisible = create(d, k_ELobbyTypeInvisible, 4);
  const SteamID full = create(e, k_ELobbyTypePublic, 1);
  const SteamID closed = create(a, k_ELobbyTypeInvisible, 4);
  ASSERT_TRUE(a.mm().SetLobbyJoinable(closed, false));
  ASSERT_TRUE(pump(10, [&] { return a.mm().GetLobbyDataCount(closed) == 0 && !a.data.empty(); }));
  EXPECT_EQ(search(seeker), (std::vector<SteamID>{invisible, pub})) << "newest first";
  (void)priv, (void)friends, (void)full;
  // A type change moves a lobby in or out of the list.
  ASSERT_TRUE(a.mm().SetLobbyType(pub, k_ELobbyTypePrivate));
  ASSERT_TRUE(c.mm().SetLobbyType(friends, k_ELobbyTypePublic));
  ASSERT_TRUE(pump(10, [&] { return a.data.size() >= 2 && !c.data.empty(); }));
  EXPECT_EQ(search(seeker), (std::vector<SteamID>{invisible, friends}));
}

TEST_F(Lobbies, DataAndMemberDataWritesAreVisibleToEveryMember) {
  Player& alice = player("alice");
  Player& bob = player("bob");
  Player& carol = player("carol");
  const SteamID lobby = create(alice, k_ELobbyTypePublic, 4);
  join_seen(bob, lobby, {&alice});
  join_seen(carol, lobby, {&alice, &bob});

  ASSERT_TRUE(alice.mm().SetLobbyData(lobby, "map", "dust"));
  ASSERT_TRUE(alice.mm().SetLobbyData(lobby, "round", "3"));
  bob.mm().SetLobbyMemberData(lobby, "team", "red");
  carol.mm().SetLobbyMemberData(lobby, "team", "blue");
  auto all_see = [&] {
    for (Player* p : {&alice, &bob, &carol}) {
      auto& mm = p->mm();
      if (mm.GetLobbyData(lobby, "map") != "dust" || mm.GetLobbyData(lobby, "round") != "3" ||
          mm.GetLobbyMemberData(lobby, bob.id, "team") != "red" ||
          mm.GetLobbyMemberData(lobby, carol.id, "team") != "blue")
        return false;
    }
    return true;
  };
  ASSERT_TRUE(pump(10, all_see));
  // One LobbyDataUpdate_t per batch: the lobby's, bob's and carol's, for everyone.
  for (Player* p : {&alice, &bob, &carol}) {
    ASSERT_TRUE(pump(10, [&] { return p->data.size() >= 3; }));
    auto of = [&](SteamID member) {
      return std::count_if(p->data.begin(), p->data.end(), [&](const LobbyDataUpdate_t& d) {
        return d.m_ulSteamIDLobby == lobby.value() && d.m_ulSteamIDMember == member.value() && d.m_bSuccess == 1;
      });
    };
    EXPECT_EQ(of(lobby), 1);
    EXPECT_EQ(of(bob.id), 1);
    EXPECT_EQ(of(carol.id), 1);
  }
  // Delete and overwrite reach everyone; an unchanged value posts nothing.
  const std::size_t bob_updates = bob.data.size();
  ASSERT_TRUE(alice.mm().DeleteLobbyData(lobby, "round"));
  ASSERT_TRUE(alice.mm().SetLobbyData(lobby, "map", "nuke"));
  ASSERT_TRUE(pump(10, [&] {
    return bob.mm().GetLobbyData(lobby, "map") == "nuke" && carol.mm().GetLobbyDataCount(lobby) == 1 &&
           bob.mm().GetLobbyDataCount(lobby) == 1;
  }));
  EXPECT_EQ(bob.data.size(), bob_updates + 1);
  ASSERT_TRUE(alice.mm().SetLobbyData(lobby, "map", "nuke"));
  EXPECT_TRUE(chat_reaches(alice, lobby, "after", {&bob, &carol}));
  EXPECT_EQ(bob.data.size(), bob_updates + 1);
  // A later joiner gets all of it with its LobbyEnter_t.
  Player& dave = player("dave");
  join_seen(dave, lobby, {&alice});
  EXPECT_EQ(dave.mm().GetLobbyData(lobby, "map"), "nuke");
  EXPECT_EQ(dave.mm().GetLobbyMemberData(lobby, carol.id, "team"), "blue");
}

TEST_F(Lobbies, FiltersAndResultCountsGiveExactResults) {
  // Five lobbies (one per owner): lvl 10..50, mode alternating, member limits 2..6.
  Player& seeker = player("seeker");
  std::vector<SteamID> ids;  // creation order
  const char* modes[] = {"ctf", "dm", "ctf", "dm", "ctf"};
  for (int i = 0; i < 5; ++i) {
    Player& owner = player("owner" + std::to_string(i));
    const SteamID l = create(owner, k_ELobbyTypePublic, 2 + i);
    ASSERT_TRUE(owner.mm().SetLobbyData(l, "lvl", std::to_string(10 * (i + 1))));
    ASSERT_TRUE(owner.mm().SetLobbyData(l, "mode", modes[i]));
    ASSERT_TRUE(pump(10, [&] { return !owner.data.empty(); }));
    ids.push_back(l);
  }
  auto pick = [&](std::initializer_list<int> idx) {
    std::vector<SteamID> out;
    for (int i : idx) out.push_back(ids[static_cast<std::size_t>(i)]);
    return out;
  };
  using V = std::vector<SteamID>;
  EXPECT_EQ(search(seeker), pick({4, 3, 2, 1, 0}));
  EXPECT_EQ(
      search(seeker, [](auto& mm) { mm.AddRequestLobbyListStringFilter("mode", "ctf", k_ELobbyComparisonEqual); }),
      pick({4, 2, 0}));
  EXPECT_EQ(
      search(seeker, [](auto& mm) { mm.AddRequestLobbyListStringFilter("mode", "ctf", k_ELobbyComparisonNotEqual); }),
      pick({3, 1}));
  EXPECT_EQ(
      search(seeker, [](auto& mm) { mm.AddRequestLobbyListStringFilter("nokey", "x", k_ELobbyComparisonNotEqual); }),
      pick({4, 3, 2, 1, 0}));
  EXPECT_EQ(search(seeker, [](auto& mm) { mm.AddRequestLobbyListStringFilter("nokey", "", k_ELobbyComparisonEqual); }),
            V{});
  const std::pair<ELobbyComparison, std::vector<int>> numeric[] = {
      {k_ELobbyComparisonLessThan, {1, 0}},    {k_ELobbyComparisonEqualToOrLessThan, {2, 1, 0}},
      {k_ELobbyComparisonEqual, {2}},          {k_ELobbyComparisonEqualToOrGreaterThan, {4, 3, 2}},
      {k_ELobbyComparisonGreaterThan, {4, 3}}, {k_ELobbyComparisonNotEqual, {4, 3, 1, 0}},
  };
  for (const auto& [cmp, want] : numeric) {
    V expected;
    for (int i : want) expected.push_back(ids[static_cast<std::size_t>(i)]);
    EXPECT_EQ(search(seeker, [cmp = cmp](auto& mm) { mm.AddRequestLobbyListNumericalFilter("lvl", 30, cmp); }),
              expected)
        << "lvl op 30 with op " << cmp;
  }
  // Near value: |lvl - 33| = 3, 7, 13, 17, 23 → lobbies 2, 3, 1, 4, 0.
  EXPECT_EQ(search(seeker, [](auto& mm) { mm.AddRequestLobbyListNearValueFilter("lvl", 33); }), pick({2, 3, 1, 4, 0}));
  // Near value combined with a filter and a result count.
  EXPECT_EQ(search(seeker,
                   [](auto& mm) {
                     mm.AddRequestLobbyListStringFilter("mode", "ctf", k_ELobbyComparisonEqual);
                     mm.AddRequestLobbyListNearValueFilter("lvl", 48);
                     mm.AddRequestLobbyListResultCountFilter(2);
                   }),
            pick({4, 2}));
  // Slots: limits 2..6 with one member each → free slots 1..5.
  EXPECT_EQ(search(seeker, [](auto& mm) { mm.AddRequestLobbyListFilterSlotsAvailable(4); }), pick({4, 3}));
  EXPECT_EQ(search(seeker, [](auto& mm) { mm.AddRequestLobbyListFilterSlotsAvailable(0); }), pick({4, 3, 2, 1, 0}));
  EXPECT_EQ(search(seeker, [](auto& mm) { mm.AddRequestLobbyListDistanceFilter(k_ELobbyDistanceFilterClose); }),
            pick({4, 3, 2, 1, 0}));
  EXPECT_EQ(search(seeker, [](auto& mm) { mm.AddRequestLobbyListResultCountFilter(3); }), pick({4, 3, 2}));
  EXPECT_EQ(search(seeker, [](auto& mm) { mm.AddRequestLobbyListResultCountFilter(0); }), pick({4, 3, 2, 1, 0}));
  // Filters were cleared by each request: a plain search lists everything again, with snapshots.
  EXPECT_EQ(search(seeker), pick({4, 3, 2, 1, 0}));
  EXPECT_EQ(seeker.mm().GetLobbyData(ids[1], "lvl"), "20");
  EXPECT_EQ(seeker.mm().GetNumLobbyMembers(ids[1]), 1);
  EXPECT_EQ(seeker.mm().GetLobbyMemberLimit(ids[1]), 3);
}

// ---- membership limits ----

TEST_F(Lobbies, OneRegularLobbyPlusTwoInvisibleOnes) {
  Player& alice = player("alice");
  Player& bob = player("bob");
  Player& carol = player("carol");
  Player& dave = player("dave");
  const SteamID first = create(alice, k_ELobbyTypePublic, 8);
  const SteamID second = create(carol, k_ELobbyTypeFriendsOnly, 8);
  join_seen(bob, first, {&alice});
  // A second regular lobby leaves the first: its members see LEFT, bob's copy drops it.
  join_seen(bob, second, {&carol});
  ASSERT_TRUE(pump(10, [&] { return alice.count_updates(first, bob.id, k_EChatMemberStateChangeLeft) == 1; }));
  EXPECT_EQ(alice.mm().GetNumLobbyMembers(first), 1);
  EXPECT_EQ(bob.mm().GetNumLobbyMembers(first), 0);
  EXPECT_EQ(bob.mm().GetNumLobbyMembers(second), 2);

  const SteamID inv1 = create(alice, k_ELobbyTypeInvisible, 8);
  const SteamID inv2 = create(carol, k_ELobbyTypeInvisible, 8);
  const SteamID inv3 = create(dave, k_ELobbyTypeInvisible, 8);
  join_seen(bob, inv1, {&alice});
  join_seen(bob, inv2, {&carol});
  EXPECT_EQ(bob.mm().GetNumLobbyMembers(second), 2) << "invisible lobbies do not leave the regular one";
  EXPECT_EQ(join(bob, inv3), k_EChatRoomEnterResponseError) << "a third invisible lobby";
  EXPECT_EQ(dave.mm().GetNumLobbyMembers(inv3), 1);
  // Creating a third invisible one fails with LimitExceeded and no LobbyEnter_t.
  const std::size_t entered = bob.entered.size();
  bob.mm().CreateLobby(k_ELobbyTypeInvisible, 4);
  ASSERT_TRUE(pump(10, [&] { return !bob.created.empty(); }));
  EXPECT_EQ(bob.created.back().m_eResult, k_EResultLimitExceeded);
  EXPECT_EQ(bob.created.back().m_ulSteamIDLobby, 0u);
  EXPECT_EQ(bob.entered.size(), entered);
  // Still in all three, and each still delivers chat.
  EXPECT_TRUE(chat_reaches(bob, second, "s", {&carol}));
  EXPECT_TRUE(chat_reaches(bob, inv1, "i1", {&alice}));
  EXPECT_TRUE(chat_reaches(bob, inv2, "i2", {&carol}));
  // Leaving an invisible one makes room for the third.
  bob.mm().LeaveLobby(inv1);
  EXPECT_EQ(join(bob, inv3), k_EChatRoomEnterResponseSuccess);
}

}  // namespace
}  // namespace kettle::integration
