// kettle-server's HTTP endpoint (cpp-httplib, its own threads), on a port separate from UDP:
//   GET /healthz     → 200 "ok\n"
//   GET /metrics     → Prometheus text format 0.0.4 from server::Metrics (kettle_* names)
//   GET /api/status  → JSON from the status callback (version, uptime, clients, apps, ...)
// Anything else → 404. It only reads atomics and calls `status` (which must be thread-safe),
// so a slow HTTP client can never stall the UDP loop.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/address.hpp"
#include "core/result.hpp"
#include "server/server.hpp"

namespace kettle::server {

class HttpServer {
 public:
  using StatusFn = std::function<std::string()>;  // returns a JSON document

  // Binds (port 0 picks one) and starts serving on a background thread. Errors: io ("HTTP
  // 127.0.0.1:27080: address already in use" or similar, naming the address).
  static Result<std::unique_ptr<HttpServer>> start(const Address& bind, const Metrics& metrics, StatusFn status);
  ~HttpServer();  // stop()
  const Address& address() const noexcept;
  // Idempotent; joins the threads. Waits for requests in flight: a client stalled mid-request
  // delays it by at most the 2 s read timeout (connections are not kept alive between requests).
  void stop() noexcept;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The Prometheus text for `m` (exposed for tests).
std::string render_metrics(const Metrics& m);

}  // namespace kettle::server
