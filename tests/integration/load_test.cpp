// 200 kettle::Client objects log in to one kettle-server process at once (16 threads, manual
// pump, so the test process does not need 200 I/O threads): distinct SteamIDs, and the server's
// own counters show all 200 online, then none after they log off.
#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "harness.hpp"

namespace kettle::integration {
namespace {

constexpr int kClients = 200;
constexpr int kThreads = 16;

class Load : public IntegrationTest {};

TEST_F(Load, TwoHundredConcurrentLogins) {
  ServerProcess server(dir(), {"--dev", "--log-level", "warn"});
  ASSERT_TRUE(server.started());

  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(Client::Create());
  std::vector<InitResult> results(kClients);
  std::atomic<int> next{0};

  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < kClients; i = next++) {
        ClientConfig cfg = server.client_config("user" + std::to_string(i));
        cfg.manual_pump = true;
        cfg.backend_liveness_s = 30;  // nobody pumps a client between its login and the checks
        results[static_cast<std::size_t>(i)] = clients[static_cast<std::size_t>(i)]->Init(cfg);
      }
    });
  }
  for (auto& t : threads) t.join();
  const double login_s = std::chrono::duration<double>(Clock::now() - start).count();

  std::set<std::uint64_t> ids;
  for (int i = 0; i < kClients; ++i) {
    const auto& c = *clients[static_cast<std::size_t>(i)];
    ASSERT_EQ(results[static_cast<std::size_t>(i)].code, k_ESteamAPIInitResult_OK)
        << "client " << i << ": " << results[static_cast<std::size_t>(i)].message;
    EXPECT_TRUE(c.BLoggedOn());
    EXPECT_EQ(c.GetPersonaName(), "user" + std::to_string(i));
    ids.insert(c.GetSteamID().ConvertToUint64());
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kClients));
  EXPECT_EQ(server.metric("kettle_clients_online"), kClients);
  EXPECT_EQ(server.metric("kettle_logins_total{result=\"ok\"}"), kClients);
  const auto status = nlohmann::json::parse(server.http_get("/api/status"), nullptr, false);
  EXPECT_EQ(status.value("clients_online", -1), kClients) << status.dump();
  std::printf("[ measure  ] %d logins over %d threads in %.2f s (%.0f logins/s)\n", kClients, kThreads, login_s,
              kClients / login_s);
  RecordProperty("login_seconds", std::to_string(login_s));

  // Log off in parallel (each Shutdown waits for its CLOSE to leave).
  threads.clear();
  next = 0;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < kClients; i = next++) clients[static_cast<std::size_t>(i)]->Shutdown();
    });
  }
  for (auto& t : threads) t.join();
  double online = -1;
  EXPECT_TRUE(pump_until({}, 10,
                         [&] {
                           online = server.metric("kettle_clients_online");
                           return online == 0;
                         }))
      << online << " still online";
}

}  // namespace
}  // namespace kettle::integration
