// One simulated player of the `lobbies` scenario: which lobby operation it does next and how
// the server's replies and notifications complete it. Sans-IO: the worker (lobbies.cpp) sends
// the requests and feeds back what arrives on the bot's connection.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/messages.hpp"
#include "core/rng.hpp"
#include "core/steam_id.hpp"
#include "core/time.hpp"

namespace kettle::bench {

enum class LobbyOp : std::uint8_t { create, join, leave, lobby_data, member_data, chat, list };
inline constexpr std::size_t kLobbyOps = 7;
std::string_view lobby_op_name(LobbyOp op) noexcept;

inline constexpr std::uint16_t kBenchLobbyMembers = 8;  // max members of every lobby created
inline constexpr std::uint16_t kBenchListResults = 20;  // RequestLobbyList max_results

// How an operation ended, for the worker's statistics.
struct LobbyOpDone {
  LobbyOp op = LobbyOp::create;
  Duration latency{};
  Instant started{};
  bool error = false;    // ErrorReply (limit_exceeded, access_denied, ...): counted, fails the run
  bool refused = false;  // join answered full / doesn't exist (another bot got there first)
  std::string error_text;
};

class LobbyBot {
 public:
  LobbyBot(std::uint32_t index, std::uint64_t seed) : index_(index), host_(index % kHostEvery == 0), rng_(seed) {}

  void set_id(SteamID id) noexcept { id_ = id; }
  SteamID id() const noexcept { return id_; }
  bool busy() const noexcept { return busy_; }
  SteamID lobby() const noexcept { return lobby_; }  // 0 outside
  std::uint64_t empty_searches() const noexcept { return empty_searches_; }

  // Picks the next operation and returns its request (request_id set). Must not be busy.
  control::Message start(Instant now);
  // Feeds one message that arrived on this bot's connection; returns the finished operation
  // when this message completed it. Error: a reply that matches no request in flight.
  Result<std::optional<LobbyOpDone>> on_message(const control::Message& m, Instant now);

 private:
  LobbyOp choose();
  bool chance(std::uint64_t percent) noexcept { return rng_.below(100) < percent; }
  std::optional<LobbyOpDone> maybe_finish(Instant now);
  LobbyOpDone finish(Instant now);
  bool in_lobby() const noexcept { return lobby_.value() != 0; }

  static constexpr std::uint32_t kHostEvery = 5;  // one player in five creates lobbies

  std::uint32_t index_;
  bool host_;
  Rng rng_;
  SteamID id_;
  SteamID lobby_;  // 0 outside
  bool owner_ = false;
  bool needs_setup_ = false;  // a new lobby: the next operation writes mode and level
  int ops_left_inside_ = 0;
  std::vector<SteamID> candidates_;  // from the last search
  std::uint64_t empty_searches_ = 0;
  std::uint64_t seq_ = 0;

  // The operation in flight.
  bool busy_ = false;
  LobbyOp op_ = LobbyOp::create;
  std::uint32_t request_id_ = 0;
  Instant started_{};
  bool need_reply_ = false;
  bool need_echo_ = false;  // the LobbyDataUpdate / LobbyChat every member (the writer too) gets
  std::string echo_;        // the unique value or chat text that identifies our echo
  bool refused_ = false;
};

}  // namespace kettle::bench
