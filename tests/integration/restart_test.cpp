// kettle-server restarted under two logged-in clients: stopped with SIGTERM (sessions closed)
// and killed with SIGKILL (nothing closed; the clients notice by silence). A new process on the
// same UDP port, database and key takes them back: same SteamIDs, names intact, and a rename
// the server acknowledged before SIGKILL survives (SQLite WAL).
#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace kettle::integration {
namespace {

class Restart : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    server_ = std::make_unique<ServerProcess>(dir(), args());
    ASSERT_TRUE(server_->started());
    udp_ = server_->udp();
    ASSERT_EQ(alice_->Init(server_->client_config("alice")).code, k_ESteamAPIInitResult_OK);
    ASSERT_EQ(bob_->Init(server_->client_config("bob")).code, k_ESteamAPIInitResult_OK);
    alice_id_ = alice_->GetSteamID();
    bob_id_ = bob_->GetSteamID();
    for (Client* c : {alice_.get(), bob_.get()}) {
      c->Subscribe<SteamServersDisconnected_t>([this](const auto&) { ++disconnected_; });
      c->Subscribe<SteamServersConnected_t>([this](const auto&) { ++connected_; });
    }
    // bob watches alice, so he sees her renames once the server has stored them.
    bob_->RequestUserInformation(alice_id_, true);
    ASSERT_TRUE(pump_until({bob_.get()}, 10, [&] { return bob_->GetFriendPersonaName(alice_id_) == "alice"; }));
  }

  static std::vector<std::string> args() { return {"--dev", "--http", "off", "--backend-liveness", "2"}; }

  // alice renames; returns once bob was told, i.e. after the server stored the name and
  // answered (it notifies watchers after the database write).
  void rename_alice(const std::string& name) {
    ASSERT_NE(alice_->SetPersonaName(name), k_uAPICallInvalid);
    ASSERT_TRUE(
        pump_until({alice_.get(), bob_.get()}, 10, [&] { return bob_->GetFriendPersonaName(alice_id_) == name; }))
        << "bob never saw alice's new name " << name;
  }

  // Stops the server with `sig`, checks both clients notice, starts it again on the same port and
  // checks both come back as themselves.
  void restart(int sig, int expected_exit) {
    const int connected_before = connected_;
    const int disconnected_before = disconnected_;
    EXPECT_EQ(server_->stop(sig), expected_exit);
    // SIGTERM: the server closes the sessions; SIGKILL: backend_liveness (2 s) of silence.
    ASSERT_TRUE(pump_until(
        {alice_.get(), bob_.get()}, 15,
        [&] { return disconnected_ == disconnected_before + 2 && !alice_->IsLoggedOn() && !bob_->IsLoggedOn(); }))
        << "disconnected callbacks: " << disconnected_ - disconnected_before;

    server_ = std::make_unique<ServerProcess>(dir(), args(), udp_);
    ASSERT_TRUE(server_->started());
    ASSERT_EQ(server_->udp(), udp_);
    ASSERT_TRUE(
        pump_until({alice_.get(), bob_.get()}, 20,
                   [&] { return connected_ >= connected_before + 2 && alice_->IsLoggedOn() && bob_->IsLoggedOn(); }))
        << "connected callbacks: " << connected_ - connected_before;
    EXPECT_EQ(connected_, connected_before + 2);
    EXPECT_EQ(alice_->GetSteamID(), alice_id_);
    EXPECT_EQ(bob_->GetSteamID(), bob_id_);
  }

  // What a third process reads from the server about alice.
  std::string stored_name_of_alice() {
    const RunResult r = cli(*server_, {"--name", "carol", "lookup", std::to_string(alice_id_.ConvertToUint64())});
    EXPECT_EQ(r.exit, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_discarded() ? "" : j.value("persona_name", "");
  }

  std::unique_ptr<ServerProcess> server_;
  std::string udp_;
  std::unique_ptr<Client> alice_ = Client::Create();
  std::unique_ptr<Client> bob_ = Client::Create();
  SteamID alice_id_, bob_id_;
  int connected_ = 0, disconnected_ = 0;
};

TEST_F(Restart, SigtermThenSigkillMidSession) {
  rename_alice("Alice One");
  restart(SIGTERM, 0);
  EXPECT_EQ(alice_->GetPersonaName(), "Alice One");
  EXPECT_EQ(bob_->GetPersonaName(), "bob");
  EXPECT_EQ(stored_name_of_alice(), "Alice One");
  // The new server process knows bob watches alice: the client re-subscribed on reconnect.
  rename_alice("Alice Two");

  rename_alice("Alice Three");
  restart(SIGKILL, 128 + SIGKILL);
  EXPECT_EQ(alice_->GetPersonaName(), "Alice Three");
  EXPECT_EQ(stored_name_of_alice(), "Alice Three");
  rename_alice("Alice Four");  // and the session works
  EXPECT_EQ(stored_name_of_alice(), "Alice Four");
}

}  // namespace
}  // namespace kettle::integration
