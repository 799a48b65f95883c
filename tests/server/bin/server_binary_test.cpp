// The kettle-server executable as a child process: key printing, startup line, graceful
// shutdown on signals, exit codes and messages for bad flags, taken ports and a corrupt
// database, and the account/app admin subcommands on a real SQLite file.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/process.hpp"
#ifdef KETTLE_SERVER_BIN_HAVE_CLIENT
#include "kettle/client.hpp"
#endif
#include "server/store/credentials.hpp"
#include "server/store/store.hpp"

namespace kettle::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kServer = KETTLE_SERVER_PATH;

std::string last_line(const std::string& text) {
  std::string s = text;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  const auto nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

bool is_hex64(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// "key=value" fields of the listening line.
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

// A socket holding 127.0.0.1:<some port>, so the server finds it taken.
class HeldPort {
 public:
  explicit HeldPort(int type) : fd_(::socket(AF_INET, type, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    if (type == SOCK_STREAM) {
      EXPECT_EQ(::listen(fd_, 1), 0);
    }
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~HeldPort() { ::close(fd_); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

class KettleServerBinary : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "kettle-server-bin-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  // Flags every run shares: files in the temp dir, ephemeral ports.
  std::vector<std::string> base(std::vector<std::string> more = {}) const {
    std::vector<std::string> a = {"--db",  path("kettle.db"), "--key",  path("server.key"),
                                  "--udp", "127.0.0.1:0",     "--http", "127.0.0.1:0"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }

  static RunResult run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) {
    return run_process(kServer, args, clean_environment(env));
  }

  std::string dir_;
};

// Lines of `text` starting with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(prefix)) out.push_back(line);
  }
  return out;
}

// No sanitizer report, no crash: exactly one error line of ours (logs may precede it).
void expect_clean_failure(const RunResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.exit, code) << r.err;
  const auto errors = lines_starting(r.err, "kettle-server: ");
  ASSERT_EQ(errors.size(), 1u) << r.err;
  EXPECT_NE(errors[0].find(needle), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Sanitizer"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("runtime error"), std::string::npos) << r.err;
}

TEST_F(KettleServerBinary, PrintPublicKeyCreatesAPrivateKeyFileAndIsStable) {
  const RunResult first = run({"--print-public-key", "--key", path("server.key")});
  ASSERT_EQ(first.exit, 0) << first.err;
  const std::string key = last_line(first.out);
  EXPECT_TRUE(is_hex64(key)) << first.out;
  struct stat st {};
  ASSERT_EQ(::stat(path("server.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  const RunResult second = run({"--print-public-key"}, {{"KETTLE_KEY", path("server.key")}});
  ASSERT_EQ(second.exit, 0) << second.err;
  EXPECT_EQ(last_line(second.out), key);
}

TEST_F(KettleServerBinary, KeyFileReadableByOthersIsRefused) {
  ASSERT_EQ(run({"--print-public-key", "--key", path("server.key")}).exit, 0);
  fs::permissions(path("server.key"), fs::perms::others_read, fs::perm_options::add);
  expect_clean_failure(run({"--print-public-key", "--key", path("server.key")}), 2, "chmod 600");
}

TEST_F(KettleServerBinary, DevStartsServesHttpAndExitsZeroOnSigterm) {
  for (int sig : {SIGTERM, SIGINT}) {
    Process c(kServer, base({"--dev"}), clean_environment());
    const std::string line = c.read_line_starting_with("kettle-server listening ", in_secs(60));
    ASSERT_FALSE(line.empty()) << "no listening line; stderr: " << c.err();
    auto f = fields(line);
    EXPECT_TRUE(f["udp"].starts_with("127.0.0.1:")) << line;
    EXPECT_NE(f["udp"], "127.0.0.1:0") << line;
    EXPECT_TRUE(f["relay"].starts_with("127.0.0.1:")) << line;  // on by default, next to udp
    EXPECT_NE(f["relay"], "127.0.0.1:0") << line;
    EXPECT_NE(f["relay"], f["udp"]) << line;
    EXPECT_EQ(f["dev"], "true") << line;
    EXPECT_TRUE(is_hex64(f["key"])) << line;
    const auto http = f["http"];
    ASSERT_TRUE(http.starts_with("127.0.0.1:")) << line;
    httplib::Client client("127.0.0.1", std::stoi(http.substr(10)));
    client.set_connection_timeout(5, 0);
    auto res = client.Get("/healthz");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    res = client.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_NE(res->body.find("kettle_clients_online 0"), std::string::npos) << res->body;

    c.signal(sig);
    EXPECT_EQ(c.wait_exit(in_secs(30)), 0) << "signal " << sig << "; stderr: " << c.err();
    // The key in the line is the one --print-public-key reports.
    const RunResult key = run({"--print-public-key", "--key", path("server.key")});
    EXPECT_EQ(last_line(key.out), f["key"]);
  }
}

TEST_F(KettleServerBinary, HttpOffSaysSo) {
  Process c(kServer, base({"--dev", "--http", "off"}), clean_environment());
  const std::string line = c.read_line_starting_with("kettle-server listening ", in_secs(60));
  ASSERT_FALSE(line.empty()) << c.err();
  EXPECT_EQ(fields(line)["http"], "off");
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait_exit(in_secs(30)), 0);
}

TEST_F(KettleServerBinary, SignalRightAfterTheListeningLineStillExitsZero) {
  // The handler is installed before the line is printed: no window where SIGTERM kills it.
  for (int i = 0; i < 3; ++i) {
    Process c(kServer, base({"--dev", "--http", "off"}), clean_environment());
    ASSERT_FALSE(c.read_line_starting_with("kettle-server listening ", in_secs(60)).empty()) << c.err();
    c.signal(SIGTERM);
    EXPECT_EQ(c.wait_exit(in_secs(30)), 0) << c.err();
  }
}

TEST_F(KettleServerBinary, BadFlagsAndValuesExitTwo) {
  expect_clean_failure(run({"--bogus"}), 2, "--bogus");
  expect_clean_failure(run({"--udp", "abc"}), 2, "--udp: 'abc' is not HOST:PORT");
  expect_clean_failure(run({"--log-level", "loud"}), 2, "--log-level: 'loud'");
  expect_clean_failure(run({}, {{"KETTLE_HTTP", "nowhere"}}), 2, "KETTLE_HTTP: 'nowhere'");
  std::ofstream(path("bad.json")) << "{\"udp\": \"127.0.0.1:0\",\n \"nope\": 1}\n";
  expect_clean_failure(run({"--config", path("bad.json")}), 2, "unknown key 'nope'");
  // Ranges checked by ServerOptions::validate() are configuration errors too.
  expect_clean_failure(run(base({"--dev", "--auth-threads", "0"})), 2, "auth_threads");
}

TEST_F(KettleServerBinary, HelpExitsZero) {
  const RunResult r = run({"--help"});
  EXPECT_EQ(r.exit, 0);
  EXPECT_NE(r.out.find("--print-public-key"), std::string::npos);
  EXPECT_NE(r.out.find("account"), std::string::npos);
}

TEST_F(KettleServerBinary, UdpPortInUseExitsOneNamingTheAddress) {
  HeldPort held(SOCK_DGRAM);
  expect_clean_failure(
      run({"--dev", "--db", path("kettle.db"), "--key", path("server.key"), "--udp", held.address(), "--http", "off"}),
      1, held.address());
}

TEST_F(KettleServerBinary, HttpPortInUseExitsOneNamingTheAddress) {
  HeldPort held(SOCK_STREAM);
  expect_clean_failure(run({"--dev", "--db", path("kettle.db"), "--key", path("server.key"), "--udp", "127.0.0.1:0",
                            "--http", held.address()}),
                       1, "HTTP " + held.address());
}

TEST_F(KettleServerBinary, CorruptDatabaseExitsOneWithAClearMessage) {
  {
    std::ofstream f(path("kettle.db"), std::ios::binary);
    for (int i = 0; i < 512; ++i) f << "this is not a database ";
  }
  const RunResult r = run(base({"--dev"}));
  expect_clean_failure(r, 1, "database");
  EXPECT_NE(r.err.find(path("kettle.db")), std::string::npos) << r.err;  // names the file
  // The admin commands refuse it the same way and leave it alone.
  const auto size = fs::file_size(path("kettle.db"));
  expect_clean_failure(run({"account", "list", "--db", path("kettle.db")}), 1, "database");
  EXPECT_EQ(fs::file_size(path("kettle.db")), size);
}

TEST_F(KettleServerBinary, UnwritableDatabaseDirectoryExitsOne) {
  const RunResult r = run(base({"--dev", "--db", path("missing-dir/kettle.db")}));
  EXPECT_EQ(r.exit, 1) << r.err;
  EXPECT_NE(r.err.find("missing-dir"), std::string::npos) << r.err;
}

TEST_F(KettleServerBinary, AccountsAndApps) {
  const std::string db = path("kettle.db");
  RunResult r =
      run({"account", "add", "alice", "--password-env", "ALICE_PW", "--db", db}, {{"ALICE_PW", "correct horse"}});
  ASSERT_EQ(r.exit, 0) << r.err;
  EXPECT_NE(r.out.find("created account alice account_id="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("password=set"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("correct horse"), std::string::npos);
  EXPECT_EQ(r.err.find("correct horse"), std::string::npos);

  r = run({"--db", db, "account", "add", "bob"});
  ASSERT_EQ(r.exit, 0) << r.err;
  EXPECT_NE(r.out.find("password=none"), std::string::npos) << r.out;

  r = run({"account", "list", "--db", db});
  ASSERT_EQ(r.exit, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header, a, b, extra;
  std::getline(lines, header);
  std::getline(lines, a);
  std::getline(lines, b);
  EXPECT_FALSE(std::getline(lines, extra)) << r.out;
  EXPECT_EQ(header, "account_id\tsteam_id\tlogin\tpersona\tcreated\tlast_seen");
  EXPECT_NE(a.find("\talice\talice\t"), std::string::npos) << a;
  EXPECT_NE(b.find("\tbob\tbob\t"), std::string::npos) << b;
  EXPECT_TRUE(a.find("7656119") != std::string::npos) << a;  // a SteamID64 of an individual account

  r = run({"account", "token", "alice", "--db", db});
  ASSERT_EQ(r.exit, 0) << r.err;
  const std::string token = last_line(r.out);
  EXPECT_TRUE(token.starts_with("kt_")) << r.out;
  EXPECT_EQ(token.size(), 46u) << token;
  const RunResult again = run({"account", "token", "alice", "--db", db});
  EXPECT_NE(last_line(again.out), token);  // a new one each time

  r = run({"account", "passwd", "bob", "--password-env", "BOB_PW", "--db", db}, {{"BOB_PW", "battery staple"}});
  ASSERT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(r.out, "password set for bob\n");

  {
    // What landed in the database: password hashes that verify, the token's hash only.
    auto store = server::open_sqlite_store(db);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    auto alice = (*store)->find_account("alice");
    auto bob = (*store)->find_account("bob");
    ASSERT_TRUE(alice.ok() && alice->has_value() && bob.ok() && bob->has_value());
    auto cred = (*store)->credential((*alice)->account_id);
    ASSERT_TRUE(cred.ok() && cred->has_value());
    EXPECT_EQ((*cred)->kind, server::CredentialKind::password);
    EXPECT_TRUE(server::verify_password((*cred)->hash, "correct horse"));
    EXPECT_FALSE(server::verify_password((*cred)->hash, "battery staple"));
    cred = (*store)->credential((*bob)->account_id);
    ASSERT_TRUE(cred.ok() && cred->has_value());
    EXPECT_EQ((*cred)->kind, server::CredentialKind::password);
    EXPECT_TRUE(server::verify_password((*cred)->hash, "battery staple"));
    auto owner = (*store)->find_token(server::hash_token(token));
    ASSERT_TRUE(owner.ok() && owner->has_value());
    EXPECT_EQ(**owner, (*alice)->account_id);
    auto app = (*store)->find_app(480);
    EXPECT_FALSE(app.ok() && app->has_value());  // not added yet
  }

  expect_clean_failure(run({"account", "add", "alice", "--db", db}), 2, "account add alice: login name already taken");
  expect_clean_failure(run({"account", "token", "nobody", "--db", db}), 2, "no account named 'nobody'");
  expect_clean_failure(run({"account", "add", "carol", "--password-env", "UNSET_PW", "--db", db}), 2, "UNSET_PW");
  expect_clean_failure(run({"account", "passwd", "nobody", "--password-env", "BOB_PW", "--db", db}, {{"BOB_PW", "x"}}),
                       2, "no account named 'nobody'");

  r = run({"app", "add", "480", "--name", "Spacewar", "--closed", "--grant", "alice", "--db", db});
  ASSERT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(r.out, "app 480 name=\"Spacewar\" closed grants=1\n");
  {
    auto store = server::open_sqlite_store(db);
    ASSERT_TRUE(store.ok());
    auto app = (*store)->find_app(480);
    ASSERT_TRUE(app.ok() && app->has_value());
    EXPECT_EQ((*app)->name, "Spacewar");
    EXPECT_FALSE((*app)->open);
    auto alice = (*store)->find_account("alice");
    auto bob = (*store)->find_account("bob");
    EXPECT_TRUE(*(*store)->has_grant(480, (*alice)->account_id));
    EXPECT_FALSE(*(*store)->has_grant(480, (*bob)->account_id));
  }
  r = run({"app", "add", "480", "--db", db});  // keeps the name, opens it
  ASSERT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(r.out, "app 480 name=\"Spacewar\" open grants=0\n");
  expect_clean_failure(run({"app", "add", "481", "--grant", "nobody", "--db", db}), 2, "nobody");
  r = run({"app", "add", "482", "--db", db});  // --name is optional for a new app too
  ASSERT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(r.out, "app 482 name=\"app 482\" open grants=0\n");

  // The server opens the same database afterwards.
  Process c(kServer, base({"--http", "off"}), clean_environment());
  ASSERT_FALSE(c.read_line_starting_with("kettle-server listening ", in_secs(60)).empty()) << c.err();
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait_exit(in_secs(30)), 0) << c.err();
}

#ifdef KETTLE_SERVER_BIN_HAVE_CLIENT
// Accounts made by the admin commands log in to the running binary (not --dev) with a real
// kettle::Client: password, token, a wrong password and a name-only (dev) login.
TEST_F(KettleServerBinary, AdminCreatedAccountsLogInToTheRunningServer) {
  const std::string db = path("kettle.db");
  RunResult r = run({"account", "add", "alice", "--password-env", "PW", "--db", db}, {{"PW", "correct horse"}});
  ASSERT_EQ(r.exit, 0) << r.err;
  const std::string alice_steam_id = fields(r.out)["steam_id"];
  ASSERT_EQ(run({"account", "add", "bob", "--db", db}).exit, 0);
  r = run({"account", "token", "bob", "--db", db});
  ASSERT_EQ(r.exit, 0) << r.err;
  const std::string bob_token = last_line(r.out);
  ASSERT_EQ(run({"app", "add", "480", "--name", "Spacewar", "--db", db}).exit, 0);

  Process server(kServer, base({"--http", "off"}), clean_environment());
  const std::string line = server.read_line_starting_with("kettle-server listening ", in_secs(60));
  ASSERT_FALSE(line.empty()) << server.err();
  auto f = fields(line);
  ASSERT_EQ(f["dev"], "false");

  auto login = [&](const std::string& name, const std::string& password, const std::string& token) {
    ClientConfig cfg;
    cfg.server = f["udp"];
    cfg.server_key = f["key"];
    cfg.app_id = 480;
    cfg.login_name = name;
    cfg.password = password;
    cfg.token = token;
    cfg.local_bind = "127.0.0.1:0";
    auto client = Client::Create();
    InitResult res = client->Init(cfg);
    std::string steam_id = client->GetSteamID().to_string();
    client->Shutdown();
    return std::make_pair(res, steam_id);
  };

  auto [ok, id] = login("alice", "correct horse", "");
  EXPECT_EQ(ok.code, k_ESteamAPIInitResult_OK) << ok.message;
  EXPECT_EQ(id, alice_steam_id);
  auto [wrong, unused1] = login("alice", "battery staple", "");
  EXPECT_EQ(wrong.code, k_ESteamAPIInitResult_FailedGeneric);
  EXPECT_NE(wrong.message.find("password"), std::string::npos) << wrong.message;
  auto [by_token, unused2] = login("bob", "", bob_token);
  EXPECT_EQ(by_token.code, k_ESteamAPIInitResult_OK) << by_token.message;
  auto [dev, unused3] = login("carol", "", "");
  EXPECT_EQ(dev.code, k_ESteamAPIInitResult_FailedGeneric);
  EXPECT_NE(dev.message.find("dev login is disabled"), std::string::npos) << dev.message;

  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(in_secs(30)), 0) << server.err();
}
#endif

}  // namespace
}  // namespace kettle::test
