// Server: wires the Store, the EventLoop + TransportDriver, the auth workers, ServerCore and
// the optional HTTP endpoint, and runs the I/O loop (see server.hpp).
#include "server/server.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/log.hpp"
#include "net/event_loop.hpp"
#include "net/transport_driver.hpp"
#include "server/auth_pool.hpp"
#include "server/relay/relay_socket.hpp"
#include "server/server_core.hpp"
#include "server/store/store.hpp"
#if KETTLE_SERVER_HTTP
#include "server/http/http_server.hpp"
#endif

#ifndef KETTLE_SERVER_VERSION
#define KETTLE_SERVER_VERSION "0.0.0"
#endif

namespace kettle::server {

namespace {

// How long stop() waits for clients to acknowledge queued replies before their CLOSE goes out
// anyway (the transport's close linger is longer; a shutdown should not be).
constexpr Duration kShutdownGrace = secs(1);

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Metrics metrics;
  std::unique_ptr<Store> store;
  std::unique_ptr<net::EventLoop> loop;
  std::unique_ptr<net::TransportDriver> driver;
  std::unique_ptr<relay::RelaySocket> relay;  // null when off; destroyed after core, which points into it
  std::unique_ptr<AuthPool> auth;
  std::unique_ptr<lobby::LobbyStore> lobby_store;  // outlives core, which writes to it
  std::unique_ptr<ServerCore> core;
#if KETTLE_SERVER_HTTP
  std::unique_ptr<HttpServer> http;
#endif
  std::optional<Address> http_address;
  std::string public_key_hex;
  std::uint64_t started_unix_s = 0;
  std::vector<nlohmann::json> apps_json;  // fixed at create(): the status callback runs on HTTP threads
  std::atomic<bool> running{false};
  std::thread thread;

  Status serve();
  void shutdown_sessions();
  void publish_relay_metrics();
  std::string status_json() const;
};

Result<std::unique_ptr<Server>> Server::create(const ServerOptions& options) {
  KETTLE_TRY(options.validate());
  KETTLE_TRY(crypto::init());
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  ServerOptions& o = impl->options;
  o.transport.accept_anonymous_peers = true;
  o.transport.idle_timeout = o.backend_liveness;
  o.transport.max_connections = o.max_clients;
  // The server pings idle clients well inside their own liveness window, too.
  o.transport.keepalive_interval = std::min(o.transport.keepalive_interval, o.backend_liveness / 3);
  impl->public_key_hex = public_key_hex(o.key.pub);
  impl->started_unix_s = unix_now_s();

  auto store = open_sqlite_store(o.db_path);
  if (!store) return std::move(store).error();
  impl->store = std::move(*store);
  for (const auto& rule : o.apps) {
    // The name is optional in a config file, as in `app add`: the same default.
    const std::string name = rule.name.empty() ? "app " + std::to_string(rule.app_id) : rule.name;
    KETTLE_TRY(impl->store->upsert_app(App{rule.app_id, name, rule.open}));
  }
  if (auto apps = impl->store->list_apps()) {
    for (const auto& app : *apps) {
      impl->apps_json.push_back({{"app_id", app.app_id}, {"name", app.name}, {"open", app.open}});
    }
  }

  // Lobbies do not survive a restart (src/server/lobby/lobby_store.hpp): drop the last run's.
  if (o.db_path == ":memory:") {
    impl->lobby_store = lobby::make_memory_lobby_store();
  } else {
    auto lobby_store = lobby::open_sqlite_lobby_store(o.db_path);
    if (!lobby_store) return std::move(lobby_store).error();
    impl->lobby_store = std::move(*lobby_store);
  }
  KETTLE_TRY(impl->lobby_store->clear());

  auto loop = net::EventLoop::create();
  if (!loop) return std::move(loop).error();
  impl->loop = std::move(*loop);
  auto endpoint = transport::Endpoint::create(o.transport, server_identity(o.key, unix_now_s()), crypto::random_u64());
  if (!endpoint) return std::move(endpoint).error();
  auto driver = net::TransportDriver::create(*impl->loop, std::move(*endpoint), o.udp);
  if (!driver) {
    Error e = std::move(driver).error();
    e.message = "UDP " + o.udp.to_string() + ": " + e.message;
    return e;
  }
  impl->driver = std::move(*driver);
  if (const auto relay_at = o.relay_bind_address()) {
    const relay::RelayLimits limits{o.relay_rate_bytes, o.relay_idle_timeout, o.relay_max_allocations};
    auto relay = relay::RelaySocket::create(*impl->loop, *relay_at, limits);
    if (!relay) return std::move(relay).error();
    impl->relay = std::move(*relay);
  }
  net::EventLoop* loop_ptr = impl->loop.get();
  impl->auth = std::make_unique<AuthPool>(o.auth_threads, [loop_ptr] { loop_ptr->wake(); });
  impl->core =
      std::make_unique<ServerCore>(o, *impl->store, impl->metrics, impl->driver->endpoint(), *impl->auth,
                                   impl->relay ? &impl->relay->table() : nullptr,
                                   impl->relay ? impl->relay->local_address().port : 0, impl->lobby_store.get());

  if (o.http) {
#if KETTLE_SERVER_HTTP
    const Impl* self = impl.get();
    auto http = HttpServer::start(*o.http, impl->metrics, [self] { return self->status_json(); });
    if (!http) return std::move(http).error();
    impl->http = std::move(*http);
    impl->http_address = impl->http->address();
#else
    return make_error(Errc::unsupported, "this build has no HTTP endpoint; set http to nullopt");
#endif
  }
  logger("server")->info(
      "listening udp={} relay={} http={} dev={} key={} db=\"{}\"", impl->driver->local_address().to_string(),
      impl->relay ? impl->relay->local_address().to_string() : "off",
      impl->http_address ? impl->http_address->to_string() : "off", o.dev, impl->public_key_hex, o.db_path);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

const Address& Server::udp_address() const noexcept { return impl_->driver->local_address(); }
std::optional<Address> Server::http_address() const noexcept { return impl_->http_address; }
std::optional<Address> Server::relay_address() const noexcept {
  if (!impl_->relay) return std::nullopt;
  return impl_->relay->local_address();
}
const crypto::SigningPublicKey& Server::public_key() const noexcept { return impl_->options.key.pub; }
const Metrics& Server::metrics() const noexcept { return impl_->metrics; }

Status Server::run() {
  if (impl_->running.exchange(true)) return make_error(Errc::invalid_argument, "server is already running");
  Status st = impl_->serve();
  impl_->running.store(false);
  return st;
}

Status Server::start() {
  if (impl_->thread.joinable() || impl_->running.exchange(true)) {
    return make_error(Errc::invalid_argument, "server is already running");
  }
  impl_->thread = std::thread([impl = impl_.get()] {
    if (auto st = impl->serve(); !st) logger("server")->error("I/O loop failed: {}", st.error().to_string());
    impl->running.store(false);
  });
  return {};
}

void Server::stop() noexcept { impl_->loop->stop(); }

Status Server::Impl::serve() {
  Status result;
  while (!loop->stop_requested()) {
    // The driver sleeps until a datagram, the engine's or the core's deadline, or a wake (auth
    // results, stop).
    if (auto st = driver->run_once(core->next_deadline()); !st) {
      result = std::move(st);
      break;
    }
    const Instant now = monotonic_now();
    core->process(now);
    if (auto st = core->flush_lobbies(); !st) logger("server")->error("lobby store: {}", st.error().to_string());
    if (relay) {
      if (auto st = relay->take_error(); !st) {
        result = std::move(st);
        break;
      }
      // Before the flush: a client that reads a reply (RelayAllocated, Ok to Logout) sees the
      // metrics that reply changed.
      publish_relay_metrics();
    }
    if (auto st = driver->flush(now); !st) {
      result = std::move(st);
      break;
    }
  }
  (void)loop->take_stop_request();
  shutdown_sessions();
  return result;
}

void Server::Impl::shutdown_sessions() {
  Instant now = monotonic_now();
  core->close_all(now);
  core->process(now);
  (void)driver->flush(now);
  const Instant deadline = now + kShutdownGrace;
  while (core->session_count() > 0 && monotonic_now() < deadline) {
    if (!driver->run_once(deadline)) break;
    now = monotonic_now();
    core->process(now);
    (void)driver->flush(now);
  }
  // Peers that did not acknowledge within the grace (one that stopped reading, or whose ack is
  // still in its delay) still get their CLOSE, so they learn of the shutdown at once instead of
  // by their idle timeout.
  now = monotonic_now();
  core->finish_closes(now);
  core->process(now);
  (void)driver->flush(now);
  core->flush_touches();
  (void)core->flush_lobbies();
  logger("server")->info("stopped sessions_left={}", core->session_count());
}

void Server::Impl::publish_relay_metrics() {
  const relay::RelayTable& t = relay->table();
  const relay::RelayCounters& c = t.counters();
  metrics.relay_allocations.store(t.live(), std::memory_order_relaxed);
  metrics.relay_allocations_total.store(c.allocations_total, std::memory_order_relaxed);
  metrics.relay_forwarded_datagrams.store(c.forwarded_datagrams, std::memory_order_relaxed);
  metrics.relay_forwarded_bytes.store(c.forwarded_bytes, std::memory_order_relaxed);
  for (std::size_t i = 0; i < relay::kDropReasons; ++i) {
    metrics.relay_dropped[i].store(c.dropped[i], std::memory_order_relaxed);
  }
  metrics.relay_dropped[kRelayDroppedSendFull].store(relay->send_dropped(), std::memory_order_relaxed);
}

std::string Server::Impl::status_json() const {
  nlohmann::json j;
  j["server"] = "kettle-server";
  j["version"] = KETTLE_SERVER_VERSION;
  j["control_version"] = control::kControlVersion;
  j["public_key"] = public_key_hex;
  j["dev"] = options.dev;
  j["udp"] = driver->local_address().to_string();
  // The relay's address is fixed at create(), so reading it from an HTTP thread is safe.
  j["relay"] = relay ? relay->local_address().to_string() : "off";
  j["started_unix_s"] = started_unix_s;
  const std::uint64_t now = unix_now_s();
  j["uptime_s"] = now > started_unix_s ? now - started_unix_s : 0;
  j["clients_online"] = metrics.clients_online.load(std::memory_order_relaxed);
  j["connections"] = metrics.connections.load(std::memory_order_relaxed);
  j["logins_ok"] = metrics.logins_ok.load(std::memory_order_relaxed);
  j["logins_failed"] = metrics.logins_failed.load(std::memory_order_relaxed);
  j["allow_list_online"] = options.allow_list_online;
  j["relay_allocations"] = metrics.relay_allocations.load(std::memory_order_relaxed);
  j["relay_forwarded_datagrams"] = metrics.relay_forwarded_datagrams.load(std::memory_order_relaxed);
  j["relay_forwarded_bytes"] = metrics.relay_forwarded_bytes.load(std::memory_order_relaxed);
  j["apps"] = apps_json;
  return j.dump();
}

}  // namespace kettle::server
