// Persona notifications between two kettle::Client objects through a real kettle-server
// process: the watcher's cache may change on the I/O thread, but the callback reaches it only
// inside its own RunCallbacks(), on the calling thread.
#include <thread>

#include "harness.hpp"

namespace kettle::integration {
namespace {

class Persona : public IntegrationTest {};

TEST_F(Persona, ChangesReachTheWatcherOnlyThroughRunCallbacks) {
  ServerProcess server(dir(), {"--dev", "--http", "off"});
  ASSERT_TRUE(server.started());
  auto alice = Client::Create();
  auto bob = Client::Create();
  ASSERT_EQ(alice->Init(server.client_config("alice")).code, k_ESteamAPIInitResult_OK);
  ASSERT_EQ(bob->Init(server.client_config("bob")).code, k_ESteamAPIInitResult_OK);
  const SteamID bob_id = bob->GetSteamID();
  ASSERT_NE(bob_id, alice->GetSteamID());

  std::vector<PersonaStateChange_t> seen;
  std::vector<std::thread::id> threads;
  alice->Subscribe<PersonaStateChange_t>([&](const PersonaStateChange_t& cb) {
    seen.push_back(cb);
    threads.push_back(std::this_thread::get_id());
  });
  // alice looks bob up: that also subscribes her to his changes.
  ASSERT_TRUE(alice->RequestUserInformation(bob_id, true));
  ASSERT_TRUE(pump_until({alice.get()}, 10, [&] { return !seen.empty(); }));
  EXPECT_EQ(seen.back().m_ulSteamID, bob_id.ConvertToUint64());
  EXPECT_EQ(alice->GetFriendPersonaName(bob_id), "bob");
  EXPECT_EQ(alice->GetFriendPersonaState(bob_id), k_EPersonaStateOnline);
  seen.clear();
  threads.clear();

  // bob renames; only bob pumps. alice's I/O thread applies the notification to her cache...
  ASSERT_NE(bob->SetPersonaName("Bobby Tables"), k_uAPICallInvalid);
  ASSERT_TRUE(pump_until({bob.get()}, 10, [&] { return alice->GetFriendPersonaName(bob_id) == "Bobby Tables"; }));
  // ... but no callback ran without RunCallbacks.
  EXPECT_TRUE(seen.empty());
  alice->RunCallbacks();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].m_ulSteamID, bob_id.ConvertToUint64());
  EXPECT_NE(seen[0].m_nChangeFlags & k_EPersonaChangeName, 0);
  EXPECT_EQ(threads[0], std::this_thread::get_id());
  seen.clear();

  // bob logs off: the same rule for the offline notification.
  bob->Shutdown();
  ASSERT_TRUE(pump_until({}, 10, [&] { return alice->GetFriendPersonaState(bob_id) == k_EPersonaStateOffline; }));
  EXPECT_TRUE(seen.empty());
  alice->RunCallbacks();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(seen[0].m_nChangeFlags & k_EPersonaChangeGoneOffline, 0);
  EXPECT_EQ(alice->GetFriendPersonaName(bob_id), "Bobby Tables");  // offline users keep their name

  // A third process sees the stored name: the rename reached the database.
  const RunResult r = cli(server, {"--name", "carol", "lookup", std::to_string(bob_id.ConvertToUint64())});
  EXPECT_EQ(r.exit, 0) << r.err;
  EXPECT_NE(r.out.find("\"persona_name\":\"Bobby Tables\""), std::string::npos) << r.out;
}

}  // namespace
}  // namespace kettle::integration
