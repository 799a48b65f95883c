// The `+connect_lobby <id>` launch argument (spec p2p-api.md §3.2): parsing it, and joining it.
#include <charconv>
#include <cstring>
#include <string_view>

#include "kettle/matchmaking.hpp"

namespace kettle {

SteamID ParseConnectLobbyArg(std::span<const char* const> args) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == nullptr || std::strcmp(args[i], "+connect_lobby") != 0) continue;
    if (args[i + 1] == nullptr) return SteamID();
    const std::string_view text(args[i + 1]);
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    // Whole argument, base 10, no sign or spaces; overflow is an error from from_chars.
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return SteamID();
    const SteamID id(v);
    return id.IsLobby() ? id : SteamID();
  }
  return SteamID();
}

SteamAPICall_t Matchmaking::JoinLobbyFromLaunchArgs(std::span<const char* const> args) {
  const SteamID lobby = ParseConnectLobbyArg(args);
  return lobby.IsValid() ? JoinLobby(lobby) : k_uAPICallInvalid;
}

}  // namespace kettle
