// Test-only lobby member for lobby_test.cpp: a kettle::Client in its own process, so the test
// can SIGKILL it (a crash; killing a Client inside the test process would not be one).
//
//   lobby_member_child SERVER KEY NAME LOBBY_ID
//
// Logs in, joins the lobby and prints "joined steam_id=<id>" (or "failed ..." and exits 1), then
// keeps running callbacks until it is killed.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "kettle/client.hpp"
#include "kettle/matchmaking.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s SERVER KEY NAME LOBBY_ID\n", argv[0]);
    return 1;
  }
  auto client = kettle::Client::Create();
  kettle::ClientConfig cfg;
  cfg.server = argv[1];
  cfg.server_key = argv[2];
  cfg.login_name = argv[3];
  cfg.local_bind = "127.0.0.1:0";
  cfg.login_timeout_s = 15;
  cfg.backend_liveness_s = 2;
  const kettle::InitResult init = client->Init(cfg);
  if (init.code != kettle::k_ESteamAPIInitResult_OK) {
    std::printf("failed login: %s\n", init.message.c_str());
    return 1;
  }
  const kettle::SteamID lobby(std::strtoull(argv[4], nullptr, 10));
  int response = 0;
  client->Subscribe<kettle::LobbyEnter_t>(
      [&](const kettle::LobbyEnter_t& cb) { response = static_cast<int>(cb.m_EChatRoomEnterResponse); });
  client->matchmaking().JoinLobby(lobby);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (response == 0 && std::chrono::steady_clock::now() < deadline) {
    client->RunCallbacks();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (response != kettle::k_EChatRoomEnterResponseSuccess) {
    std::printf("failed join response=%d\n", response);
    return 1;
  }
  std::printf("joined steam_id=%llu\n", static_cast<unsigned long long>(client->GetSteamID().ConvertToUint64()));
  std::fflush(stdout);
  // A game's frame loop; the test ends it with SIGKILL.
  for (;;) {
    client->RunCallbacks();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}
