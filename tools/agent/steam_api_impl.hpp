// What the steam_api_*.cpp files share: the state behind SteamApi and the table of GodotSteam
// functions each family file fills in. Internal to tools/agent.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "godot/variant.hpp"
#include "kettle/client.hpp"
#include "steam_api.hpp"
#include "steam_api_args.hpp"

namespace kettle::agent {

struct ApiState {
  AgentConfig config;
  SteamApi::Emit emit;
  std::unique_ptr<Client> client;  // logged in, or null
  // Clients of earlier sessions (steamShutdown): kept until the SteamApi goes, because a
  // signal handler may call steamShutdown while that client's RunCallbacks is on the stack.
  std::vector<std::unique_ptr<Client>> retired;
  std::vector<std::function<void(Client&)>> ready_hooks;

  void signal(std::string_view name, godot::Array args) const {
    if (emit) emit(name, std::move(args));
  }
};

// The value a function returns when its arguments are bad or Steam is not initialised.
// own_result: the handler's result stands even then (steamInit's status dictionary).
enum class Failure { nil, boolean, integer, string, dictionary, own_result };
godot::Variant failure_value(Failure f);

struct Function {
  std::string_view name;
  Failure failure;
  std::size_t max_args;
  // false: callable before steamInit (init itself, isSteamRunning, loggedOn...).
  bool needs_client;
  // Checks the arguments, then acts if ready() gives a client. The dispatcher replaces the
  // result with the failure value whenever `call` recorded an error, or when the function
  // needs a client and there was none.
  godot::Variant (*run)(ApiState& state, Call& call);
};

void add_init_functions(std::vector<Function>& table);   // steam_api_init.cpp
void add_p2p_functions(std::vector<Function>& table);    // steam_api_p2p.cpp
void add_lobby_functions(std::vector<Function>& table);  // steam_api_lobby.cpp

// The client to act on: null when an argument error was recorded or Steam is not initialised.
inline Client* ready(ApiState& s, const Call& c) { return c.ok() ? s.client.get() : nullptr; }

// Subscribes every GodotSteam signal on a freshly created client (steam_api_signals.cpp).
void subscribe_signals(ApiState& state, Client& client);

// Helpers for building results.
inline godot::Variant id_value(SteamID id) { return godot::Variant::integer(static_cast<std::int64_t>(id.value())); }
inline godot::Variant id_value(std::uint64_t id) { return godot::Variant::integer(static_cast<std::int64_t>(id)); }
inline godot::Variant int_value(std::int64_t v) { return godot::Variant::integer(v); }
inline godot::Variant text_value(std::string_view s) { return godot::Variant::string(valid_utf8(s)); }

}  // namespace kettle::agent
