// kettle::EmbeddedServer: a real server::Server (dev mode) in this process. This is why the
// kettle_client library links kettle_server (src/client/README.md).
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "core/log.hpp"
#include "crypto/keys.hpp"
#include "kettle/client.hpp"
#include "server/server.hpp"

namespace kettle {

struct EmbeddedServer::Impl {
  std::unique_ptr<server::Server> server;
  std::string temp_db;  // removed (with SQLite's side files) on destruction
  ~Impl() {
    server.reset();  // stop before the file goes
    if (!temp_db.empty()) {
      std::error_code ec;
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(temp_db + suffix, ec);
    }
  }
};

namespace {

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

bool seconds_option(const char* name, double v, double max_s, Duration& out, std::string* error) {
  if (!std::isfinite(v) || v <= 0 || v > max_s) {
    return fail(error, std::string("EmbeddedServer::Options.") + name + " must be in (0, " +
                           std::to_string(static_cast<long>(max_s)) + "] seconds");
  }
  out = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(v));
  return true;
}

}  // namespace

EmbeddedServer::EmbeddedServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EmbeddedServer::~EmbeddedServer() = default;

std::unique_ptr<EmbeddedServer> EmbeddedServer::Start(const Options& options, std::string* error) {
  if (auto st = crypto::init(); !st) {
    fail(error, "libsodium: " + st.error().message);
    return nullptr;
  }
  server::ServerOptions o;
  o.dev = true;
  o.precise_session_errors = options.precise_session_errors;
  auto udp = Address::parse(options.udp);
  if (!udp) {
    fail(error, "EmbeddedServer::Options.udp: " + udp.error().message);
    return nullptr;
  }
  o.udp = *udp;
  o.http = options.http ? std::optional<Address>(Address::loopback_v4(0)) : std::nullopt;
  if (!seconds_option("certificate_lifetime_s", options.certificate_lifetime_s, 365.0 * 86400, o.certificate_lifetime,
                      error) ||
      !seconds_option("backend_liveness_s", options.backend_liveness_s, 3600, o.backend_liveness, error)) {
    return nullptr;
  }
  if (options.key_seed_hex.empty()) {
    o.key = crypto::SigningKeyPair::generate();
  } else {
    // A seed is 32 bytes in hex, the same shape as a public key, so that parser reads it.
    auto seed = crypto::SigningPublicKey::from_hex(options.key_seed_hex);
    if (!seed) {
      fail(error, "EmbeddedServer::Options.key_seed_hex must be 64 hex characters");
      return nullptr;
    }
    o.key = crypto::SigningKeyPair::from_seed(seed->bytes);
    crypto::secure_wipe(seed->bytes);
  }

  auto impl = std::make_unique<Impl>();
  if (options.db_path.empty()) {
    std::error_code ec;
    auto dir = std::filesystem::temp_directory_path(ec);
    if (ec) dir = "/tmp";
    std::string templ = (dir / "kettle-embedded-XXXXXX").string();
    const int fd = ::mkstemp(templ.data());
    if (fd < 0) {
      fail(error, "cannot create a temporary database in " + dir.string());
      return nullptr;
    }
    ::close(fd);
    impl->temp_db = templ;
    o.db_path = templ;
  } else {
    o.db_path = options.db_path;
  }

  auto created = server::Server::create(o);
  if (!created) {
    fail(error, created.error().message);
    return nullptr;
  }
  impl->server = std::move(*created);
  if (auto st = impl->server->start(); !st) {
    fail(error, st.error().message);
    return nullptr;
  }
  return std::unique_ptr<EmbeddedServer>(new EmbeddedServer(std::move(impl)));
}

namespace {
struct SharedSlot {
  std::mutex mu;
  std::unique_ptr<EmbeddedServer> server;
};
SharedSlot& shared_slot() {
  static SharedSlot slot;
  return slot;
}
}  // namespace

EmbeddedServer* EmbeddedServer::shared(std::string* error) {
  SharedSlot& slot = shared_slot();
  std::lock_guard lock(slot.mu);
  if (slot.server) return slot.server.get();
  slot.server = Start(Options{}, error);  // a failed start is retried on the next call
  if (slot.server) {
    // Stop the server at exit before the statics it uses (spdlog's registry, which exists by
    // now) are destroyed: atexit handlers run in reverse order of registration, interleaved with
    // static destructors, so this one runs first.
    (void)logger("client");
    std::atexit([] {
      SharedSlot& s = shared_slot();
      std::lock_guard l(s.mu);
      s.server.reset();
    });
  }
  return slot.server.get();
}

std::string EmbeddedServer::address() const { return impl_->server->udp_address().to_string(); }
std::string EmbeddedServer::public_key() const { return impl_->server->public_key().to_hex(); }
std::string EmbeddedServer::http_address() const {
  const auto a = impl_->server->http_address();
  return a ? a->to_string() : std::string();
}
void EmbeddedServer::configure(ClientConfig& cfg) const {
  cfg.server = address();
  cfg.server_key = public_key();
}

}  // namespace kettle
