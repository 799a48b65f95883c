// The client's connection to kettle-server: transport endpoint over UDP, login, certificate
// refresh, reconnect with backoff, and the persona requests queued by the API.
//
// Single-threaded: step() and everything else except wake() run on one thread at a time (the
// I/O thread, or under Client's pump mutex in manual mode). Results go to ClientState (under its
// mutex) and to the CallbackQueue.
//
// Phases: connecting (handshake) → logging_in (Login sent on control channel 0) → online. While
// Init runs, any failure is final (init_outcome()). After a successful Init a lost connection
// becomes `waiting` (backoff) and the cycle repeats, resuming with the held certificate while it
// is valid.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "client/callback_queue.hpp"
#include "client/client_state.hpp"
#include "client/lobby_io.hpp"
#include "client/lobby_shared.hpp"
#include "control/messages.hpp"
#include "core/address.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "crypto/certificate.hpp"
#include "crypto/keys.hpp"
#include "kettle/client.hpp"
#include "net/event_loop.hpp"
#include "net/transport_driver.hpp"
#include "p2p/session_manager.hpp"
#include "p2p/shared.hpp"

namespace kettle::client {

// ClientConfig after validation (client_config.hpp).
struct SessionConfig {
  Address server;
  std::string server_text;  // as the user wrote it, for messages
  crypto::SigningPublicKey server_key;
  AppId_t app_id = 0;
  control::LoginMethod method = control::LoginMethod::dev;
  std::string login_name;
  std::string secret;  // never logged
  Duration login_timeout = secs(10);
  Duration reconnect_min = ms(250);
  Duration reconnect_max = secs(8);
  Duration backend_liveness = secs(20);
  Duration p2p_liveness = secs(20);
  Address local_bind;
  p2p::Timing p2p;
  LobbyTiming lobby;
};

class ServerSession final : private p2p::Host {
 public:
  // Binds the UDP socket. Errors: invalid_argument (transport config), io (bind).
  static Result<std::unique_ptr<ServerSession>> create(const SessionConfig& config, ClientState& state,
                                                       CallbackQueue& callbacks, p2p::Shared& p2p,
                                                       LobbyShared& lobbies);
  ~ServerSession() override;
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  // Starts the first connect; Init then calls step() until init_outcome() is set.
  void begin_init(Instant now);
  const std::optional<InitResult>& init_outcome() const noexcept { return init_outcome_; }

  // Applies queued commands, waits for I/O until `wait_until` or the session's own next timer
  // (whichever is first; a past instant does not block), handles what arrived and the timers.
  void step(Instant wait_until);
  // Thread-safe: makes a blocked step() return (a command was queued, or the thread should stop).
  void wake() noexcept { loop_->wake(); }
  // Closes the server connection (CLOSE goes out before this returns, bounded by ~250 ms).
  void close(std::string_view why);

 private:
  enum class Phase { idle, connecting, logging_in, online, waiting, closed };
  struct LoginRequest {
    control::LoginMethod method;
  };
  struct RefreshRequest {};
  struct SetNameRequest {
    std::string name;
  };
  struct FetchRequest {
    std::vector<SteamID> ids;
  };
  struct ListOnlineRequest {};
  struct SignalRequest {
    SteamID to;
    std::vector<std::uint8_t> payload;  // kept to resend when the server says "slow down"
  };
  struct RelayRequest {
    SteamID peer;
  };
  struct LobbyRequest {};  // LobbyIo keeps the details by request id
  using Pending = std::variant<LoginRequest, RefreshRequest, SetNameRequest, FetchRequest, ListOnlineRequest,
                               SignalRequest, RelayRequest, LobbyRequest>;

  ServerSession(const SessionConfig& config, ClientState& state, CallbackQueue& callbacks, p2p::Shared& p2p,
                LobbyShared& lobbies);

  // p2p::Host
  transport::Endpoint& endpoint() override { return driver_->endpoint(); }
  void send_raw(Bytes datagram, const Address& to) override;
  bool send_signal(SteamID to, std::vector<std::uint8_t> payload, Instant now) override;
  bool request_relay(SteamID peer, Instant now) override;
  bool persona_known(SteamID id) override;
  void post_session_request(SteamID from) override;
  void post_connect_fail(SteamID remote, int error) override;
  p2p::RelayGrant grant(std::uint64_t allocation, const control::RelayToken& token, std::uint16_t port,
                        SteamID peer) const;

  void start_connect(Instant now);
  void send_login(Instant now, bool allow_resume);
  std::uint32_t send_request(control::Body body, Pending pending, Instant now);
  void apply_commands(Instant now);
  void handle_events(Instant now);
  void handle_messages(Instant now);
  void handle_message(control::Message m, Instant now);
  void on_login_ok(const control::LoginOk& ok, Instant now);
  void on_login_error(const control::ErrorReply& e, control::LoginMethod method, Instant now);
  void on_personas(const std::vector<control::PersonaInfo>& personas, const std::vector<SteamID>& asked);
  void on_persona_changed(const control::PersonaChanged& pc);
  void install_certificate(const crypto::Certificate& cert, Instant now);
  void on_connection_lost(std::string why, Instant now);
  void attempt_failed(std::string why, Instant now);
  void on_logged_in_elsewhere();
  void fail_init(ESteamAPIInitResult code, std::string message);
  void handle_timers(Instant now);
  Instant next_timer() const;
  std::uint64_t server_now_s() const;
  bool certificate_usable() const;
  void resend_after_login(Instant now);
  void flush(Instant now);
  void schedule_retry(Instant now);
  void send_fetch(const std::vector<SteamID>& ids, Instant now);
  // Lobby member lists carry names: the name cache is complete before LobbyEnter_t (spec §3.2).
  void learn_lobby_names(const control::Body& body);

  SessionConfig config_;
  ClientState& state_;
  CallbackQueue& callbacks_;
  crypto::SigningKeyPair key_;
  std::unique_ptr<net::EventLoop> loop_;
  std::unique_ptr<net::TransportDriver> driver_;  // destroyed before loop_
  p2p::Shared& p2p_shared_;
  LobbyShared& lobbies_;
  std::unique_ptr<p2p::SessionManager> p2p_;  // the driver's tap; outlives nothing it points to
  std::unique_ptr<LobbyIo> lobby_io_;

  Phase phase_ = Phase::idle;
  bool initializing_ = false;
  std::optional<InitResult> init_outcome_;
  Instant attempt_deadline_ = kInstantNever;  // connecting or logging_in gives up here
  std::uint64_t auth_drops_at_connect_ = 0;

  transport::ConnectionId conn_ = 0;
  std::uint32_t next_request_id_ = 1;
  std::unordered_map<std::uint32_t, Pending> pending_;
  transport::Message rx_;

  std::optional<crypto::Certificate> certificate_;
  std::int64_t time_offset_s_ = 0;
  Instant refresh_at_ = kInstantNever;
  bool refresh_in_flight_ = false;

  Duration backoff_;
  Instant reconnect_at_ = kInstantNever;
  std::optional<std::string> unacked_name_;  // SetPersonaName not yet confirmed by the server
  // Requests the server refused with limit_exceeded, sent again at retry_at_.
  Instant retry_at_ = kInstantNever;
  std::vector<SteamID> retry_fetch_;
  std::vector<SignalRequest> retry_signals_;
  bool retry_name_ = false;
  bool io_error_logged_ = false;
};

// "10 s", "0.5 s": durations in the words of InitResult messages.
std::string seconds_text(Duration d);

}  // namespace kettle::client
