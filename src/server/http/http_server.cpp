#include "server/http/http_server.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

namespace kettle::server {

namespace {

// cpp-httplib wants the bare host ("::1", not "[::1]").
std::string host_of(const Address& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.family == Address::Family::v6) {
    inet_ntop(AF_INET6, a.ip.data(), buf, sizeof buf);
  } else {
    inet_ntop(AF_INET, a.ip.data(), buf, sizeof buf);
  }
  return buf;
}

void add_metric(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void add_sample(std::string& out, const char* name, const char* labels, const std::atomic<std::uint64_t>& v) {
  out += name;
  out += labels;
  out += ' ';
  out += std::to_string(v.load(std::memory_order_relaxed));
  out += '\n';
}

constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace

std::string render_metrics(const Metrics& m) {
  std::string out;
  out.reserve(2048);
  add_metric(out, "kettle_clients_online", "gauge", "Logged-in client sessions.");
  add_sample(out, "kettle_clients_online", "", m.clients_online);
  add_metric(out, "kettle_connections", "gauge", "Transport connections, including ones not logged in.");
  add_sample(out, "kettle_connections", "", m.connections);
  add_metric(out, "kettle_logins_total", "counter", "Login attempts by result.");
  add_sample(out, "kettle_logins_total", "{result=\"ok\"}", m.logins_ok);
  add_sample(out, "kettle_logins_total", "{result=\"failed\"}", m.logins_failed);
  add_metric(out, "kettle_messages_total", "counter", "Control messages by direction.");
  add_sample(out, "kettle_messages_total", "{direction=\"in\"}", m.messages_in);
  add_sample(out, "kettle_messages_total", "{direction=\"out\"}", m.messages_out);
  add_metric(out, "kettle_bytes_total", "counter", "Control message bytes by direction.");
  add_sample(out, "kettle_bytes_total", "{direction=\"in\"}", m.bytes_in);
  add_sample(out, "kettle_bytes_total", "{direction=\"out\"}", m.bytes_out);
  add_metric(out, "kettle_errors_total", "counter", "Error replies sent plus malformed messages received.");
  add_sample(out, "kettle_errors_total", "", m.errors);
  add_metric(out, "kettle_signals_relayed_total", "counter", "Peer signalling messages relayed.");
  add_sample(out, "kettle_signals_relayed_total", "", m.signals_relayed);
  add_metric(out, "kettle_certificates_issued_total", "counter", "Client certificates signed.");
  add_sample(out, "kettle_certificates_issued_total", "", m.certificates_issued);
  add_metric(out, "kettle_relay_allocations", "gauge", "Live relay allocations.");
  add_sample(out, "kettle_relay_allocations", "", m.relay_allocations);
  add_metric(out, "kettle_relay_allocations_total", "counter", "Relay allocations made.");
  add_sample(out, "kettle_relay_allocations_total", "", m.relay_allocations_total);
  add_metric(out, "kettle_relay_forwarded_datagrams_total", "counter", "Datagrams the relay forwarded.");
  add_sample(out, "kettle_relay_forwarded_datagrams_total", "", m.relay_forwarded_datagrams);
  add_metric(out, "kettle_relay_forwarded_bytes_total", "counter", "Bytes the relay forwarded (whole datagrams).");
  add_sample(out, "kettle_relay_forwarded_bytes_total", "", m.relay_forwarded_bytes);
  add_metric(out, "kettle_relay_dropped_total", "counter", "Datagrams the relay did not forward, by reason.");
  for (std::size_t i = 0; i < m.relay_dropped.size(); ++i) {
    const std::string labels = "{reason=\"" + std::string(relay_dropped_reason(i)) + "\"}";
    add_sample(out, "kettle_relay_dropped_total", labels.c_str(), m.relay_dropped[i]);
  }
  return out;
}

struct HttpServer::Impl {
  httplib::Server http;
  std::thread thread;
  Address address;
  std::atomic<bool> stopped{false};
  std::atomic<bool> listen_returned{false};
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

const Address& HttpServer::address() const noexcept { return impl_->address; }

void HttpServer::stop() noexcept {
  if (impl_ == nullptr || impl_->stopped.exchange(true)) return;
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const Address& bind, const Metrics& metrics, StatusFn status) {
  if (!bind.is_set()) return Error{Errc::invalid_argument, "HTTP: no bind address"};
  auto impl = std::make_unique<Impl>();
  auto& http = impl->http;

  // Short timeouts and no keep-alive reuse: a client that opens a connection and goes quiet
  // holds a worker (and delays stop()) for at most the read timeout.
  http.set_read_timeout(2, 0);
  http.set_write_timeout(2, 0);
  http.set_keep_alive_max_count(1);
  http.new_task_queue = [] { return new httplib::ThreadPool(4); };  // NOLINT: httplib owns it
  // httplib's default also sets SO_REUSEPORT, which would let a second server share the port
  // silently instead of failing with "address already in use".
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  http.Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(render_metrics(metrics), kMetricsContentType);
  });
  http.Get("/api/status", [status = std::move(status)](const httplib::Request&, httplib::Response& res) {
    try {
      res.set_content(status ? status() : std::string("{}"), "application/json");
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(std::string("status failed: ") + e.what() + "\n", "text/plain");
    }
  });
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) res.set_content("not found\n", "text/plain");
  });

  const std::string host = host_of(bind);
  if (bind.family == Address::Family::v6) http.set_address_family(AF_INET6);
  errno = 0;
  bool bound = false;
  impl->address = bind;
  if (bind.port == 0) {
    const int port = http.bind_to_any_port(host);
    bound = port > 0;
    if (bound) impl->address.port = static_cast<std::uint16_t>(port);
  } else {
    bound = http.bind_to_port(host, bind.port);
  }
  if (!bound) {
    const int err = errno;
    return Error{Errc::io, "HTTP " + bind.to_string() + ": " +
                               (err != 0 ? std::string(std::strerror(err)) : std::string("cannot bind"))};
  }

  impl->thread = std::thread([&http, &done = impl->listen_returned] {
    http.listen_after_bind();
    done.store(true);
  });
  // httplib's stop() is a no-op until the accept loop has begun, so a stop() right after
  // start() would hang the join; wait (bounded by the thread starting) for it to run.
  while (!http.is_running() && !impl->listen_returned.load()) std::this_thread::yield();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace kettle::server
