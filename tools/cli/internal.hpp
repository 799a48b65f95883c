// What kettle-cli's command files share: failure outcomes, the callback pump, the P2P commands'
// entry points. Not part of kettle_cli_lib's interface (commands.hpp is).
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.hpp"
#include "kettle/client.hpp"

namespace kettle::cli {

using Clock = std::chrono::steady_clock;

inline Outcome fail(int code, std::string msg) { return Outcome{code, {}, std::move(msg)}; }

inline Clock::time_point after_seconds(double s) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// Runs callbacks until `done` or the deadline, the way a game does once per frame (here every
// millisecond): the client's I/O thread does the network, RunCallbacks hands results over.
template <class Pred>
bool pump_until(Client& c, Clock::time_point deadline, Pred done) {
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    c.RunCallbacks();
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A user SteamID64 in decimal, or an invalid (0) id.
SteamID parse_user_id(const std::string& text);

// GodotSteam's getP2PSessionState keys (ints, remote_ip a host-order uint32), plus
// "remote_address": "a.b.c.d:port" for people ("" when unknown).
nlohmann::ordered_json session_json(const P2PSessionState_t& s);

// Checks `send`'s options and builds the payload; an Outcome (exit 1) when they are wrong.
// Runs before the login, so a usage error never costs one.
std::optional<Outcome> prepare_send(const SendOptions& o, std::vector<std::uint8_t>& payload);
Outcome run_send(Client& c, const SendOptions& o, const std::vector<std::uint8_t>& payload);

std::optional<Outcome> check_listen(const ListenOptions& o);
Outcome run_listen(Client& c, const ListenOptions& o, const Io& io);

Outcome run_doctor(Client& c, const Options& o);

// `lobby`: the values of its options and arguments (exit 1 before the login when wrong).
std::optional<Outcome> check_lobby(const LobbyOptions& o);
Outcome run_lobby(Client& c, const Options& o, const Io& io);

}  // namespace kettle::cli
