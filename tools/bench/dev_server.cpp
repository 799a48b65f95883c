#include "bench/dev_server.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "control/messages.hpp"
#include "server/server.hpp"

namespace kettle::bench {

namespace fs = std::filesystem;

Result<std::pair<Address, crypto::SigningPublicKey>> parse_server_listening(const std::string& line) {
  auto field = [&](std::string_view name) -> std::string {
    const auto at = line.find(std::string(name) + "=");
    if (at == std::string::npos) return {};
    const auto start = at + name.size() + 1;
    return line.substr(start, line.find(' ', start) - start);
  };
  if (line.rfind("kettle-server listening", 0) != 0)
    return make_error(Errc::malformed, "unexpected line from kettle-server: " + line);
  auto addr = Address::parse(field("udp"));
  if (!addr) return std::move(addr).error();
  auto key = server::parse_public_key_hex(field("key"));
  if (!key) return std::move(key).error();
  return std::pair{*addr, *key};
}

double cpu_seconds_self() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

DevServer::~DevServer() {
  child_.reset();  // SIGKILL and reap if still running
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

Status DevServer::start(const std::string& path, std::string_view tag, Instant deadline) {
  if (path.empty()) return make_error(Errc::invalid_argument, "kettle-server not found (pass --server PATH)");
  std::error_code ec;
  dir_ = fs::temp_directory_path() / ("kettle-bench-" + std::string(tag) + "-" + std::to_string(::getpid()));
  fs::create_directories(dir_, ec);
  if (ec) return make_error(Errc::io, "cannot create " + dir_.string() + ": " + ec.message());
  auto child =
      ChildProcess::spawn(path, {"--dev", "--udp", "127.0.0.1:0", "--http", "off", "--db", (dir_ / "bench.db").string(),
                                 "--key", (dir_ / "server.key").string(), "--log-level", "warn"});
  if (!child) return make_error(child.code(), "spawn kettle-server: " + child.error().message);
  child_.emplace(std::move(*child));
  auto line = child_->read_line(deadline);
  if (!line) return make_error(line.code(), "kettle-server: " + line.error().message);
  auto target = parse_server_listening(*line);
  if (!target) return std::move(target).error();
  address_ = target->first;
  key_ = target->second;
  return {};
}

Result<double> DevServer::cpu_seconds() const {
  if (!child_) return make_error(Errc::invalid_argument, "no kettle-server");
  return child_->cpu_seconds_so_far();
}

Result<ExitInfo> DevServer::stop() {
  if (!child_) return make_error(Errc::invalid_argument, "no kettle-server");
  ::kill(child_->pid(), SIGTERM);
  auto exit = child_->wait(monotonic_now() + secs(10));
  child_.reset();
  return exit;
}

Status send_dev_login(transport::Endpoint& ep, transport::ConnectionId conn, std::string name) {
  control::Login login;
  login.app_id = 480;
  login.method = control::LoginMethod::dev;
  login.name = std::move(name);
  const auto bytes = control::encode(control::Message{1, std::move(login)});
  return ep.send(conn, control::kControlChannel, transport::SendType::reliable, bytes, monotonic_now());
}

void DevServer::stop_into(Figures& f) {
  auto exit = stop();
  if (!exit) return;
  f.cpu_s = exit->cpu_s;
  f.max_rss_kb = exit->max_rss_kb;
  if (!exit->exited_ok() && f.error.empty()) f.error = "kettle-server " + exit->describe();
}

}  // namespace kettle::bench
