// Accepting P2P sessions by lobby membership (issue 6 §4, spec p2p-api.md §5): the built-in
// Networking::SetAutoAcceptLobbyMembers and the public-API helper kettle::LobbySessionPolicy,
// with real clients against an in-process server.
#include "kettle/lobby_session_policy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client_test_util.hpp"
#include "kettle/client.hpp"

namespace kettle::testing {
namespace {

struct Player {
  std::unique_ptr<Client> c;
  std::vector<SteamID> requests;          // P2PSessionRequest_t, in order
  std::vector<bool> readable_in_request;  // was the requester's data readable in the handler
  std::vector<SteamID> entered;           // LobbyEnter_t successes
  std::vector<LobbyChatUpdate_t> updates;

  Player(const EmbeddedServer& server, const std::string& name, double connect_timeout_s = 20) {
    ClientConfig cfg = config_for(server, name);
    cfg.p2p_connect_timeout_s = connect_timeout_s;
    c = logged_in(cfg);
  }
  // Handlers registered after a policy run after its decision.
  void record() {
    c->On<P2PSessionRequest_t>([this](const P2PSessionRequest_t& cb) {
      requests.push_back(cb.m_steamIDRemote);
      uint32 size = 0;
      readable_in_request.push_back(c->networking().IsP2PPacketAvailable(&size, 0));
    });
    c->On<LobbyEnter_t>([this](const LobbyEnter_t& cb) {
      if (cb.m_EChatRoomEnterResponse == k_EChatRoomEnterResponseSuccess) entered.emplace_back(cb.m_ulSteamIDLobby);
    });
    c->On<LobbyChatUpdate_t>([this](const LobbyChatUpdate_t& cb) { updates.push_back(cb); });
  }
  SteamID id() const { return c->GetSteamID(); }
};

// alice creates a lobby and bob joins it; both have seen the join when this returns.
SteamID meet_in_lobby(Player& alice, Player& bob) {
  alice.c->matchmaking().CreateLobby(k_ELobbyTypePublic, 4);
  if (!run_until({alice.c.get()}, [&] { return !alice.entered.empty(); })) return SteamID();
  const SteamID lobby = alice.entered.back();
  bob.c->matchmaking().JoinLobby(lobby);
  if (!run_until({alice.c.get(), bob.c.get()}, [&] { return !bob.entered.empty() && !alice.updates.empty(); }))
    return SteamID();
  return lobby;
}

bool send_text(Player& from, SteamID to, const std::string& text) {
  return from.c->networking().SendP2PPacket(to, text.data(), static_cast<uint32>(text.size()), k_EP2PSendReliable);
}

// Runs until `reader` can read a packet on channel 0 and returns it as text ("" on timeout).
std::string read_text(std::initializer_list<Client*> all, Player& reader, SteamID* from = nullptr) {
  std::vector<std::uint8_t> buf;
  SteamID who;
  if (!run_until(all, [&] { return read_one(*reader.c, 0, buf, who); })) return "";
  if (from != nullptr) *from = who;
  return std::string(buf.begin(), buf.end());
}

TEST(AutoAcceptLobbyMembers, AMemberIsAcceptedBeforeTheGameSeesTheRequestAndAStrangerIsNot) {
  auto server = start_server();
  Player alice(*server, "alice"), bob(*server, "bob"), carol(*server, "carol");
  for (Player* p : {&alice, &bob, &carol}) p->record();
  ASSERT_TRUE(alice.c->networking().SetAutoAcceptLobbyMembers(true));
  ASSERT_TRUE(meet_in_lobby(alice, bob).IsLobby());

  // The request is still delivered (Steam handlers run unchanged), with the session already
  // accepted: the data is readable inside the handler, without any AcceptP2PSessionWithUser.
  ASSERT_TRUE(send_text(bob, alice.id(), "from a member"));
  SteamID from;
  EXPECT_EQ(read_text({alice.c.get(), bob.c.get()}, alice, &from), "from a member");
  EXPECT_EQ(from, bob.id());
  ASSERT_EQ(alice.requests.size(), 1u);
  EXPECT_EQ(alice.requests[0], bob.id());
  EXPECT_TRUE(alice.readable_in_request[0]);
  P2PSessionState_t st{};
  ASSERT_TRUE(run_until({alice.c.get(), bob.c.get()}, [&] {
    return bob.c->networking().GetP2PSessionState(alice.id(), &st) && st.m_bConnectionActive;
  }));

  // carol shares no lobby with alice: her request waits for the game, her data unreadable.
  ASSERT_TRUE(send_text(carol, alice.id(), "from a stranger"));
  ASSERT_TRUE(run_until({alice.c.get(), carol.c.get()}, [&] { return alice.requests.size() == 2; }));
  EXPECT_EQ(alice.requests[1], carol.id());
  EXPECT_FALSE(alice.readable_in_request[1]);
  uint32 size = 0;
  EXPECT_FALSE(alice.c->networking().IsP2PPacketAvailable(&size, 0));
  // The game may still accept her itself.
  ASSERT_TRUE(alice.c->networking().AcceptP2PSessionWithUser(carol.id()));
  EXPECT_EQ(read_text({alice.c.get(), carol.c.get()}, alice, &from), "from a stranger");
  EXPECT_EQ(from, carol.id());
}

TEST(AutoAcceptLobbyMembers, OffByDefaultAndOffAgainMeansTheGameDecides) {
  auto server = start_server();
  Player alice(*server, "alice"), bob(*server, "bob");
  for (Player* p : {&alice, &bob}) p->record();
  ASSERT_TRUE(meet_in_lobby(alice, bob).IsLobby());
  ASSERT_TRUE(send_text(bob, alice.id(), "hello"));
  ASSERT_TRUE(run_until({alice.c.get(), bob.c.get()}, [&] { return !alice.requests.empty(); }));
  EXPECT_FALSE(alice.readable_in_request[0]) << "a member is not accepted unless the game opted in";
  uint32 size = 0;
  EXPECT_FALSE(alice.c->networking().IsP2PPacketAvailable(&size, 0));

  // Turned on and off again: still the game's decision.
  Player carol(*server, "carol");
  carol.record();
  ASSERT_TRUE(carol.c->networking().SetAutoAcceptLobbyMembers(true));
  ASSERT_TRUE(carol.c->networking().SetAutoAcceptLobbyMembers(false));
  Player dave(*server, "dave");
  dave.record();
  ASSERT_TRUE(meet_in_lobby(carol, dave).IsLobby());
  ASSERT_TRUE(send_text(dave, carol.id(), "hi"));
  ASSERT_TRUE(run_until({carol.c.get(), dave.c.get()}, [&] { return !carol.requests.empty(); }));
  EXPECT_FALSE(carol.readable_in_request[0]);
}

TEST(AutoAcceptLobbyMembers, SomeoneWhoLeftTheLobbyIsAStrangerAgain) {
  auto server = start_server();
  Player alice(*server, "alice"), bob(*server, "bob");
  for (Player* p : {&alice, &bob}) p->record();
  ASSERT_TRUE(alice.c->networking().SetAutoAcceptLobbyMembers(true));
  const SteamID lobby = meet_in_lobby(alice, bob);
  ASSERT_TRUE(lobby.IsLobby());
  bob.c->matchmaking().LeaveLobby(lobby);
  ASSERT_TRUE(run_until({alice.c.get(), bob.c.get()}, [&] { return alice.updates.size() == 2; }));
  EXPECT_EQ(alice.updates[1].m_rgfChatMemberStateChange, static_cast<uint32>(k_EChatMemberStateChangeLeft));
  ASSERT_TRUE(send_text(bob, alice.id(), "after leaving"));
  ASSERT_TRUE(run_until({alice.c.get(), bob.c.get()}, [&] { return !alice.requests.empty(); }));
  EXPECT_FALSE(alice.readable_in_request[0]);
}

TEST(LobbySessionPolicy, AcceptsMembersAndRejectsStrangersWhoSeeOnlyTheirTimeout) {
  auto server = start_server();
  Player alice(*server, "alice"), bob(*server, "bob"), carol(*server, "carol", /*connect_timeout_s=*/1.5);
  LobbySessionPolicy policy(*alice.c);  // before the game's own handlers
  for (Player* p : {&alice, &bob, &carol}) p->record();
  const SteamID lobby = meet_in_lobby(alice, bob);
  ASSERT_TRUE(lobby.IsLobby());
  EXPECT_TRUE(policy.SharesLobbyWith(bob.id()));
  EXPECT_FALSE(policy.SharesLobbyWith(carol.id()));
  EXPECT_FALSE(policy.SharesLobbyWith(alice.id())) << "not with oneself";

  ASSERT_TRUE(send_text(bob, alice.id(), "member"));
  SteamID from;
  EXPECT_EQ(read_text({alice.c.get(), bob.c.get()}, alice, &from), "member");
  EXPECT_EQ(from, bob.id());
  EXPECT_TRUE(alice.readable_in_request.at(0)) << "the policy decided before the game's handler ran";

  std::vector<int> carol_fail;
  carol.c->On<P2PSessionConnectFail_t>(
      [&](const P2PSessionConnectFail_t& cb) { carol_fail.push_back(cb.m_eP2PSessionError); });
  ASSERT_TRUE(send_text(carol, alice.id(), "stranger"));
  ASSERT_TRUE(run_until({alice.c.get(), carol.c.get()}, [&] { return !carol_fail.empty(); }));
  EXPECT_EQ(carol_fail[0], k_EP2PSessionErrorTimeout);
  EXPECT_EQ(policy.accepted(), 1u);
  EXPECT_EQ(policy.rejected(), 1u);
  uint32 size = 0;
  EXPECT_FALSE(alice.c->networking().IsP2PPacketAvailable(&size, 0)) << "the stranger's data was dropped";
  P2PSessionState_t st{};
  EXPECT_FALSE(alice.c->networking().GetP2PSessionState(carol.id(), &st)) << "no session record is left";

  // Leaving the lobby (no callback in Steam) ends the membership the policy sees.
  alice.c->matchmaking().LeaveLobby(lobby);
  EXPECT_FALSE(policy.SharesLobbyWith(bob.id()));
}

TEST(LobbySessionPolicy, LeaveToGameOnlyAcceptsAndTheDestructorUnsubscribes) {
  auto server = start_server();
  Player alice(*server, "alice"), bob(*server, "bob"), carol(*server, "carol");
  auto policy = std::make_unique<LobbySessionPolicy>(*alice.c, LobbySessionPolicy::Strangers::leave_to_game);
  for (Player* p : {&alice, &bob, &carol}) p->record();
  ASSERT_TRUE(meet_in_lobby(alice, bob).IsLobby());
  ASSERT_TRUE(send_text(carol, alice.id(), "stranger"));
  ASSERT_TRUE(run_until({alice.c.get(), carol.c.get()}, [&] { return !alice.requests.empty(); }));
  EXPECT_EQ(policy->rejected(), 0u);
  policy.reset();  // no handler of a destroyed policy may run
  ASSERT_TRUE(send_text(bob, alice.id(), "member"));
  ASSERT_TRUE(run_until({alice.c.get(), bob.c.get()}, [&] { return alice.requests.size() == 2; }));
  EXPECT_FALSE(alice.readable_in_request[1]);

  // The stranger's request was left pending, not refused: the game can still take it.
  ASSERT_TRUE(alice.c->networking().AcceptP2PSessionWithUser(carol.id()));
  SteamID from;
  EXPECT_EQ(read_text({alice.c.get(), carol.c.get()}, alice, &from), "stranger");
  EXPECT_EQ(from, carol.id());
}

}  // namespace
}  // namespace kettle::testing
