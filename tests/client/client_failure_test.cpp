// Init's failure paths: bad configuration (no network), no server, wrong server key, a login
// the server refuses. Each returns a code and a message that says why.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "client_test_util.hpp"
#include "crypto/keys.hpp"
#include "kettle/client.hpp"

namespace kettle {
namespace {

using testing::bind_loopback_udp;
using testing::config_for;
using testing::start_server;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

ClientConfig valid_remote() {
  ClientConfig cfg;
  cfg.server = "127.0.0.1:9";
  cfg.server_key = std::string(64, 'a');
  cfg.login_name = "alice";
  return cfg;
}

InitResult init_with(const ClientConfig& cfg) { return Client::Create()->Init(cfg); }

TEST(ClientInit, BadConfigFailsAtOnceWithThePreciseField) {
  const auto started = std::chrono::steady_clock::now();
  struct Case {
    const char* what;
    ClientConfig cfg;
    const char* expect;
  };
  std::vector<Case> cases;
  auto add = [&](const char* what, auto mutate, const char* expect) {
    ClientConfig c = valid_remote();
    mutate(c);
    cases.push_back({what, c, expect});
  };
  add(
      "no port", [](ClientConfig& c) { c.server = "127.0.0.1"; }, "ClientConfig.server");
  add(
      "not an ip", [](ClientConfig& c) { c.server = "example.invalid:27015"; }, "ClientConfig.server");
  add(
      "port 0", [](ClientConfig& c) { c.server = "127.0.0.1:0"; }, "port 0");
  add(
      "empty", [](ClientConfig& c) { c.server = ""; }, "ClientConfig.server");
  add(
      "no key", [](ClientConfig& c) { c.server_key = ""; }, "server_key is required");
  add(
      "short key", [](ClientConfig& c) { c.server_key = "abcd"; }, "server_key must be 64 hex");
  add(
      "non-hex key", [](ClientConfig& c) { c.server_key = std::string(63, 'a') + "g"; }, "server_key must be 64 hex");
  add(
      "no name", [](ClientConfig& c) { c.login_name = ""; }, "login_name is empty");
  add(
      "control char", [](ClientConfig& c) { c.login_name = "a\nb"; }, "login_name");
  add(
      "long name", [](ClientConfig& c) { c.login_name = std::string(65, 'n'); }, "login_name");
  add(
      "app 0", [](ClientConfig& c) { c.app_id = 0; }, "app_id");
  add(
      "nan timeout", [](ClientConfig& c) { c.login_timeout_s = std::nan(""); }, "login_timeout_s");
  add(
      "negative timeout", [](ClientConfig& c) { c.login_timeout_s = -1; }, "login_timeout_s");
  add(
      "inf liveness", [](ClientConfig& c) { c.backend_liveness_s = std::numeric_limits<double>::infinity(); },
      "backend_liveness_s");
  add(
      "max < min", [](ClientConfig& c) { c.reconnect_min_s = 2, c.reconnect_max_s = 1; }, "reconnect_max_s");
  add(
      "bad bind", [](ClientConfig& c) { c.local_bind = "nowhere"; }, "local_bind");
  add(
      "family mismatch", [](ClientConfig& c) { c.local_bind = "[::1]:0"; }, "different IP families");
  add(
      "huge password", [](ClientConfig& c) { c.password = std::string(2000, 'p'); }, "password");
  for (const auto& tc : cases) {
    const InitResult r = init_with(tc.cfg);
    EXPECT_EQ(r.code, k_ESteamAPIInitResult_FailedGeneric) << tc.what;
    EXPECT_TRUE(contains(r.message, tc.expect)) << tc.what << ": " << r.message;
  }
  // None of them touched the network (a connect attempt would wait for login_timeout).
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

TEST(ClientInit, NothingListeningIsNoSteamClientWithinLoginTimeout) {
  // Hold a UDP port that never answers, so nothing else can take it during the test.
  std::string addr;
  const int fd = bind_loopback_udp(addr);
  ASSERT_GE(fd, 0);

  ClientConfig cfg = valid_remote();
  cfg.server = addr;
  cfg.login_timeout_s = 1;
  const auto t0 = std::chrono::steady_clock::now();
  auto c = Client::Create();
  const InitResult r = c->Init(cfg);
  const auto took = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  EXPECT_EQ(r.code, k_ESteamAPIInitResult_NoSteamClient) << r.message;
  EXPECT_EQ(r.message, "kettle-server at " + addr + " did not answer within 1 s");
  EXPECT_GE(took, std::chrono::milliseconds(950));
  EXPECT_LT(took, std::chrono::milliseconds(2500));
  EXPECT_FALSE(c->BLoggedOn());
  EXPECT_FALSE(c->GetSteamID().IsValid());
}

TEST(ClientInit, WrongServerKeyIsRefusedWithAClearReason) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(crypto::init());
  ClientConfig cfg = config_for(*server, "alice");
  cfg.server_key = crypto::SigningKeyPair::generate().pub.to_hex();
  cfg.login_timeout_s = 1;
  const InitResult r = init_with(cfg);
  EXPECT_NE(r.code, k_ESteamAPIInitResult_OK);
  EXPECT_TRUE(contains(r.message, "does not match server_key")) << r.message;

  // The server is unharmed: the right key still logs in.
  ClientConfig good = config_for(*server, "alice");
  EXPECT_EQ(init_with(good).code, k_ESteamAPIInitResult_OK);
}

TEST(ClientInit, RefusedLoginCarriesTheServersMessage) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  ClientConfig cfg = config_for(*server, "alice");
  cfg.token = "not-a-token-this-server-issued";
  const InitResult r = init_with(cfg);
  EXPECT_EQ(r.code, k_ESteamAPIInitResult_FailedGeneric) << r.message;
  EXPECT_FALSE(r.message.empty());
  EXPECT_FALSE(contains(r.message, cfg.token)) << "secrets are never echoed: " << r.message;
}

TEST(ClientInit, FailedInitLeavesTheClientUsableForAnotherInit) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  auto c = Client::Create();
  ClientConfig bad = config_for(*server, "");
  EXPECT_EQ(c->Init(bad).code, k_ESteamAPIInitResult_FailedGeneric);
  EXPECT_EQ(c->Init(config_for(*server, "alice")).code, k_ESteamAPIInitResult_OK);
  EXPECT_EQ(c->GetPersonaName(), "alice");
}

}  // namespace
}  // namespace kettle
