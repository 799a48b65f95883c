// kettle-server as a library: the same object runs as the `kettle-server` binary
// (tools/server/main.cpp), in-process as kettle::EmbeddedServer, and in tests.
//
//   auto s = Server::create(options);   // opens the DB, binds UDP (and HTTP unless off)
//   s->start();                         // serves on its own thread ... or s->run() on this one
//   s->stop();                          // thread- and async-signal-safe; run() returns
//
// Inside: one I/O thread runs an EventLoop with the transport Endpoint (accepting anonymous
// peers: clients log in over the encrypted connection, docs/protocol.md §12), the session
// table, presence and persona watchers (ServerCore, server_core.hpp); password checks run on
// auth worker threads so a slow Argon2id never stalls the loop; the HTTP endpoint runs on
// cpp-httplib's threads and reads only the atomic Metrics.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/address.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "crypto/keys.hpp"
#include "server/relay/relay_table.hpp"
#include "transport/config.hpp"

namespace kettle::server {

// An app the server serves. open: every account may use it; else only the listed login names
// (and accounts granted in the database) are entitled.
struct AppRule {
  std::uint32_t app_id = 0;
  std::string name;
  bool open = true;
  std::vector<std::string> allow;  // login names
  // Answer this app's failed signals with the reason (offline vs in another app) so clients in
  // precise_session_errors mode can report P2P errors 3 and 1 at once (p2p-api.md §5). Off by
  // default: it tells any client of the app who is online elsewhere. Consulted in dev mode too.
  bool precise_session_errors = false;
};

struct ServerOptions {
  Address udp = Address::loopback_v4(27015);
  std::optional<Address> http = Address::loopback_v4(27080);  // nullopt: no HTTP endpoint
  std::string db_path = "kettle.db";                          // ":memory:" for a throwaway DB
  bool dev = false;            // any name logs in without a password (account auto-created); any app_id, open
  crypto::SigningKeyPair key;  // signs certificates; clients pin key.pub
  Duration certificate_lifetime = secs(3600);  // clients refresh at 2/3 of it
  Duration backend_liveness = secs(20);        // silent client → offline (transport idle timeout)
  std::vector<AppRule> apps;                   // ignored in dev mode (every app is open)
  bool allow_list_online = true;               // serve ListOnline (kettle-cli online)
  bool precise_session_errors = false;         // AppRule::precise_session_errors for every app
  std::size_t auth_threads = 2;                // password hashing workers, [1, 64]
  std::uint32_t max_clients = 10000;           // connections, including pending handshakes
  transport::Config transport;                 // accept_anonymous_peers is forced on
  // The relay's UDP address (docs/protocol.md §13): nullopt disables it (AllocateRelay is
  // answered unsupported). An unset Address, the default, means udp's host with port
  // udp.port + 1, or an ephemeral port when udp.port is 0.
  std::optional<Address> relay = Address{};
  std::uint64_t relay_rate_bytes = 8'000'000;  // per allocation, token bucket with a 1 s burst
  Duration relay_idle_timeout = secs(60);      // an allocation without a forwarded datagram is dropped
  std::uint32_t relay_max_allocations = 64;    // per session, counting the allocations it asked for

  Status validate() const;
  // The address the relay binds: `relay` with the default resolved; nullopt when disabled.
  // Inline: the config layer uses it without linking the server.
  std::optional<Address> relay_bind_address() const {
    if (!relay) return std::nullopt;
    if (relay->is_set()) return *relay;
    Address a = udp;
    a.port = udp.port == 0 ? 0 : static_cast<std::uint16_t>(udp.port + 1);
    return a;
  }
};

// Counters for /metrics and /api/status. Monotonic unless noted; updated by the I/O thread.
struct Metrics {
  std::atomic<std::uint64_t> clients_online{0};  // gauge: logged-in sessions
  std::atomic<std::uint64_t> connections{0};     // gauge: transport connections (incl. not logged in)
  std::atomic<std::uint64_t> logins_ok{0};
  std::atomic<std::uint64_t> logins_failed{0};
  std::atomic<std::uint64_t> messages_in{0};
  std::atomic<std::uint64_t> messages_out{0};
  std::atomic<std::uint64_t> bytes_in{0};  // control message bytes
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> errors{0};  // ErrorReply sent + malformed messages
  std::atomic<std::uint64_t> signals_relayed{0};
  std::atomic<std::uint64_t> certificates_issued{0};
  // Relay (published by the I/O thread after each batch of relay datagrams and each loop turn).
  std::atomic<std::uint64_t> relay_allocations{0};  // gauge: live allocations
  std::atomic<std::uint64_t> relay_allocations_total{0};
  std::atomic<std::uint64_t> relay_forwarded_datagrams{0};
  std::atomic<std::uint64_t> relay_forwarded_bytes{0};
  // Datagrams the relay did not forward, by relay::Drop, then one more: the socket's send
  // buffer was full.
  std::array<std::atomic<std::uint64_t>, relay::kDropReasons + 1> relay_dropped{};
};
inline constexpr std::size_t kRelayDroppedSendFull = relay::kDropReasons;
// Label values for Metrics::relay_dropped.
constexpr std::string_view relay_dropped_reason(std::size_t i) noexcept {
  return i < relay::kDropReasons ? relay::drop_name(static_cast<relay::Drop>(i)) : "send_buffer_full";
}

class Server {
 public:
  // Errors: invalid_argument (options), io (bind: "UDP 127.0.0.1:27015: address already in
  // use"; DB path), malformed (corrupt DB), unsupported (DB from a newer version).
  static Result<std::unique_ptr<Server>> create(const ServerOptions& options);
  ~Server();  // stops and joins if started
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  const Address& udp_address() const noexcept;            // actual bound address (port 0 resolved)
  std::optional<Address> relay_address() const noexcept;  // actual bound relay address, if enabled
  std::optional<Address> http_address() const noexcept;   // actual bound address, if enabled
  const crypto::SigningPublicKey& public_key() const noexcept;
  const Metrics& metrics() const noexcept;

  // Serves on the calling thread until stop(). Errors: io (the loop or socket failed).
  Status run();
  // Serves on an internal thread. Errors: invalid_argument (already started).
  Status start();
  // Thread-safe and async-signal-safe: run() returns / the thread ends after the current
  // iteration; sessions are closed with CLOSE so clients learn at once.
  void stop() noexcept;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The server key file: 32-byte Ed25519 seed as 64 hex characters and a newline. Created with
// mode 0600 when missing. Errors: io (cannot read/create), malformed (not 64 hex chars),
// invalid_argument (existing file readable by group/others: "chmod 600 PATH").
Result<crypto::SigningKeyPair> load_or_create_key(const std::string& path);

// The public key as clients pass it (--server-key): 64 lowercase hex characters.
std::string public_key_hex(const crypto::SigningPublicKey& key);
// Errors: malformed ("server key must be 64 hex characters").
Result<crypto::SigningPublicKey> parse_public_key_hex(std::string_view hex);

}  // namespace kettle::server
