// Client::Impl: the state behind kettle::Client, shared by client.cpp and networking.cpp.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "client/callback_queue.hpp"
#include "client/client_state.hpp"
#include "client/lobby_shared.hpp"
#include "client/server_session.hpp"
#include "kettle/client.hpp"
#include "p2p/shared.hpp"

namespace kettle {

struct Client::Impl {
  std::mutex lifecycle_mu;  // Init and Shutdown, one at a time
  std::atomic<bool> running{false};
  bool manual = false;
  client::ClientState state;
  client::CallbackQueue callbacks;
  p2p::Shared p2p;
  client::LobbyShared lobbies;
  Duration lobby_data_batch = ms(100);             // from the config at Init
  std::shared_ptr<client::ServerSession> session;  // set/reset under state.mu (wake() reads it there)
  std::mutex pump_mu;                              // manual mode: one pumping thread at a time
  std::thread io;
  std::atomic<bool> stop_io{false};
  std::atomic<SteamAPICall_t> next_call{1};

  void wake() {
    std::lock_guard lock(state.mu);
    if (session) session->wake();
  }

  void pump() {
    std::lock_guard lock(pump_mu);
    if (!running.load(std::memory_order_acquire)) return;
    std::shared_ptr<client::ServerSession> s;
    {
      std::lock_guard st(state.mu);
      s = session;
    }
    if (s) s->step(kInstantZero);  // a past instant: poll without blocking
  }

  void reset_state_locked() {
    state.logged_on = false;
    state.steam_id = SteamID();
    state.persona.clear();
    state.subscribed = false;
    state.app_id = 0;
    state.reflexive = Address{};
    state.local_socket = Address{};
    state.server_time_offset_s = 0;
    state.personas.clear();
    state.fetching.clear();
    state.commands.clear();
  }

  // Separately from reset_state_locked: the I/O side takes p2p.mu before state.mu, so the two
  // are never held in the other order.
  void reset_p2p() {
    std::lock_guard lock(p2p.mu);
    p2p.self = SteamID();
    p2p.logged_on = false;
    p2p.subscribed = true;
    p2p.allow_relay = true;
    p2p.sessions.clear();
    for (auto& q : p2p.readable) q.clear();
    p2p.dirty.clear();
    p2p.closed_by_api.clear();
  }

  void reset_lobbies() {
    std::lock_guard lock(lobbies.mu);
    lobbies.joined.clear();
    lobbies.snapshots.clear();
    lobbies.results.clear();
    lobbies.filters.clear();
    lobbies.max_results = control::kDefaultLobbyResults;
    lobbies.chat.clear();
    lobbies.outbox.clear();
    lobbies.data_batch.clear();
    lobbies.member_batch.clear();
    lobbies.batch_due = kInstantNever;
  }

  // Starts a fetch of `id` unless one is under way; the caller holds state.mu.
  void fetch_locked(SteamID id) {
    if (state.fetching.insert(id).second) state.commands.push_back(client::FetchCommand{id});
  }
};

}  // namespace kettle
