#include "harness.hpp"

#include <httplib.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace kettle::integration {

namespace fs = std::filesystem;

std::map<std::string, std::string> fields(const std::string& line) {
  std::map<std::string, std::string> out;
  std::istringstream in(line);
  std::string word;
  while (in >> word) {
    const auto eq = word.find('=');
    if (eq != std::string::npos) out[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return out;
}

ServerProcess::ServerProcess(const std::string& dir, const std::vector<std::string>& extra, const std::string& udp,
                             const std::map<std::string, std::string>& env) {
  std::vector<std::string> args = {"--db", dir + "/kettle.db", "--key",      dir + "/server.key", "--udp",
                                   udp,    "--http",           "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  process_ = std::make_unique<Process>(kServerPath, args, clean_environment(env), dir + "/server.log");
  // Startup under ASan on a busy machine can take a few seconds.
  const std::string line = process_->read_line(in_secs(30));
  if (!line.starts_with("kettle-server listening ")) {
    ADD_FAILURE() << "no listening line from kettle-server (got '" << line << "'); see server.log below";
    return;
  }
  auto f = fields(line);
  udp_ = f["udp"];
  http_ = f["http"];
  key_ = f["key"];
}

ClientConfig ServerProcess::client_config(const std::string& name) const {
  ClientConfig cfg;
  cfg.server = udp_;
  cfg.server_key = key_;
  cfg.login_name = name;
  cfg.local_bind = "127.0.0.1:0";
  cfg.login_timeout_s = 15;
  cfg.reconnect_min_s = 0.05;
  cfg.reconnect_max_s = 0.5;
  cfg.backend_liveness_s = 2;
  return cfg;
}

std::string ServerProcess::http_get(const std::string& path) const {
  const auto colon = http_.rfind(':');
  if (colon == std::string::npos) {
    ADD_FAILURE() << "the server has no HTTP port (http=" << http_ << ")";
    return {};
  }
  httplib::Client c(http_.substr(0, colon), std::stoi(http_.substr(colon + 1)));
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(5, 0);
  auto res = c.Get(path);
  if (!res || res->status != 200) {
    ADD_FAILURE() << "GET " << path
                  << " failed: " << (res ? std::to_string(res->status) : httplib::to_string(res.error()));
    return {};
  }
  return res->body;
}

double ServerProcess::metric(const std::string& sample) const {
  std::istringstream in(http_get("/metrics"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > sample.size() && line.starts_with(sample) && line[sample.size()] == ' ')
      return std::stod(line.substr(sample.size() + 1));
  }
  return -1;
}

int ServerProcess::stop(int sig, double timeout_s) {
  process_->signal(sig);
  return process_->wait_exit(in_secs(timeout_s));
}

void IntegrationTest::SetUp() {
  std::string tmpl = (fs::temp_directory_path() / "kettle-integration-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  dir_ = tmpl;
}

std::string IntegrationTest::server_log() const {
  std::ifstream log(path("server.log"));
  std::stringstream text;
  text << log.rdbuf();
  return text.str();
}

void IntegrationTest::TearDown() {
  if (HasFailure()) {
    std::string s = server_log();
    if (s.size() > 20000) s = "...\n" + s.substr(s.size() - 20000);
    std::printf("---- server.log (%s) ----\n%s---- end of server.log ----\n", dir_.c_str(), s.c_str());
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

RunResult IntegrationTest::admin(const std::vector<std::string>& args,
                                 const std::map<std::string, std::string>& env) const {
  std::vector<std::string> a = args;
  a.insert(a.end(), {"--db", path("kettle.db")});
  return run_process(kServerPath, a, clean_environment(env));
}

RunResult IntegrationTest::cli(const ServerProcess& s, const std::vector<std::string>& args,
                               const std::map<std::string, std::string>& env) const {
  std::vector<std::string> a = {"--server", s.udp(), "--server-key", s.key()};
  a.insert(a.end(), args.begin(), args.end());
  return run_process(kCliPath, a, clean_environment(env));
}

bool pump_until(std::initializer_list<Client*> clients, double timeout_s, const std::function<bool()>& done) {
  const auto deadline = in_secs(timeout_s);
  for (;;) {
    for (Client* c : clients) c->RunCallbacks();
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace kettle::integration
