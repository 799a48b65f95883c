// GodotSteam's functions and signals on top of one kettle::Client: what kettle-agent runs for
// the game's CALL messages (docs/protocol.md §16). Arguments arrive as decoded Godot Variants in
// whatever types the game passed; every function checks them and answers bad input with
// GodotSteam's failure value plus an error text (the game prints it), never a crash.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "godot/variant.hpp"
#include "kettle/client.hpp"

namespace kettle::agent {

struct AgentConfig {
  std::string server = "embedded";  // "HOST:PORT" of a kettle-server, or "embedded"
  std::string server_key;           // 64 hex chars
  std::string login_name;           // dev-mode login
  std::string password;             // from KETTLE_PASSWORD; never logged
  std::string token;                // from KETTLE_TOKEN; never logged
  AppId_t app_id = 480;
  double login_timeout_s = 10;
  // Test knobs (spec §0.6 defaults); kettle-agent reads them from KETTLE_P2P_CONNECT_TIMEOUT,
  // KETTLE_P2P_PENDING_HOLD, KETTLE_P2P_LIVENESS and KETTLE_BACKEND_LIVENESS.
  double p2p_connect_timeout_s = 20;
  double p2p_pending_hold_s = 20;
  double p2p_liveness_timeout_s = 20;
  double backend_liveness_s = 20;
};

struct CallResult {
  godot::Variant value;
  std::string error;  // empty: fine; else one line the game prints with push_error
};

class SteamApi {
 public:
  // Called for each callback inside Client::RunCallbacks(): the GodotSteam signal and its args.
  using Emit = std::function<void(std::string_view signal, godot::Array args)>;

  SteamApi(AgentConfig config, Emit emit);
  ~SteamApi();
  SteamApi(const SteamApi&) = delete;
  SteamApi& operator=(const SteamApi&) = delete;

  // Runs the GodotSteam function `name` (e.g. "steamInitEx", "getLobbyData"). An unknown name
  // gives a nil value and the error "Steam.<name>: not provided by Kettle".
  CallResult call(std::string_view name, const godot::Array& args);

  // The client once steamInit/steamInitEx succeeded, else nullptr (the agent reads packets from it).
  Client* client() noexcept;

  // Called once a client exists (after a successful init) so the agent can hook its wake-up.
  void on_client_ready(std::function<void(Client&)> fn);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kettle::agent
