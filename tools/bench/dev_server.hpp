// A kettle-server child for the scenarios that measure the server itself (login, lobbies):
// dev mode (name-only logins), UDP on an ephemeral loopback port, no HTTP, a fresh SQLite file
// and key in a private temporary directory that is removed afterwards.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "bench/child.hpp"
#include "bench/report.hpp"
#include "core/address.hpp"
#include "core/result.hpp"
#include "crypto/keys.hpp"
#include "transport/endpoint.hpp"

namespace kettle::bench {

// "kettle-server listening udp=H:P http=... key=HEX dev=true" → (address, key).
Result<std::pair<Address, crypto::SigningPublicKey>> parse_server_listening(const std::string& line);

// user+sys CPU seconds of this process so far (getrusage).
double cpu_seconds_self();

// Sends the control Login (request id 1, dev method, app 480) as `name` on a connection to a
// DevServer, as the login and lobbies scenarios' clients do once connected.
Status send_dev_login(transport::Endpoint& ep, transport::ConnectionId conn, std::string name);

class DevServer {
 public:
  DevServer() = default;
  DevServer(const DevServer&) = delete;
  DevServer& operator=(const DevServer&) = delete;
  ~DevServer();  // kills a server still running (ChildProcess) and removes the directory

  // `tag` names the temporary directory (kettle-bench-TAG-PID). Errors: invalid_argument (no
  // path), io, and read_line's errors if the server does not announce itself by `deadline`.
  Status start(const std::string& path, std::string_view tag, Instant deadline);

  const Address& address() const noexcept { return address_; }
  const crypto::SigningPublicKey& key() const noexcept { return key_; }
  // The running server's user+sys CPU so far (clock ticks).
  Result<double> cpu_seconds() const;
  // SIGTERM and reap (kill after 10 s): its whole-life CPU and peak RSS.
  Result<ExitInfo> stop();
  // stop(), then the server's figures into `f`: cpu_s, max_rss_kb, and an error if it did not
  // exit cleanly (unless `f` already has one).
  void stop_into(Figures& f);

 private:
  std::filesystem::path dir_;
  std::optional<ChildProcess> child_;
  Address address_;
  crypto::SigningPublicKey key_;
};

}  // namespace kettle::bench
