// Certificate refresh against a real kettle-server process with a short lifetime (12 s;
// clients refresh at 2/3 of it). The client stays logged on past its first
// certificate's expiry, is still served, and after a server restart resumes with the refreshed
// certificate: its password was changed meanwhile, so a resume is the only way back in.
// About 20 s of real time: a separate binary, labelled "slow".
#include "harness.hpp"

namespace kettle::integration {
namespace {

constexpr const char* kIssued = "kettle_certificates_issued_total";

class Certificate : public IntegrationTest {};

TEST_F(Certificate, RefreshKeepsTheClientLoggedOnAcrossLifetimes) {
  ASSERT_EQ(admin({"account", "add", "bob", "--password-env", "PW"}, {{"PW", "first password"}}).exit, 0);
  const RunResult carol = admin({"account", "add", "carol", "--password-env", "PW"}, {{"PW", "x"}});
  ASSERT_EQ(carol.exit, 0);
  const SteamID carol_id(std::stoull(fields(carol.out)["steam_id"]));
  ASSERT_EQ(admin({"app", "add", "480", "--name", "Spacewar"}).exit, 0);
  const std::vector<std::string> args = {"--certificate-lifetime", "12", "--backend-liveness", "2"};
  auto server = std::make_unique<ServerProcess>(dir(), args);
  ASSERT_TRUE(server->started());

  auto bob = Client::Create();
  ClientConfig cfg = server->client_config("bob");
  cfg.password = "first password";
  ASSERT_EQ(bob->Init(cfg).code, k_ESteamAPIInitResult_OK);
  const auto logged_in = Clock::now();
  const SteamID bob_id = bob->GetSteamID();
  int disconnects = 0, connects = 0;
  bob->Subscribe<SteamServersDisconnected_t>([&](const auto&) { ++disconnects; });
  bob->Subscribe<SteamServersConnected_t>([&](const auto&) { ++connects; });
  EXPECT_EQ(server->metric(kIssued), 1);

  // Two refreshes (at ~8 s and ~16 s); the first certificate expired at 12 s. /metrics is
  // read every 250 ms, the callbacks run every millisecond.
  auto next_poll = Clock::now();
  double issued = 1;
  ASSERT_TRUE(pump_until({bob.get()}, 30,
                         [&] {
                           if (Clock::now() < next_poll) return false;
                           next_poll = Clock::now() + std::chrono::milliseconds(250);
                           issued = server->metric(kIssued);
                           return issued >= 3;
                         }))
      << "certificates issued: " << issued;
  const double elapsed = std::chrono::duration<double>(Clock::now() - logged_in).count();
  std::printf("[ measure  ] second refresh %.1f s after login (lifetime 12 s)\n", elapsed);
  EXPECT_GT(elapsed, 12);  // past the first certificate's expiry
  EXPECT_LT(elapsed, 20);
  EXPECT_EQ(disconnects, 0);
  EXPECT_TRUE(bob->BLoggedOn());
  EXPECT_EQ(server->metric("kettle_logins_total{result=\"ok\"}"), 1);  // refreshed, never re-logged in

  // Still served: a lookup.
  ASSERT_TRUE(bob->RequestUserInformation(carol_id, true));
  EXPECT_TRUE(pump_until({bob.get()}, 10, [&] { return bob->GetFriendPersonaName(carol_id) == "carol"; }));

  // The password changes under him and the server restarts: only the refreshed (unexpired)
  // certificate can bring bob back.
  ASSERT_EQ(admin({"account", "passwd", "bob", "--password-env", "PW"}, {{"PW", "second password"}}).exit, 0);
  const std::string udp = server->udp();
  EXPECT_EQ(server->stop(SIGTERM), 0);
  ASSERT_TRUE(pump_until({bob.get()}, 10, [&] { return disconnects == 1; }));
  server = std::make_unique<ServerProcess>(dir(), args, udp);
  ASSERT_TRUE(server->started());
  ASSERT_TRUE(pump_until({bob.get()}, 20, [&] { return connects == 1 && bob->BLoggedOn(); }));
  EXPECT_EQ(bob->GetSteamID(), bob_id);
  EXPECT_EQ(server->metric("kettle_logins_total{result=\"ok\"}"), 1);
  EXPECT_EQ(server->metric("kettle_logins_total{result=\"failed\"}"), 0);
}

}  // namespace
}  // namespace kettle::integration
