// Shared helpers for the client tests: an in-process server and condition polling with a
// deadline (never a sleep).
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kettle/client.hpp"

namespace kettle::testing {

using Clock = std::chrono::steady_clock;

// Calls RunCallbacks on every client until cond() holds or `timeout` passes.
inline bool run_until(std::initializer_list<Client*> clients, const std::function<bool()>& cond,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    for (Client* c : clients) c->RunCallbacks();
    if (cond()) return true;
    std::this_thread::yield();
  }
  return cond();
}

// Polls cond() without delivering callbacks.
inline bool wait_for(const std::function<bool()>& cond, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::yield();
  }
  return cond();
}

// A UDP socket on 127.0.0.1 with an ephemeral port, for tests that play a silent or scripted
// server; `addr` gets "127.0.0.1:PORT". -1 (and a test failure) if it cannot be had.
inline int bind_loopback_udp(std::string& addr) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    ADD_FAILURE() << "cannot bind a loopback UDP socket";
    return -1;
  }
  addr = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
  return fd;
}

inline std::unique_ptr<EmbeddedServer> start_server(const EmbeddedServer::Options& o = {}) {
  std::string err;
  auto s = EmbeddedServer::Start(o, &err);
  EXPECT_NE(s, nullptr) << err;
  return s;
}

// Short timings so failure paths finish quickly.
inline ClientConfig config_for(const EmbeddedServer& s, std::string name) {
  ClientConfig cfg;
  s.configure(cfg);
  cfg.login_name = std::move(name);
  cfg.login_timeout_s = 5;
  cfg.reconnect_min_s = 0.05;
  cfg.reconnect_max_s = 0.4;
  cfg.backend_liveness_s = 5;
  return cfg;
}

inline std::unique_ptr<Client> logged_in(const ClientConfig& cfg) {
  auto c = Client::Create();
  const InitResult r = c->Init(cfg);
  EXPECT_EQ(r.code, k_ESteamAPIInitResult_OK) << r.message;
  return c;
}

// Reads the oldest readable P2P packet on `channel` into `out` (sized to it); false if none.
// n bytes that differ per seed and per position (so a reordered or mixed-up message shows).
inline std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 31 + (i >> 8));
  return v;
}

inline bool read_one(Client& c, int channel, std::vector<std::uint8_t>& out, SteamID& from) {
  uint32 size = 0;
  if (!c.networking().IsP2PPacketAvailable(&size, channel)) return false;
  out.assign(size, 0);
  uint32 got = 0;
  if (!c.networking().ReadP2PPacket(out.data(), size, &got, &from, channel)) return false;
  out.resize(got);
  return true;
}

}  // namespace kettle::testing
