// What every integration test shares: a fresh temporary directory, the real kettle-server binary
// as a child process (ports read from its listening line), kettle-cli runs, /metrics samples and
// a callback pump for kettle::Client objects.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kettle/client.hpp"
#include "support/process.hpp"

namespace kettle::integration {

using test::clean_environment;
using test::Clock;
using test::in_secs;
using test::Process;
using test::run_process;
using test::RunResult;

inline constexpr const char* kServerPath = KETTLE_SERVER_PATH;
inline constexpr const char* kCliPath = KETTLE_CLI_PATH;

// SteamIDs of the first two accounts a fresh server creates.
inline constexpr const char* kFirstAccount = "76561197960265729";
inline constexpr const char* kSecondAccount = "76561197960265730";

// The stdout of a successful run as JSON (a failed parse fails the test and yields an empty object).
inline nlohmann::json parse(const RunResult& r) {
  EXPECT_EQ(r.exit, 0) << "stdout: " << r.out << "\nstderr: " << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out;
  return j.is_discarded() ? nlohmann::json::object() : j;
}

// "key=value" words of a line.
std::map<std::string, std::string> fields(const std::string& line);

// A running kettle-server. Its files (kettle.db, server.key, server.log) live in `dir`, so a
// second ServerProcess on the same dir (and udp address) is "the same server" restarted.
class ServerProcess {
 public:
  // kettle-server --db DIR/kettle.db --key DIR/server.key --udp UDP --http 127.0.0.1:0 EXTRA...
  // Waits for the listening line; started() is false (and the test failed) without it.
  ServerProcess(const std::string& dir, const std::vector<std::string>& extra, const std::string& udp = "127.0.0.1:0",
                const std::map<std::string, std::string>& env = {});

  bool started() const { return !udp_.empty(); }
  const std::string& udp() const { return udp_; }    // "127.0.0.1:PORT"
  const std::string& http() const { return http_; }  // "127.0.0.1:PORT" or "off"
  const std::string& key() const { return key_; }    // 64 hex
  Process& process() { return *process_; }
  // A client config for this server: address, key, name, and short timings.
  ClientConfig client_config(const std::string& name) const;

  // GET on the HTTP port; empty (and a test failure) if it does not answer 200.
  std::string http_get(const std::string& path) const;
  // One sample of /metrics, e.g. `kettle_logins_total{result="ok"}`; -1 if absent.
  double metric(const std::string& sample) const;
  // Sends `sig` and waits for the exit; the exit code (128+signal when killed).
  int stop(int sig = SIGTERM, double timeout_s = 30);

 private:
  std::unique_ptr<Process> process_;
  std::string udp_, http_, key_;
};

class IntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;  // on failure: prints the server log

  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  const std::string& dir() const { return dir_; }
  // Everything the server processes of this test wrote to stderr.
  std::string server_log() const;

  // kettle-server admin subcommand on this test's database (e.g. {"account", "list"}).
  RunResult admin(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) const;
  // kettle-cli --server S --server-key K ARGS...
  RunResult cli(const ServerProcess& s, const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env = {}) const;

 private:
  std::string dir_;
};

// Runs RunCallbacks() on each client until `done()` or the timeout; true if done. Polls once a
// millisecond: this waits on a condition, it does not sleep for a result.
bool pump_until(std::initializer_list<Client*> clients, double timeout_s, const std::function<bool()>& done);

// Callbacks of one type counted as they are delivered (always on the RunCallbacks thread).
template <class T>
struct Recorder {
  explicit Recorder(Client& c) {
    c.Subscribe<T>([this](const T& cb) { seen.push_back(cb); });
  }
  std::vector<T> seen;
};

}  // namespace kettle::integration
