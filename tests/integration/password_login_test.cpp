// Accounts made with the admin subcommands on the database file, then a non-dev kettle-server
// process: kettle::Client logs in with the right password only; every refusal says why; a
// refusal leaves an existing session alone; a closed app is a matter of entitlement, not login.
#include "harness.hpp"

namespace kettle::integration {
namespace {

class PasswordLogin : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    const RunResult bob = admin({"account", "add", "bob", "--password-env", "BOB_PW"}, {{"BOB_PW", "hunter2 hunter2"}});
    ASSERT_EQ(bob.exit, 0) << bob.err;
    bob_id_ = fields(bob.out)["steam_id"];
    ASSERT_FALSE(bob_id_.empty()) << bob.out;
    ASSERT_EQ(admin({"account", "add", "carol", "--password-env", "PW"}, {{"PW", "carol's password"}}).exit, 0);
    ASSERT_EQ(admin({"account", "add", "erin", "--password-env", "PW"}, {{"PW", "erin's password"}}).exit, 0);
    ASSERT_EQ(admin({"app", "add", "480", "--name", "Spacewar"}).exit, 0);
    ASSERT_EQ(admin({"app", "add", "1000", "--name", "Closed Beta", "--closed", "--grant", "carol"}).exit, 0);
  }

  InitResult login(Client& c, const ServerProcess& s, const std::string& name, const std::string& password,
                   AppId_t app = 480) {
    ClientConfig cfg = s.client_config(name);
    cfg.password = password;
    cfg.app_id = app;
    return c.Init(cfg);
  }

  std::string bob_id_;
};

TEST_F(PasswordLogin, RightPasswordOnlyAndClearRefusals) {
  ServerProcess server(dir(), {});
  ASSERT_TRUE(server.started());

  auto bob = Client::Create();
  const InitResult ok = login(*bob, server, "bob", "hunter2 hunter2");
  ASSERT_EQ(ok.code, k_ESteamAPIInitResult_OK) << ok.message;
  EXPECT_EQ(std::to_string(bob->GetSteamID().ConvertToUint64()), bob_id_);
  EXPECT_EQ(bob->GetPersonaName(), "bob");
  EXPECT_TRUE(bob->BIsSubscribedApp(480));

  // Refusals, each from a fresh client; none disturbs bob's session.
  struct Case {
    std::string name, password;
    AppId_t app;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"bob", "hunter2", 480, "wrong login name or password"},
      {"nobody", "hunter2 hunter2", 480, "wrong login name or password"},  // same words: no account probing
      {"dave", "", 480, "dev login is disabled on this server"},
  };
  for (const auto& c : cases) {
    auto other = Client::Create();
    const InitResult r = login(*other, server, c.name, c.password, c.app);
    EXPECT_EQ(r.code, k_ESteamAPIInitResult_FailedGeneric) << c.name << "/" << c.app << ": " << r.message;
    EXPECT_NE(r.message.find(c.message), std::string::npos) << c.name << "/" << c.app << ": " << r.message;
    EXPECT_FALSE(other->BLoggedOn());
    EXPECT_FALSE(other->GetSteamID().IsValid());
  }
  EXPECT_TRUE(bob->BLoggedOn());
  const SteamID carol_id(std::stoull(bob_id_) + 1);
  bool carol_named = false;
  ASSERT_TRUE(pump_until({bob.get()}, 10, [&] {
    carol_named = bob->GetFriendPersonaName(carol_id) == "carol";
    return carol_named;
  }));

  // A closed app: carol has the grant, erin logs in but does not own it.
  auto carol = Client::Create();
  const InitResult granted = login(*carol, server, "carol", "carol's password", 1000);
  EXPECT_EQ(granted.code, k_ESteamAPIInitResult_OK) << granted.message;
  EXPECT_TRUE(carol->BIsSubscribedApp(1000));
  auto erin = Client::Create();
  const InitResult not_granted = login(*erin, server, "erin", "erin's password", 1000);
  EXPECT_EQ(not_granted.code, k_ESteamAPIInitResult_OK) << not_granted.message;
  EXPECT_FALSE(erin->BIsSubscribedApp(1000));
  EXPECT_TRUE(bob->BLoggedOn());

  // Passwords never reach the server's log.
  const std::string log = server_log();
  EXPECT_NE(log.find("login ok"), std::string::npos);  // it did log the logins
  EXPECT_EQ(log.find("hunter2"), std::string::npos);
  EXPECT_EQ(log.find("carol's password"), std::string::npos);
}

TEST_F(PasswordLogin, PlayerWithoutRightsToTheAppGetsSessionErrorTwoAtOnce) {
  ServerProcess server(dir(), {});
  ASSERT_TRUE(server.started());
  auto carol = Client::Create();
  ASSERT_EQ(login(*carol, server, "carol", "carol's password", 1000).code, k_ESteamAPIInitResult_OK);
  auto erin = Client::Create();
  ASSERT_EQ(login(*erin, server, "erin", "erin's password", 1000).code, k_ESteamAPIInitResult_OK);
  ASSERT_FALSE(erin->BIsSubscribedApp(1000));
  std::vector<P2PSessionConnectFail_t> fails;
  erin->On<P2PSessionConnectFail_t>([&](const P2PSessionConnectFail_t& f) { fails.push_back(f); });
  const std::uint8_t x = 1;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(erin->networking().SendP2PPacket(carol->GetSteamID(), &x, 1, k_EP2PSendReliable, 0));
  ASSERT_TRUE(pump_until({erin.get(), carol.get()}, 5, [&] { return !fails.empty(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1)) << "spec: within 1 s of the send";
  EXPECT_EQ(fails.front().m_eP2PSessionError, k_EP2PSessionErrorNoRightsToApp);
  EXPECT_EQ(fails.front().m_steamIDRemote, carol->GetSteamID());
  uint32 size = 0;
  EXPECT_FALSE(carol->networking().IsP2PPacketAvailable(&size, 0)) << "nothing reaches carol";
}

}  // namespace
}  // namespace kettle::integration
