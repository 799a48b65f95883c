// The server's HTTP endpoints seen from outside the process: /metrics counters move with real
// logins (kettle-cli runs and kettle::Client), /api/status agrees.
#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace kettle::integration {
namespace {

constexpr const char* kLoginsOk = "kettle_logins_total{result=\"ok\"}";
constexpr const char* kLoginsFailed = "kettle_logins_total{result=\"failed\"}";
constexpr const char* kOnline = "kettle_clients_online";

class Metrics : public IntegrationTest {};

TEST_F(Metrics, LoginCountersFollowKettleCliRuns) {
  ServerProcess server(dir(), {"--dev"});
  ASSERT_TRUE(server.started());
  EXPECT_EQ(server.metric(kLoginsOk), 0);
  EXPECT_EQ(server.metric(kLoginsFailed), 0);
  EXPECT_EQ(server.metric(kOnline), 0);

  for (int i = 1; i <= 2; ++i) {
    const RunResult r = cli(server, {"--name", "alice", "whoami"});
    ASSERT_EQ(r.exit, 0) << r.err;
    // The counter moved before kettle-cli printed: LoginOk is sent after it is counted.
    EXPECT_EQ(server.metric(kLoginsOk), i);
  }
  EXPECT_EQ(server.metric(kLoginsFailed), 0);
  // kettle-cli's Shutdown sent CLOSE: nobody is online.
  EXPECT_EQ(server.metric(kOnline), 0);

  auto alice = Client::Create();
  ASSERT_EQ(alice->Init(server.client_config("alice")).code, k_ESteamAPIInitResult_OK);
  EXPECT_EQ(server.metric(kLoginsOk), 3);
  EXPECT_EQ(server.metric(kOnline), 1);
  const auto status = nlohmann::json::parse(server.http_get("/api/status"), nullptr, false);
  ASSERT_FALSE(status.is_discarded());
  EXPECT_EQ(status["clients_online"], 1);
  EXPECT_EQ(status["logins_ok"], 3);
  EXPECT_EQ(status["dev"], true);
  EXPECT_EQ(status["public_key"], server.key());
  EXPECT_EQ(status["udp"], server.udp());
}

TEST_F(Metrics, FailedLoginsAreCountedApart) {
  ASSERT_EQ(admin({"account", "add", "alice", "--password-env", "PW"}, {{"PW", "correct horse"}}).exit, 0);
  ASSERT_EQ(admin({"app", "add", "480", "--name", "Spacewar"}).exit, 0);
  ServerProcess server(dir(), {});
  ASSERT_TRUE(server.started());

  EXPECT_EQ(cli(server, {"--name", "alice", "--password-env", "PW", "whoami"}, {{"PW", "nope"}}).exit, 2);
  EXPECT_EQ(cli(server, {"--name", "mallory", "whoami"}).exit, 2);
  EXPECT_EQ(server.metric(kLoginsFailed), 2);
  EXPECT_EQ(server.metric(kLoginsOk), 0);
  EXPECT_EQ(cli(server, {"--name", "alice", "--password-env", "PW", "whoami"}, {{"PW", "correct horse"}}).exit, 0);
  EXPECT_EQ(server.metric(kLoginsOk), 1);
  EXPECT_EQ(server.metric(kLoginsFailed), 2);
}

}  // namespace
}  // namespace kettle::integration
