// Losing kettle-server and getting it back: a real server with a file database is stopped and
// restarted on the same port with the same key, mid-session.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "client_test_util.hpp"
#include "crypto/keys.hpp"
#include "kettle/client.hpp"

namespace kettle {
namespace {

using testing::config_for;
using testing::logged_in;
using testing::run_until;
using testing::start_server;

struct TempDb {
  std::string path =
      (std::filesystem::temp_directory_path() / ("kettle-client-test-" + std::to_string(::getpid()) + "-" +
                                                 std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".db"))
          .string();
  ~TempDb() {
    std::error_code ec;
    for (const char* s : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path + s, ec);
  }
};

std::string random_seed_hex() {
  EXPECT_TRUE(crypto::init());
  return crypto::SigningKeyPair::generate().pub.to_hex();  // any 32 random bytes make a seed
}

void reconnect_after_restart(bool manual_pump) {
  TempDb db;
  EmbeddedServer::Options opts;
  opts.db_path = db.path;
  opts.key_seed_hex = random_seed_hex();
  auto server = start_server(opts);
  ASSERT_NE(server, nullptr);
  opts.udp = server->address();  // the restart binds the same port

  ClientConfig cfg = config_for(*server, "alice");
  cfg.manual_pump = manual_pump;
  cfg.login_timeout_s = 0.5;
  auto a = logged_in(cfg);
  ASSERT_TRUE(a->BLoggedOn());
  const SteamID id = a->GetSteamID();
  ASSERT_NE(a->SetPersonaName("alice the first"), k_uAPICallInvalid);

  int disconnected = 0, failures = 0, connected = 0;
  a->Subscribe<SteamServersDisconnected_t>([&](const SteamServersDisconnected_t& cb) {
    EXPECT_EQ(cb.m_eResult, k_EResultNoConnection);
    ++disconnected;
  });
  a->Subscribe<SteamServerConnectFailure_t>([&](const SteamServerConnectFailure_t& cb) {
    EXPECT_TRUE(cb.m_bStillRetrying);
    ++failures;
  });
  a->Subscribe<SteamServersConnected_t>([&](const SteamServersConnected_t&) { ++connected; });
  // Make sure the rename reached the database before the server goes away.
  auto b = logged_in(config_for(*server, "bob"));
  ASSERT_EQ(b->GetFriendPersonaName(id), "");
  ASSERT_TRUE(run_until({a.get(), b.get()}, [&] { return b->GetFriendPersonaName(id) == "alice the first"; }));
  b->Shutdown();

  // Stop the server (it closes every session with CLOSE) on another thread while this one keeps
  // running the client's frames, as a game would: with manual_pump the client only acks the
  // server's last data when pumped, and the server lingers for those acks before its CLOSE.
  std::thread stopper([&] { server.reset(); });
  const bool saw_disconnect = run_until({a.get()}, [&] { return disconnected == 1; });
  stopper.join();
  ASSERT_TRUE(saw_disconnect);
  EXPECT_FALSE(a->BLoggedOn());
  EXPECT_EQ(a->GetSteamID(), id);  // the identity survives the outage
  // The attempts against the dead port fail (handshake timeout 0.5 s) and are announced.
  ASSERT_TRUE(run_until({a.get()}, [&] { return failures >= 1; }));
  EXPECT_FALSE(a->BLoggedOn());
  EXPECT_EQ(connected, 0);

  server = start_server(opts);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(run_until({a.get()}, [&] { return connected == 1; }));
  EXPECT_TRUE(a->BLoggedOn());
  EXPECT_EQ(a->GetSteamID(), id);
  EXPECT_EQ(a->GetPersonaName(), "alice the first");
  EXPECT_EQ(disconnected, 1);

  // The session works after the reconnect: another user sees alice's name.
  auto c = logged_in(config_for(*server, "carol"));
  ASSERT_EQ(c->GetFriendPersonaName(id), "");
  ASSERT_TRUE(run_until({a.get(), c.get()}, [&] { return c->GetFriendPersonaName(id) == "alice the first"; }));
}

TEST(ClientReconnect, ServerRestartOnSamePortAndDbReconnectsWithSameSteamId) { reconnect_after_restart(false); }

TEST(ClientReconnect, ManualPumpReconnectsToo) { reconnect_after_restart(true); }

}  // namespace
}  // namespace kettle
