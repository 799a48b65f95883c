// One transport connection to kettle-server and, once logged in, the account behind it.
// Owned by ServerCore on the I/O thread; nothing here is shared with other threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_set>

#include "core/address.hpp"
#include "core/steam_id.hpp"
#include "core/time.hpp"
#include "crypto/keys.hpp"
#include "transport/endpoint.hpp"

namespace kettle::server {

// Application close codes the server puts in CLOSE (transport::Closed::app_code on the client),
// so a client can tell why it was dropped without parsing the message text.
inline constexpr std::uint16_t kCloseLogout = 0;
inline constexpr std::uint16_t kCloseLoggedInElsewhere = 1;
inline constexpr std::uint16_t kCloseServerShutdown = 2;
inline constexpr std::uint16_t kCloseSendBufferFull = 3;
inline constexpr std::uint16_t kCloseLoginTimeout = 4;  // connected but no login within backend_liveness

// GetPersonas subscriptions one session may hold; further ids are answered but not watched,
// so a client cannot make the server keep an unbounded watcher table.
inline constexpr std::size_t kMaxWatchedPerSession = 10000;

// Request budget per session: a token bucket refilled at `rate` per second up to `burst`.
// It keeps one client from monopolising the I/O thread (GetPersonas does a database lookup
// per id) or flooding another user with relayed signals.
struct RateBucket {
  double rate = 0;
  double burst = 0;
  double tokens = 0;
  Instant last{};

  RateBucket(double rate_per_s, double burst_size) : rate(rate_per_s), burst(burst_size), tokens(burst_size) {}
  // Takes `cost` tokens if available.
  bool take(double cost, Instant now) {
    if (last != Instant{}) tokens = std::min(burst, tokens + rate * static_cast<double>(to_us(now - last)) / 1e6);
    last = now;
    if (tokens < cost) return false;
    tokens -= cost;
    return true;
  }
};

// Requests cost 1 unit, GetPersonas 1 + ids/10 (so a full 1000-id lookup is 101 units).
inline constexpr double kRequestUnitsPerSecond = 500;
inline constexpr double kRequestUnitsBurst = 1000;
// Signals relayed per second from one session (they land on other users' connections).
inline constexpr double kSignalsPerSecond = 100;
inline constexpr double kSignalsBurst = 200;

struct Session {
  transport::ConnectionId conn = 0;
  std::uint64_t serial = 0;  // unique for the server's lifetime: auth results find their session by it
  crypto::SigningPublicKey peer_key;
  Address peer_address;

  bool login_pending = false;  // a password check is running on an auth worker
  bool logged_in = false;      // and the online owner of account_id
  std::uint32_t account_id = 0;
  std::string login_name;
  std::string persona_name;
  std::uint32_t app_id = 0;

  std::unordered_set<std::uint32_t> watching;  // account ids this session gets PersonaChanged for

  RateBucket requests{kRequestUnitsPerSecond, kRequestUnitsBurst};
  RateBucket signals{kSignalsPerSecond, kSignalsBurst};

  SteamID steam_id() const noexcept { return SteamID::individual(account_id); }
};

}  // namespace kettle::server
