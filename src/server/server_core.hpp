// The protocol logic of kettle-server: sessions, login, persona names, presence, signal relay
// and relay allocations (docs/server.md; the relay's datagram path is server/relay). Sans-IO
// like the transport below it: the I/O thread feeds it the Endpoint's events and channel-0
// messages and runs auth completions; it answers through Endpoint::send/close. Everything here
// runs on that one thread except the jobs it hands to the AuthPool, which touch only the Store
// (thread-safe) and their own captured values.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "control/messages.hpp"
#include "core/time.hpp"
#include "crypto/certificate.hpp"
#include "server/auth_pool.hpp"
#include "server/lobby/lobby_store.hpp"
#include "server/lobby/lobby_table.hpp"
#include "server/relay/relay_table.hpp"
#include "server/server.hpp"
#include "server/session.hpp"
#include "server/store/store.hpp"
#include "transport/endpoint.hpp"

namespace kettle::server {

// The server's own identity on the wire: a "game server" SteamID (universe 1, type 3,
// account 1), app 0, self-issued by the server key with a ~100-year expiry.
inline constexpr SteamID kServerSteamID{0x0130000000000001ULL};
crypto::Identity server_identity(const crypto::SigningKeyPair& key, std::uint64_t now_unix_s);

class ServerCore {
 public:
  // `relay` is null when the relay is off; relay_port is its bound port (RelayAllocated carries it).
  // `lobby_store` null: lobbies are kept in memory only.
  ServerCore(const ServerOptions& options, Store& store, Metrics& metrics, transport::Endpoint& endpoint,
             AuthPool& auth, relay::RelayTable* relay = nullptr, std::uint16_t relay_port = 0,
             lobby::LobbyStore* lobby_store = nullptr);
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  // Drains the endpoint's events and messages and the auth completions. I/O thread.
  void process(Instant now);
  void on_event(const transport::Event& ev, Instant now);
  void on_message(const transport::Message& m, Instant now);

  // When process() next has timed work (closing connections that never logged in).
  Instant next_deadline() const noexcept;

  // Writes the lobby changes of this turn to the lobby store (docs/server.md "Lobbies").
  Status flush_lobbies();
  std::size_t lobby_count() const noexcept { return lobbies_.lobby_count(); }

  // Closes every session with kCloseServerShutdown (CLOSE reaches clients at once).
  void close_all(Instant now);
  // Ends the linger of every close_all() session still waiting for acknowledgements.
  void finish_closes(Instant now);
  // Writes the batched last_seen updates now (process() does it once a second; shutdown at the end).
  void flush_touches();
  std::size_t session_count() const noexcept { return sessions_.size(); }
  std::size_t online_count() const noexcept { return online_.size(); }

 private:
  using Conn = transport::ConnectionId;

  Session* find(Conn c);
  void send(Session& s, std::uint32_t request_id, control::Body body, Instant now);
  void send_error(Session& s, std::uint32_t request_id, control::ResultCode code, std::string message, Instant now);
  void dispatch(Session& s, control::Message m, Instant now);

  // ---- login (login.cpp) ----
  void handle_login(Session& s, std::uint32_t rid, control::Login login, Instant now);
  void login_dev(Session& s, std::uint32_t rid, const control::Login& login, Instant now);
  void login_password(Session& s, std::uint32_t rid, control::Login login, Instant now);
  void login_token(Session& s, std::uint32_t rid, const control::Login& login, Instant now);
  void login_certificate(Session& s, std::uint32_t rid, const control::Login& login, Instant now);
  void login_failed(Session& s, std::uint32_t rid, control::ResultCode code, std::string message, Instant now);
  void complete_login(Session& s, std::uint32_t rid, const Account& account, std::uint32_t app_id, Instant now);
  bool entitled(const Account& account, std::uint32_t app_id);
  crypto::Certificate issue_certificate(const Session& s);

  // ---- requests after login ----
  void handle_refresh(Session& s, std::uint32_t rid, Instant now);
  void handle_set_persona(Session& s, std::uint32_t rid, const control::SetPersonaName& m, Instant now);
  void handle_get_personas(Session& s, std::uint32_t rid, const control::GetPersonas& m, Instant now);
  void handle_list_online(Session& s, std::uint32_t rid, const control::ListOnline& m, Instant now);
  void handle_send_signal(Session& s, std::uint32_t rid, control::SendSignal m, Instant now);
  void handle_logout(Session& s, std::uint32_t rid, Instant now);
  void handle_allocate_relay(Session& s, std::uint32_t rid, const control::AllocateRelay& m, Instant now);
  // The logged-in session of `id` if it is in `app_id`. Users in other apps are invisible to
  // signaling and the relay, exactly as if offline (docs/protocol.md §13.1).
  // The logged-in session of `id`, if it runs `app_id` (any app: nullopt).
  Session* online_in_app(SteamID id, std::optional<std::uint32_t> app_id);
  bool precise_errors_for(std::uint32_t app_id) const;

  // ---- lobbies (server_lobbies.cpp) ----
  // False (nothing sent) if `body` is not a lobby request.
  bool handle_lobby(Session& s, std::uint32_t rid, const control::Body& body, Instant now);
  void deliver(lobby::Deliveries& out, Instant now);
  // Before a logged-in session ends: its user leaves every lobby (`why`: left or disconnected).
  void leave_lobbies(const Session& s, control::MemberChange why, Instant now);
  void drop_relays(const Session& s);

  // ---- presence ----
  control::PersonaInfo persona_of(const Session& s) const;
  void go_offline(Session& s, Instant now);
  void notify_watchers(std::uint32_t account_id, const control::PersonaInfo& info, std::uint32_t flags, Instant now);
  void unwatch_all(Session& s);
  void update_gauges();
  void expire_logins(Instant now);
  // last_seen is batched: one SQLite commit per second instead of one per login and logout,
  // which measured ~80 µs each, a third of a login's server CPU.
  void touch_later(std::uint32_t account_id, Instant now);
  std::vector<Store::Touch> touches_;
  Instant touch_flush_at_ = kInstantNever;

  const ServerOptions& options_;
  Store& store_;
  Metrics& metrics_;
  transport::Endpoint& endpoint_;
  AuthPool& auth_;
  relay::RelayTable* relay_;
  std::uint16_t relay_port_;
  std::unordered_map<std::uint32_t, std::unordered_set<std::string>> app_allow_;  // AppRule::allow by app
  std::unordered_set<std::uint32_t> precise_apps_;                                // AppRule::precise_session_errors
  std::unique_ptr<lobby::LobbyStore> own_lobby_store_;                            // when the owner passed none
  lobby::LobbyStore& lobby_store_;
  lobby::LobbyTable lobbies_;
  std::unordered_map<Conn, std::unique_ptr<Session>> sessions_;
  std::unordered_map<std::uint32_t, Conn> online_;                        // account id → the session that owns it
  std::unordered_map<std::uint32_t, std::unordered_set<Conn>> watchers_;  // account id → watching sessions
  // Connections that must log in by the deadline (FIFO: deadlines are now + a constant).
  struct LoginDeadline {
    Instant at;
    Conn conn;
    std::uint64_t serial;
  };
  std::deque<LoginDeadline> login_deadlines_;
  std::uint64_t next_serial_ = 1;
  transport::Message msg_;  // reused by process()
};

}  // namespace kettle::server
