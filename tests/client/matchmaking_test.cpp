// kettle::Matchmaking against a real in-process kettle-server (spec p2p-api.md §3): the
// tutorial's lobby flow, what every member sees and when, and the launch-argument helper.
#include "kettle/matchmaking.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client_test_util.hpp"
#include "kettle/client.hpp"

namespace kettle::testing {
namespace {

// Everything one client's lobby callbacks said, in delivery order, with what the getters
// returned inside each callback (the spec's promise is about that moment).
struct Recorder {
  Client& c;
  std::vector<std::string> events;
  std::vector<LobbyCreated_t> created;
  std::vector<LobbyEnter_t> entered;
  std::vector<LobbyChatUpdate_t> updates;
  std::vector<LobbyDataUpdate_t> data;
  std::vector<std::pair<SteamID, std::string>> chat;
  std::vector<uint32> matches;
  std::vector<SteamID> owner_seen_in_data_update;
  std::vector<int> members_seen_in_data_update;

  explicit Recorder(Client& client) : c(client) {
    auto& mm = c.matchmaking();
    c.On<LobbyCreated_t>([this](const LobbyCreated_t& cb) {
      created.push_back(cb);
      events.push_back("created");
    });
    c.On<LobbyEnter_t>([this](const LobbyEnter_t& cb) {
      entered.push_back(cb);
      events.push_back("enter");
    });
    c.On<LobbyChatUpdate_t>([this](const LobbyChatUpdate_t& cb) {
      updates.push_back(cb);
      events.push_back("chat_update:" + std::to_string(cb.m_rgfChatMemberStateChange));
    });
    c.On<LobbyDataUpdate_t>([this, &mm](const LobbyDataUpdate_t& cb) {
      data.push_back(cb);
      events.push_back("data_update");
      const SteamID lobby(cb.m_ulSteamIDLobby);
      owner_seen_in_data_update.push_back(mm.GetLobbyOwner(lobby));
      members_seen_in_data_update.push_back(mm.GetNumLobbyMembers(lobby));
    });
    c.On<LobbyChatMsg_t>([this, &mm](const LobbyChatMsg_t& cb) {
      char buf[4096];
      SteamID who;
      EChatEntryType type{};
      const int n = mm.GetLobbyChatEntry(SteamID(cb.m_ulSteamIDLobby), static_cast<int>(cb.m_iChatID), &who, buf,
                                         sizeof buf, &type);
      chat.emplace_back(who, std::string(buf, static_cast<std::size_t>(std::max(n, 0))));
      events.push_back("chat");
    });
    c.On<LobbyMatchList_t>([this](const LobbyMatchList_t& cb) {
      matches.push_back(cb.m_nLobbiesMatching);
      events.push_back("match_list");
    });
  }
};

SteamID create_lobby(Client& c, Recorder& r, ELobbyType type, int max) {
  const std::size_t before = r.entered.size();
  c.matchmaking().CreateLobby(type, max);
  if (!run_until({&c}, [&] { return r.entered.size() > before; })) return SteamID();
  return SteamID(r.entered.back().m_ulSteamIDLobby);
}

TEST(Matchmaking, CreateThenEnterWithTheCreatorAsOwnerAndOnlyMember) {
  auto server = start_server();
  auto alice = logged_in(config_for(*server, "alice"));
  Recorder ra(*alice);
  auto& mm = alice->matchmaking();
  SteamID in_created_owner;
  alice->On<LobbyCreated_t>([&](const LobbyCreated_t& cb) {
    in_created_owner = mm.GetLobbyOwner(SteamID(cb.m_ulSteamIDLobby));
    // The tutorial sets its lobby data right here.
    EXPECT_TRUE(mm.SetLobbyData(SteamID(cb.m_ulSteamIDLobby), "name", "alice's lobby"));
  });
  const SteamID lobby = create_lobby(*alice, ra, k_ELobbyTypePublic, 4);
  ASSERT_TRUE(lobby.IsLobby());
  ASSERT_EQ(ra.created.size(), 1u);
  EXPECT_EQ(ra.created[0].m_eResult, k_EResultOK);
  EXPECT_EQ(ra.events[0], "created");
  EXPECT_EQ(ra.events[1], "enter");
  EXPECT_EQ(ra.entered[0].m_EChatRoomEnterResponse, static_cast<uint32>(k_EChatRoomEnterResponseSuccess));
  EXPECT_FALSE(ra.entered[0].m_bLocked);
  EXPECT_EQ(in_created_owner, alice->GetSteamID());
  EXPECT_EQ(mm.GetNumLobbyMembers(lobby), 1);
  EXPECT_EQ(mm.GetLobbyMemberByIndex(lobby, 0), alice->GetSteamID());
  EXPECT_EQ(mm.GetLobbyMemberLimit(lobby), 4);
  EXPECT_EQ(mm.GetLobbyData(lobby, "name"), "alice's lobby");
}

TEST(Matchmaking, BadCreateArgumentsFailAsynchronouslyWithInvalidParam) {
  auto server = start_server();
  auto alice = logged_in(config_for(*server, "alice"));
  Recorder ra(*alice);
  alice->matchmaking().CreateLobby(k_ELobbyTypePrivateUnique, 4);
  alice->matchmaking().CreateLobby(k_ELobbyTypePublic, 0);
  alice->matchmaking().CreateLobby(k_ELobbyTypePublic, 251);
  ASSERT_TRUE(run_until({alice.get()}, [&] { return ra.created.size() == 3; }));
  for (const auto& c : ra.created) {
    EXPECT_EQ(c.m_eResult, k_EResultInvalidParam);
    EXPECT_EQ(c.m_ulSteamIDLobby, 0u);
  }
  EXPECT_TRUE(ra.entered.empty());
}

TEST(Matchmaking, SearchFindsTheLobbyWithItsDataAndAJoinerIsAnnouncedToTheOwner) {
  auto server = start_server();
  auto alice = logged_in(config_for(*server, "alice"));
  auto bob = logged_in(config_for(*server, "bob"));
  Recorder ra(*alice), rb(*bob);
  const SteamID lobby = create_lobby(*alice, ra, k_ELobbyTypePublic, 4);
  ASSERT_TRUE(lobby.IsLobby());
  ASSERT_TRUE(alice->matchmaking().SetLobbyData(lobby, "mode", "coop"));
  ASSERT_TRUE(run_until({alice.get()}, [&] { return !ra.data.empty(); })) << "the owner's data update";

  auto& mb = bob->matchmaking();
  mb.AddRequestLobbyListStringFilter("mode", "coop", k_ELobbyComparisonEqual);
  mb.RequestLobbyList();
  ASSERT_TRUE(run_until({bob.get()}, [&] { return !rb.matches.empty(); }));
  ASSERT_EQ(rb.matches[0], 1u);
  EXPECT_EQ(mb.GetLobbyByIndex(0), lobby);
  EXPECT_EQ(mb.GetLobbyData(lobby, "mode"), "coop");
  EXPECT_EQ(mb.GetNumLobbyMembers(lobby), 1);

  mb.JoinLobby(lobby);
  ASSERT_TRUE(run_until({alice.get(), bob.get()}, [&] { return !rb.entered.empty() && !ra.updates.empty(); }));
  EXPECT_EQ(rb.entered[0].m_EChatRoomEnterResponse, static_cast<uint32>(k_EChatRoomEnterResponseSuccess));
  EXPECT_EQ(mb.GetNumLobbyMembers(lobby), 2);
  EXPECT_EQ(mb.GetLobbyMemberByIndex(lobby, 0), alice->GetSteamID());
  EXPECT_EQ(mb.GetLobbyMemberByIndex(lobby, 1), bob->GetSteamID());
  EXPECT_EQ(mb.GetLobbyOwner(lobby), alice->GetSteamID());
  EXPECT_EQ(bob->GetFriendPersonaName(alice->GetSteamID()), "alice") << "names come with the member list";
  EXPECT_EQ(ra.updates[0].m_ulSteamIDUserChanged, bob->GetSteamID().value());
  EXPECT_EQ(ra.updates[0].m_rgfChatMemberStateChange, static_cast<uint32>(k_EChatMemberStateChangeEntered));
  EXPECT_EQ(alice->matchmaking().GetNumLobbyMembers(lobby), 2);
}

TEST(Matchmaking, OwnerLeavingHandsOverWithTheDataUpdateBeforeTheLeftUpdate) {
  auto server = start_server();
  auto alice = logged_in(config_for(*server, "alice"));
  auto bob = logged_in(config_for(*server, "bob"));
  auto carol = logged_in(config_for(*server, "carol"));
  Recorder ra(*alice), rb(*bob), rc(*carol);
  const SteamID lobby = create_lobby(*alice, ra, k_ELobbyTypePublic, 4);
  ASSERT_TRUE(lobby.IsLobby());
  bob->matchmaking().JoinLobby(lobby);
  ASSERT_TRUE(run_until({alice.get(), bob.get()}, [&] { return !rb.entered.empty(); }));
  carol->matchmaking().JoinLobby(lobby);
  ASSERT_TRUE(
      run_until({alice.get(), bob.get(), carol.get()}, [&] { return !rc.entered.empty() && rb.updates.size() == 1; }));
  rb.events.clear();
  rb.data.clear();
  rb.owner_seen_in_data_update.clear();
  rb.members_seen_in_data_update.clear();

  alice->matchmaking().LeaveLobby(lobby);
  EXPECT_EQ(alice->matchmaking().GetNumLobbyMembers(lobby), 0) << "leaving is immediate locally";
  ASSERT_TRUE(run_until({alice.get(), bob.get(), carol.get()},
                        [&] { return rb.updates.size() == 2 && rc.updates.size() == 1; }));
  // bob (longest present) is the new owner; the data update came first and already showed it.
  ASSERT_GE(rb.events.size(), 2u);
  EXPECT_EQ(rb.events[0], "data_update");
  EXPECT_EQ(rb.events[1], "chat_update:2");
  EXPECT_EQ(rb.owner_seen_in_data_update[0], bob->GetSteamID());
  EXPECT_EQ(rb.members_seen_in_data_update[0], 2) << "the leaver is gone when the owner change is seen";
  EXPECT_EQ(carol->matchmaking().GetLobbyOwner(lobby), bob->GetSteamID());
  EXPECT_EQ(rc.updates[0].m_rgfChatMemberStateChange, static_cast<uint32>(k_EChatMemberStateChangeLeft));
}

TEST(Matchmaking, ChatReachesEveryMemberIncludingTheSenderInOneOrder) {
  auto server = start_server();
  auto alice = logged_in(config_for(*server, "alice"));
  auto bob = logged_in(config_for(*server, "bob"));
  Recorder ra(*alice), rb(*bob);
  const SteamID lobby = create_lobby(*alice, ra, k_ELobbyTypePublic, 2);
  bob->matchmaking().JoinLobby(lobby);
  ASSERT_TRUE(run_until({alice.get(), bob.get()}, [&] { return !rb.entered.empty(); }));
  for (int i = 0; i < 5; ++i) {
    const std::string a = "a" + std::to_string(i), b = "b" + std::to_string(i);
    ASSERT_TRUE(alice->matchmaking().SendLobbyChatMsg(lobby, a.c_str(), static_cast<int>(a.size())));
    ASSERT_TRUE(bob->matchmaking().SendLobbyChatMsg(lobby, b.c_str(), static_cast<int>(b.size())));
  }
  ASSERT_TRUE(run_until({alice.get(), bob.get()}, [&] { return ra.chat.size() == 10 && rb.chat.size() == 10; }));
  EXPECT_EQ(ra.chat, rb.chat) << "same server order for every member";
  EXPECT_FALSE(alice->matchmaking().SendLobbyChatMsg(lobby, "x", 0));
  std::string big(4097, 'x');
  EXPECT_FALSE(alice->matchmaking().SendLobbyChatMsg(lobby, big.data(), 4097));
  EXPECT_FALSE(alice->matchmaking().SendLobbyChatMsg(SteamID::lobby(999999), "x", 1)) << "not a member";
}

TEST(Matchmaking, FullAndPrivateLobbiesRefuseWithTheirResponses) {
  auto server = start_server();
  auto alice = logged_in(config_for(*server, "alice"));
  auto bob = logged_in(config_for(*server, "bob"));
  Recorder ra(*alice), rb(*bob);
  const SteamID solo = create_lobby(*alice, ra, k_ELobbyTypePublic, 1);
  bob->matchmaking().JoinLobby(solo);
  bob->matchmaking().JoinLobby(SteamID::lobby(777777));
  bob->matchmaking().JoinLobby(alice->GetSteamID());  // a user id, not a lobby
  ASSERT_TRUE(run_until({alice.get(), bob.get()}, [&] { return rb.entered.size() == 3; }));
  // A user id is refused locally (no round trip), so its answer may come first: match by id.
  auto response = [&](SteamID id) {
    for (const auto& e : rb.entered)
      if (e.m_ulSteamIDLobby == id.value()) return static_cast<int>(e.m_EChatRoomEnterResponse);
    return -1;
  };
  EXPECT_EQ(response(solo), k_EChatRoomEnterResponseFull);
  EXPECT_EQ(response(SteamID::lobby(777777)), k_EChatRoomEnterResponseDoesntExist);
  EXPECT_EQ(response(alice->GetSteamID()), k_EChatRoomEnterResponseDoesntExist);
  EXPECT_EQ(bob->matchmaking().GetNumLobbyMembers(solo), 0);
}

TEST(ConnectLobbyArg, ParsesOnlyAWholeValidLobbyId) {
  const std::string good = std::to_string(SteamID::lobby(42).value());
  auto parse = [](std::vector<const char*> v) { return ParseConnectLobbyArg(v); };
  EXPECT_EQ(parse({"game", "+connect_lobby", good.c_str()}), SteamID::lobby(42));
  EXPECT_EQ(parse({"+connect_lobby", good.c_str(), "--fullscreen"}), SteamID::lobby(42));
  EXPECT_FALSE(parse({"game"}).IsValid());
  EXPECT_FALSE(parse({"game", "+connect_lobby"}).IsValid()) << "missing value";
  EXPECT_FALSE(parse({"+connect_lobby", ""}).IsValid());
  EXPECT_FALSE(parse({"+connect_lobby", "abc"}).IsValid());
  EXPECT_FALSE(parse({"+connect_lobby", "0"}).IsValid());
  EXPECT_FALSE(parse({"+connect_lobby", "-5"}).IsValid());
  EXPECT_FALSE(parse({"+connect_lobby", (good + "x").c_str()}).IsValid());
  EXPECT_FALSE(parse({"+connect_lobby", "99999999999999999999999"}).IsValid()) << "overflow";
  EXPECT_FALSE(parse({"+connect_lobby", "76561197960265729"}).IsValid()) << "a user id";
}

}  // namespace
}  // namespace kettle::testing
