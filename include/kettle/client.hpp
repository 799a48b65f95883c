// kettle::Client — one logged-in user (spec ../shared/spec/p2p-api.md §0.4, §1).
//
//   auto client = kettle::Client::Create();
//   kettle::ClientConfig cfg;                  // server = "embedded" by default: no server to run
//   cfg.login_name = "alice";
//   if (auto r = client->Init(cfg); r.code != kettle::k_ESteamAPIInitResult_OK) { ... r.message ... }
//   client->Subscribe<kettle::PersonaStateChange_t>([](const auto& cb) { ... });
//   every frame: client->RunCallbacks();
//
// Threading (Steam's contract): by default the client owns one I/O thread; nothing
// user-visible runs on it. Callbacks are queued and delivered only inside RunCallbacks(), on
// the caller's thread, in order; callbacks posted during a RunCallbacks() wait for the next
// one; a nested RunCallbacks() from a handler returns at once. With manual_pump there is no
// thread: RunCallbacks() (or Pump()) also does the network I/O. All methods are thread-safe.
// Several Client objects may live in one process, each its own user.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "kettle/callbacks.hpp"
#include "kettle/matchmaking.hpp"
#include "kettle/networking.hpp"
#include "kettle/types.hpp"

namespace kettle {

struct ClientConfig {
  // "embedded": the process-wide in-process server (EmbeddedServer::shared(), dev mode), or
  // "HOST:PORT" of a kettle-server; then server_key (64 hex chars, `kettle-server
  // --print-public-key`) is required.
  std::string server = "embedded";
  std::string server_key;
  AppId_t app_id = 480;
  // Credentials. With only a login name the client asks for dev login (server must run --dev).
  std::string login_name;
  std::string password;  // never logged
  std::string token;     // alternative to password; never logged
  // No I/O thread: RunCallbacks()/Pump() drive the network. For engines and tests.
  bool manual_pump = false;
  // Timing (spec §0.6); shrink them in tests.
  double login_timeout_s = 10;           // Init waits this long for the server
  double reconnect_min_s = 0.25;         // backoff after losing the server: min, doubling ...
  double reconnect_max_s = 8;            // ... up to max
  double backend_liveness_s = 20;        // silent server → disconnected
  std::string local_bind = "0.0.0.0:0";  // the client's UDP socket (shared by server and P2P traffic)
  // P2P (spec §0.6, §5).
  double p2p_connect_timeout_s = 20;   // an attempt not active by then fails with error 4
  double p2p_pending_hold_s = 20;      // unaccepted incoming data is dropped after this
  double p2p_direct_timeout_s = 3;     // no direct path by then: try kettle-server's relay
  double p2p_liveness_timeout_s = 20;  // an active session hearing nothing this long fails with error 4
  // p2p-api.md §5: a peer offline/unknown fails at once with error 3, one in another app with 1,
  // if the server's policy for this app allows it (docs/server.md); else 4 at the timeout.
  bool precise_session_errors = false;
  // Kettle extension: every P2P session goes through kettle-server's relay; peers never learn
  // this player's IP address (and AllowP2PPacketRelay(false) cannot turn the relay off).
  bool p2p_relay_only = false;
  // Lobbies (spec §0.6).
  double lobby_join_timeout_s = 10;  // CreateLobby/JoinLobby without an answer: failure
  double lobby_list_timeout_s = 20;  // RequestLobbyList without an answer: empty, io failure
  double lobby_data_batch_s = 0.1;   // own lobby/member data writes coalesced this long
};

struct InitResult {
  ESteamAPIInitResult code = k_ESteamAPIInitResult_FailedGeneric;
  // Why, in words: "wrong password for alice", "kettle-server at 127.0.0.1:27015 did not answer within 10 s".
  std::string message;
};

using CallbackHandle = std::uint64_t;

class Client {
 public:
  static std::unique_ptr<Client> Create();
  ~Client();  // Shutdown()
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Blocking login (login_timeout). After OK, GetSteamID/GetPersonaName are valid at once.
  InitResult Init(const ClientConfig& cfg);
  void Shutdown();
  void RunCallbacks();
  // Manual-pump mode: network I/O without delivering callbacks. No-op with an I/O thread.
  void Pump();

  // ---- User ----
  bool BLoggedOn() const;  // false while reconnecting
  bool IsLoggedOn() const { return BLoggedOn(); }
  SteamID GetSteamID() const;  // invalid (0) before Init

  // ---- Friends ----
  std::string GetPersonaName() const;
  // Asynchronous on the server; the local name changes at once and PersonaStateChange_t
  // (k_EPersonaChangeName) follows for this user. Returns k_uAPICallInvalid if the name is
  // invalid (empty, > 128 bytes, not UTF-8, control characters) or not logged on.
  SteamAPICall_t SetPersonaName(std::string_view name);
  std::string GetFriendPersonaName(SteamID id);  // spec §1.2 rules: "" and a fetch if unknown
  EPersonaState GetFriendPersonaState(SteamID id);
  EPersonaState GetPersonaState() const;
  bool RequestUserInformation(SteamID id, bool name_only);

  // Kettle extension: asks the server who is online (app_id 0: every app); the answer comes as
  // KettleOnlineList_t through RunCallbacks. False if not logged on.
  bool RequestOnlineList(AppId_t app_id = 0);

  // ---- Networking (P2P) ----
  Networking& networking() noexcept { return networking_; }
  // ---- Matchmaking (lobbies) ----
  Matchmaking& matchmaking() noexcept { return matchmaking_; }

  // Kettle extension (kettle-cli doctor): how this client is reachable. Empty strings before login.
  struct NetworkInfo {
    std::string local_socket;  // the UDP socket's bound address ("0.0.0.0:PORT" when wildcard)
    std::string reflexive;     // this client's address as kettle-server saw it at login
  };
  NetworkInfo GetNetworkInfo() const;

  // ---- Apps ----
  bool BIsSubscribedApp(AppId_t app_id) const;  // only the app logged in to is known
  AppId_t GetAppID() const;

  // ---- callbacks ----
  // Kettle extension for event-driven hosts (kettle-agent): `fn` runs whenever P2P packets have
  // become readable — on the I/O thread, or on the thread that made them readable (an accept,
  // a loopback send) — with an internal lock held: it must be quick and must not call this
  // Client (write an eventfd, notify a condition variable). An empty function removes it.
  void SetP2PPacketListener(std::function<void()> fn);

  template <class T>
  CallbackHandle Subscribe(std::function<void(const T&)> fn) {
    return subscribe_raw(T::k_iCallback, [f = std::move(fn)](const void* p) { f(*static_cast<const T*>(p)); });
  }
  template <class T>
  CallbackHandle On(std::function<void(const T&)> fn) {
    return Subscribe<T>(std::move(fn));
  }
  void Unsubscribe(CallbackHandle h);

  struct Impl;

 private:
  Client();
  CallbackHandle subscribe_raw(int callback_id, std::function<void(const void*)> fn);
  friend class Networking;
  friend class Matchmaking;
  std::unique_ptr<Impl> impl_;
  Networking networking_{*this};
  Matchmaking matchmaking_{*this};
};

// A full kettle-server in this process on 127.0.0.1 (random ports), dev mode, with a temporary
// database unless db_path is given. ClientConfig{server = "embedded"} uses shared().
class EmbeddedServer {
 public:
  struct Options {
    std::string db_path;  // empty: a fresh temporary file, deleted on destruction
    bool http = false;    // also serve /healthz, /metrics, /api/status on a random port
    // For restarting "the same server" (tests): a fixed UDP address and signing key. Defaults:
    // a random loopback port and a fresh random key.
    std::string udp = "127.0.0.1:0";
    std::string key_seed_hex;  // 64 hex chars (the kettle-server key file format); secret
    double certificate_lifetime_s = 3600;
    double backend_liveness_s = 20;
    // Answer clients in precise_session_errors mode (p2p-api.md §5) with the reason a peer is
    // unreachable. On: this is a development/LAN server (a public server keeps it off).
    bool precise_session_errors = true;
  };
  // nullptr with `error` filled if the server could not start.
  static std::unique_ptr<EmbeddedServer> Start(const Options& options, std::string* error = nullptr);
  // The process-wide instance, started on first use and kept until exit.
  static EmbeddedServer* shared(std::string* error = nullptr);
  ~EmbeddedServer();

  std::string address() const;       // "127.0.0.1:PORT"
  std::string public_key() const;    // 64 hex chars
  std::string http_address() const;  // "" if no HTTP
  // For a ClientConfig: server = address(), server_key = public_key().
  void configure(ClientConfig& cfg) const;

  struct Impl;

 private:
  explicit EmbeddedServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kettle
