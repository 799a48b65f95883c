// State shared between a Client's API (any thread) and its server session (the I/O thread, or
// the pumping thread in manual mode). Everything here is guarded by `mu`; the session is the
// only writer of the login fields, the API adds commands and reads.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "core/address.hpp"
#include "core/steam_id.hpp"
#include "kettle/types.hpp"

namespace kettle::client {

struct PersonaEntry {
  std::string name;
  EPersonaState state = k_EPersonaStateOffline;
};

// API → session requests; the session sends them when logged on and keeps them otherwise.
struct SetNameCommand {
  std::string name;
};
struct FetchCommand {
  SteamID id;
};
struct ListOnlineCommand {
  AppId_t app_id = 0;
};
using Command = std::variant<SetNameCommand, FetchCommand, ListOnlineCommand>;

struct ClientState {
  std::mutex mu;
  bool logged_on = false;
  SteamID steam_id;
  std::string persona;
  bool subscribed = false;
  AppId_t app_id = 0;
  Address reflexive;
  Address local_socket;
  std::int64_t server_time_offset_s = 0;  // server unix time − local unix time at login
  std::unordered_map<SteamID, PersonaEntry> personas;
  std::unordered_set<SteamID> fetching;  // GetPersonas sent or queued, no answer yet
  std::vector<Command> commands;
};

}  // namespace kettle::client
