// Shared helpers for the client tests: an in-process server and condition polling with a
// deadline (never a sleep).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <thread>

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

}  // namespace kettle::testing
