// One transport connection to kettle-server and, once logged in, the account behind it.
// Owned by ServerCore on the I/O thread; nothing here is shared with other threads.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>

#include "core/address.hpp"
#include "core/steam_id.hpp"
#include "crypto/keys.hpp"
#include "transport/endpoint.hpp"

namespace kettle::server {

// Application close codes the server puts in CLOSE (transport::Closed::app_code on the client),
// so a client can tell why it was dropped without parsing the message text.
inline constexpr std::uint16_t kCloseLogout = 0;
inline constexpr std::uint16_t kCloseLoggedInElsewhere = 1;
inline constexpr std::uint16_t kCloseServerShutdown = 2;
inline constexpr std::uint16_t kCloseSendBufferFull = 3;

// GetPersonas subscriptions one session may hold; further ids are answered but not watched,
// so a client cannot make the server keep an unbounded watcher table.
inline constexpr std::size_t kMaxWatchedPerSession = 10000;

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

  SteamID steam_id() const noexcept { return SteamID::individual(account_id); }
};

}  // namespace kettle::server
