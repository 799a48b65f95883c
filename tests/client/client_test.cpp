// kettle::Client against a real kettle-server running in this process (EmbeddedServer):
// login, identity, persona names and the callback dispatch rules (spec p2p-api.md §0.4–§1.2).
#include "kettle/client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "client_test_util.hpp"

namespace kettle {
namespace {

using testing::config_for;
using testing::logged_in;
using testing::run_until;
using testing::start_server;
using testing::wait_for;

bool user_id_range(SteamID id) {
  return id.BIndividualAccount() && id.value() > SteamID::kIndividualBase &&
         id.value() < SteamID::kIndividualBase + 1000000;
}

TEST(Client, InitLogsInWithSteamIdNameAndApp) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  auto c = Client::Create();
  const InitResult r = c->Init(config_for(*server, "alice"));
  ASSERT_EQ(r.code, k_ESteamAPIInitResult_OK) << r.message;
  EXPECT_NE(r.message.find("alice"), std::string::npos) << r.message;
  EXPECT_TRUE(c->BLoggedOn());
  EXPECT_TRUE(c->IsLoggedOn());
  EXPECT_TRUE(user_id_range(c->GetSteamID())) << c->GetSteamID().value();
  EXPECT_EQ(c->GetSteamID().value() / 10, 7656119796026572ULL) << c->GetSteamID().value();
  EXPECT_EQ(c->GetPersonaName(), "alice");
  EXPECT_EQ(c->GetPersonaState(), k_EPersonaStateOnline);
  EXPECT_EQ(c->GetAppID(), 480u);
  EXPECT_TRUE(c->BIsSubscribedApp(480));
  EXPECT_FALSE(c->BIsSubscribedApp(481));
  EXPECT_EQ(c->GetFriendPersonaName(c->GetSteamID()), "alice");  // own id: the local name

  // A second Init on a running client is refused without disturbing it.
  EXPECT_EQ(c->Init(config_for(*server, "alice")).code, k_ESteamAPIInitResult_FailedGeneric);
  EXPECT_TRUE(c->BLoggedOn());
  c->Shutdown();
  EXPECT_FALSE(c->BLoggedOn());
  EXPECT_FALSE(c->GetSteamID().IsValid());
}

TEST(Client, TwoClientsInOneProcessAreTwoUsers) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  auto a = logged_in(config_for(*server, "alice"));
  auto b = logged_in(config_for(*server, "bob"));
  EXPECT_EQ(a->GetPersonaName(), "alice");
  EXPECT_EQ(b->GetPersonaName(), "bob");
  EXPECT_TRUE(user_id_range(a->GetSteamID()));
  EXPECT_TRUE(user_id_range(b->GetSteamID()));
  EXPECT_NE(a->GetSteamID(), b->GetSteamID());

  // The same login name again is the same account; the server hands it to the newer client
  // and the older one stays off instead of fighting for it.
  std::vector<EResult> a_lost;
  int a_reconnected = 0;
  a->Subscribe<SteamServersDisconnected_t>(
      [&](const SteamServersDisconnected_t& cb) { a_lost.push_back(cb.m_eResult); });
  a->Subscribe<SteamServersConnected_t>([&](const SteamServersConnected_t&) { ++a_reconnected; });
  const SteamID alice = a->GetSteamID();
  auto a2 = logged_in(config_for(*server, "alice"));
  EXPECT_EQ(a2->GetSteamID(), alice);
  ASSERT_TRUE(run_until({a.get()}, [&] { return !a_lost.empty(); }));
  EXPECT_EQ(a_lost, std::vector<EResult>{k_EResultLoggedInElsewhere});
  EXPECT_FALSE(a->BLoggedOn());
  EXPECT_EQ(a->GetSteamID(), alice);
  // Several reconnect backoffs (50 ms) later nothing has changed.
  const auto until = testing::Clock::now() + std::chrono::milliseconds(400);
  run_until({a.get(), a2.get()}, [&] { return testing::Clock::now() >= until; });
  EXPECT_EQ(a_reconnected, 0);
  EXPECT_FALSE(a->BLoggedOn());
  EXPECT_TRUE(a2->BLoggedOn());
}

TEST(Client, FriendPersonaNameIsFetchedAndAnnounced) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  auto a = logged_in(config_for(*server, "alice"));
  auto b = logged_in(config_for(*server, "bob"));
  const SteamID bob = b->GetSteamID();

  std::vector<PersonaStateChange_t> seen;
  a->Subscribe<PersonaStateChange_t>([&](const PersonaStateChange_t& cb) { seen.push_back(cb); });

  EXPECT_EQ(a->GetFriendPersonaName(bob), "");  // unknown: "" and a fetch starts
  ASSERT_TRUE(run_until({a.get()}, [&] { return !seen.empty(); }));
  EXPECT_EQ(seen[0].m_ulSteamID, bob.value());
  EXPECT_NE(seen[0].m_nChangeFlags & k_EPersonaChangeName, 0);
  EXPECT_EQ(a->GetFriendPersonaName(bob), "bob");
  EXPECT_EQ(a->GetFriendPersonaState(bob), k_EPersonaStateOnline);
  EXPECT_FALSE(a->RequestUserInformation(bob, false));  // cached now

  // Invalid ids: "" and never a callback. A lobby id is not a user.
  EXPECT_EQ(a->GetFriendPersonaName(SteamID(0)), "");
  EXPECT_EQ(a->GetFriendPersonaName(SteamID::lobby(7)), "");
  EXPECT_EQ(a->GetFriendPersonaName(SteamID(12345)), "");
  EXPECT_FALSE(a->RequestUserInformation(SteamID(0), true));

  // A valid id with no account: "" now, then the decimal id (spec §1.2 rule 5) and a callback.
  const SteamID ghost = SteamID::individual(999999);
  seen.clear();
  EXPECT_TRUE(a->RequestUserInformation(ghost, true));
  ASSERT_TRUE(run_until({a.get()}, [&] { return !seen.empty(); }));
  ASSERT_EQ(seen.size(), 1u);  // nothing for the invalid ids
  EXPECT_EQ(seen[0].m_ulSteamID, ghost.value());
  EXPECT_EQ(a->GetFriendPersonaName(ghost), ghost.to_string());
}

TEST(Client, RenameReachesOthersOnlyThroughRunCallbacks) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  auto a = logged_in(config_for(*server, "alice"));
  auto b = logged_in(config_for(*server, "bob"));
  const SteamID bob = b->GetSteamID();
  ASSERT_EQ(a->GetFriendPersonaName(bob), "");
  ASSERT_TRUE(run_until({a.get()}, [&] { return a->GetFriendPersonaName(bob) == "bob"; }));

  std::atomic<bool> a_saw_rename{false};
  std::atomic<int> flags{0};
  a->Subscribe<PersonaStateChange_t>([&](const PersonaStateChange_t& cb) {
    if (cb.m_ulSteamID == bob.value()) {
      flags = cb.m_nChangeFlags;
      a_saw_rename = true;
    }
  });
  int b_own_flags = 0;
  b->Subscribe<PersonaStateChange_t>([&](const PersonaStateChange_t& cb) {
    if (cb.m_ulSteamID == bob.value()) b_own_flags = cb.m_nChangeFlags;
  });

  EXPECT_NE(b->SetPersonaName("bobby"), k_uAPICallInvalid);
  EXPECT_EQ(b->GetPersonaName(), "bobby");  // at once, locally
  b->RunCallbacks();
  EXPECT_EQ(b_own_flags, k_EPersonaChangeName);

  // A's I/O thread receives the notification and updates the cache; the handler must wait.
  ASSERT_TRUE(wait_for([&] { return a->GetFriendPersonaName(bob) == "bobby"; }));
  EXPECT_FALSE(a_saw_rename.load());
  a->RunCallbacks();
  EXPECT_TRUE(a_saw_rename.load());
  EXPECT_NE(flags.load() & k_EPersonaChangeName, 0);

  // Invalid names are refused and change nothing.
  EXPECT_EQ(b->SetPersonaName(""), k_uAPICallInvalid);
  EXPECT_EQ(b->SetPersonaName(std::string(129, 'x')), k_uAPICallInvalid);
  EXPECT_EQ(b->SetPersonaName("tab\there"), k_uAPICallInvalid);
  EXPECT_EQ(b->SetPersonaName("\xff\xfe"), k_uAPICallInvalid);
  EXPECT_EQ(b->GetPersonaName(), "bobby");

  // A new client sees the stored name.
  auto c = logged_in(config_for(*server, "carol"));
  ASSERT_EQ(c->GetFriendPersonaName(bob), "");
  ASSERT_TRUE(run_until({c.get()}, [&] { return c->GetFriendPersonaName(bob) == "bobby"; }));
}

TEST(Client, CallbacksPostedDuringRunCallbacksWaitAndNestedCallIsNoop) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  auto a = logged_in(config_for(*server, "alice"));
  int delivered = 0;
  int delivered_after_nested = -1;
  a->Subscribe<PersonaStateChange_t>([&](const PersonaStateChange_t&) {
    ++delivered;
    if (delivered == 1) {
      EXPECT_NE(a->SetPersonaName("alice2"), k_uAPICallInvalid);  // posts another callback
      a->RunCallbacks();                                          // nested: nothing
      delivered_after_nested = delivered;
    }
  });
  ASSERT_NE(a->SetPersonaName("alice1"), k_uAPICallInvalid);
  a->RunCallbacks();
  EXPECT_EQ(delivered, 1);
  EXPECT_EQ(delivered_after_nested, 1);
  EXPECT_EQ(a->GetPersonaName(), "alice2");
  a->RunCallbacks();
  EXPECT_EQ(delivered, 2);
  a->RunCallbacks();
  EXPECT_EQ(delivered, 2);
}

TEST(Client, UnsubscribedHandlerIsNotCalled) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  auto a = logged_in(config_for(*server, "alice"));
  int kept = 0, removed = 0;
  a->On<PersonaStateChange_t>([&](const PersonaStateChange_t&) { ++kept; });
  const CallbackHandle h = a->Subscribe<PersonaStateChange_t>([&](const PersonaStateChange_t&) { ++removed; });
  a->Unsubscribe(h);
  ASSERT_NE(a->SetPersonaName("x"), k_uAPICallInvalid);
  a->RunCallbacks();
  EXPECT_EQ(kept, 1);
  EXPECT_EQ(removed, 0);
}

TEST(Client, ManualPumpModeDrivesTheNetworkFromRunCallbacks) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  auto cfg_a = config_for(*server, "alice");
  cfg_a.manual_pump = true;
  auto cfg_b = config_for(*server, "bob");
  cfg_b.manual_pump = true;
  auto a = logged_in(cfg_a);
  auto b = logged_in(cfg_b);
  ASSERT_TRUE(a->BLoggedOn());
  const SteamID bob = b->GetSteamID();
  bool announced = false;
  a->Subscribe<PersonaStateChange_t>([&](const PersonaStateChange_t& cb) {
    if (cb.m_ulSteamID == bob.value()) announced = true;
  });
  EXPECT_EQ(a->GetFriendPersonaName(bob), "");
  ASSERT_TRUE(run_until({a.get(), b.get()}, [&] { return announced; }));
  EXPECT_EQ(a->GetFriendPersonaName(bob), "bob");

  // Pump() moves data without delivering callbacks.
  announced = false;
  ASSERT_NE(b->SetPersonaName("bobby"), k_uAPICallInvalid);
  b->Pump();
  ASSERT_TRUE(wait_for([&] {
    a->Pump();
    b->Pump();
    return a->GetFriendPersonaName(bob) == "bobby";
  }));
  EXPECT_FALSE(announced);
  a->RunCallbacks();
  EXPECT_TRUE(announced);
}

TEST(Client, DefaultConfigUsesTheSharedEmbeddedServer) {
  ClientConfig cfg;  // server = "embedded"
  cfg.login_name = "embedded-user";
  auto a = logged_in(cfg);
  EXPECT_TRUE(a->BLoggedOn());
  std::string err;
  EmbeddedServer* shared = EmbeddedServer::shared(&err);
  ASSERT_NE(shared, nullptr) << err;
  EXPECT_EQ(shared, EmbeddedServer::shared());
  EXPECT_EQ(shared->public_key().size(), 64u);
  EXPECT_EQ(shared->address().rfind("127.0.0.1:", 0), 0u) << shared->address();
}

TEST(Client, ShutdownFromAHandlerStopsDelivery) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  auto a = logged_in(config_for(*server, "alice"));
  int delivered = 0;
  a->Subscribe<PersonaStateChange_t>([&](const PersonaStateChange_t&) {
    ++delivered;
    a->Shutdown();
  });
  ASSERT_NE(a->SetPersonaName("one"), k_uAPICallInvalid);
  ASSERT_NE(a->SetPersonaName("two"), k_uAPICallInvalid);
  a->RunCallbacks();
  EXPECT_EQ(delivered, 1);
  EXPECT_FALSE(a->BLoggedOn());
  EXPECT_EQ(a->GetPersonaName(), "");
  a->RunCallbacks();
  EXPECT_EQ(delivered, 1);
}

TEST(Client, ApiIsSafeFromManyThreadsWhileCallbacksRun) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  auto a = logged_in(config_for(*server, "alice"));
  auto b = logged_in(config_for(*server, "bob"));
  const SteamID alice = a->GetSteamID();
  const SteamID bob = b->GetSteamID();
  std::atomic<int> own_changes{0}, bob_changes{0};
  a->Subscribe<PersonaStateChange_t>([&](const PersonaStateChange_t& cb) {
    if (cb.m_ulSteamID == alice.value()) ++own_changes;
    if (cb.m_ulSteamID == bob.value()) ++bob_changes;
    (void)a->GetFriendPersonaName(bob);  // handlers may call the API
  });
  std::atomic<int> renames{0};
  std::atomic<bool> go{true};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (i % 20 == 0 && a->SetPersonaName("alice-" + std::to_string(t) + "-" + std::to_string(i)) != 0) ++renames;
        (void)a->GetFriendPersonaName(i % 2 ? bob : SteamID::individual(5000 + static_cast<std::uint32_t>(i)));
        (void)a->GetFriendPersonaState(bob);
        (void)a->GetSteamID();
        (void)a->BLoggedOn();
        (void)a->GetPersonaName();
        (void)a->RequestUserInformation(SteamID::individual(9000 + static_cast<std::uint32_t>(t)), true);
      }
    });
  }
  std::thread runner([&] {
    while (go) a->RunCallbacks();
  });
  for (auto& th : threads) th.join();
  EXPECT_EQ(renames.load(), 40);
  ASSERT_TRUE(wait_for([&] { return own_changes.load() == 40 && bob_changes.load() >= 1; }));
  go = false;
  runner.join();
  EXPECT_EQ(a->GetPersonaName().rfind("alice-", 0), 0u);
  EXPECT_EQ(a->GetFriendPersonaName(bob), "bob");
  EXPECT_TRUE(a->BLoggedOn());
}

TEST(Client, CallsBeforeInitAndAfterShutdownReturnFailureValues) {
  auto c = Client::Create();
  int calls = 0;
  c->Subscribe<PersonaStateChange_t>([&](const PersonaStateChange_t&) { ++calls; });
  for (int round = 0; round < 2; ++round) {
    EXPECT_FALSE(c->BLoggedOn());
    EXPECT_FALSE(c->GetSteamID().IsValid());
    EXPECT_EQ(c->GetPersonaName(), "");
    EXPECT_EQ(c->SetPersonaName("x"), k_uAPICallInvalid);
    EXPECT_EQ(c->GetFriendPersonaName(SteamID::individual(1)), "");
    EXPECT_EQ(c->GetFriendPersonaState(SteamID::individual(1)), k_EPersonaStateOffline);
    EXPECT_EQ(c->GetPersonaState(), k_EPersonaStateOffline);
    EXPECT_FALSE(c->RequestUserInformation(SteamID::individual(1), true));
    EXPECT_FALSE(c->BIsSubscribedApp(480));
    EXPECT_EQ(c->GetAppID(), 0u);
    c->RunCallbacks();
    c->Pump();
    c->Shutdown();
    EXPECT_EQ(calls, 0);
    if (round == 0) {  // log in, queue a callback, shut down: it is dropped
      auto server = start_server();
      ASSERT_NE(server, nullptr);
      ASSERT_EQ(c->Init(config_for(*server, "alice")).code, k_ESteamAPIInitResult_OK);
      ASSERT_NE(c->SetPersonaName("y"), k_uAPICallInvalid);
      c->Shutdown();
    }
  }
}

}  // namespace
}  // namespace kettle

namespace kettle::testing {
namespace {

TEST(Client, OnlineListNamesEveryLoggedOnUserThroughRunCallbacks) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  auto a = logged_in(config_for(*server, "alice"));
  auto b = logged_in(config_for(*server, "bob"));
  std::vector<KettleOnlineList_t> answers;
  a->Subscribe<KettleOnlineList_t>([&](const KettleOnlineList_t& cb) { answers.push_back(cb); });
  ASSERT_TRUE(a->RequestOnlineList());
  ASSERT_TRUE(run_until({a.get()}, [&] { return !answers.empty(); }));
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].m_eResult, k_EResultOK);
  std::map<std::uint64_t, std::string> seen;
  for (const auto& u : answers[0].m_users) {
    seen[u.steam_id.ConvertToUint64()] = u.persona_name;
    EXPECT_EQ(u.app_id, a->GetAppID());
  }
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[a->GetSteamID().ConvertToUint64()], "alice");
  EXPECT_EQ(seen[b->GetSteamID().ConvertToUint64()], "bob");

  // Bob leaves: once alice sees him offline, a second list no longer has him.
  const SteamID bob = b->GetSteamID();
  ASSERT_TRUE(run_until({a.get()}, [&] { return a->GetFriendPersonaName(bob) == "bob"; }));
  b->Shutdown();
  ASSERT_TRUE(run_until({a.get()}, [&] { return a->GetFriendPersonaState(bob) == k_EPersonaStateOffline; }));
  answers.clear();
  ASSERT_TRUE(a->RequestOnlineList());
  ASSERT_TRUE(run_until({a.get()}, [&] { return !answers.empty(); }));
  ASSERT_EQ(answers[0].m_users.size(), 1u);
  EXPECT_EQ(answers[0].m_users[0].steam_id, a->GetSteamID());

  auto never = Client::Create();
  EXPECT_FALSE(never->RequestOnlineList()) << "not logged on";
}

}  // namespace
}  // namespace kettle::testing
