// kettle-cli (the binary) against a real kettle-server process: the acceptance path (whoami,
// set-name, lookup, online) and every exit code.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace kettle::integration {
namespace {

using nlohmann::json;

// One "kettle-cli: ..." line on stderr containing `needle`, no sanitizer report, nothing on stdout.
void expect_failure(const RunResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.exit, code) << "stdout: " << r.out << "\nstderr: " << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Sanitizer"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("runtime error"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// A loopback UDP port that is bound (so nobody else takes it) but never answers.
class SilentPort {
 public:
  SilentPort() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentPort() { ::close(fd_); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

class KettleCli : public IntegrationTest {};

TEST_F(KettleCli, WhoamiSetNameLookupAgainstADevServer) {
  ServerProcess server(dir(), {"--dev", "--log-level", "debug"});
  ASSERT_TRUE(server.started());

  json me = parse(cli(server, {"--name", "alice", "whoami"}));
  EXPECT_EQ(me["steam_id"], kFirstAccount);
  EXPECT_EQ(me["persona_name"], "alice");
  EXPECT_EQ(me["logged_on"], true);
  EXPECT_EQ(me["app_id"], 480);

  json renamed = parse(cli(server, {"--name", "alice", "set-name", "Alice Smith"}));
  EXPECT_EQ(renamed["steam_id"], kFirstAccount);
  EXPECT_EQ(renamed["persona_name"], "Alice Smith");

  // A new process, a new login: the server kept the name (the login name is still "alice").
  me = parse(cli(server, {"--name", "alice", "whoami"}));
  EXPECT_EQ(me["steam_id"], kFirstAccount);
  EXPECT_EQ(me["persona_name"], "Alice Smith");

  json found = parse(cli(server, {"--name", "bob", "lookup", kFirstAccount}));
  EXPECT_EQ(found["steam_id"], kFirstAccount);
  EXPECT_EQ(found["persona_name"], "Alice Smith");
  EXPECT_EQ(found["online"], false);  // alice's kettle-cli runs have ended

  // While alice is logged in (a kettle::Client here), lookup says so.
  auto alice = Client::Create();
  ASSERT_EQ(alice->Init(server.client_config("alice")).code, k_ESteamAPIInitResult_OK);
  found = parse(cli(server, {"--name", "bob", "lookup", kFirstAccount}));
  EXPECT_EQ(found["online"], true);
  // bob was created by his first run; his id is the second account's.
  me = parse(cli(server, {"--name", "bob", "whoami"}));
  EXPECT_EQ(me["steam_id"], kSecondAccount);
}

TEST_F(KettleCli, EmbeddedNeedsNoServer) {
  const RunResult r = run_process(kCliPath, {"--embedded", "--name", "alice", "whoami"}, clean_environment());
  json me = parse(r);
  EXPECT_EQ(me["persona_name"], "alice");
  EXPECT_EQ(me["logged_on"], true);
  EXPECT_TRUE(SteamID(std::stoull(me["steam_id"].get<std::string>())).BIndividualAccount()) << me.dump();
}

TEST_F(KettleCli, UsageErrorsExitOne) {
  ServerProcess server(dir(), {"--dev", "--http", "off"});
  ASSERT_TRUE(server.started());
  expect_failure(cli(server, {"--name", "alice", "dance"}), 1, "unknown command 'dance'");
  expect_failure(cli(server, {"whoami"}), 1, "--name");
  expect_failure(cli(server, {"--name", "alice", "set-name"}), 1, "set-name takes 1 argument");
  for (const char* bad : {"abc", "0", "12", "76561197960265729x", "-1", ""})
    expect_failure(cli(server, {"--name", "bob", "lookup", bad}), 1, "is not a user SteamID64");
  expect_failure(cli(server, {"--name", "alice", "--password-env", "KETTLE_TEST_UNSET_VAR", "whoami"}), 1,
                 "KETTLE_TEST_UNSET_VAR is not set");
  expect_failure(run_process(kCliPath, {"--server", server.udp(), "--name", "alice", "whoami"}, clean_environment()), 1,
                 "--server-key");
  for (const std::string& bad : std::vector<std::string>{"", "\x01tab", std::string(129, 'x')})
    expect_failure(cli(server, {"--name", "alice", "set-name", bad}), 1, "invalid name");
  expect_failure(run_process(kCliPath, {"--server", "nowhere", "--server-key", server.key(), "--name", "a", "whoami"},
                             clean_environment()),
                 1, "is not HOST:PORT");
  expect_failure(run_process(kCliPath, {"--server", server.udp(), "--server-key", "abc", "--name", "a", "whoami"},
                             clean_environment()),
                 1, "64 hex");
  expect_failure(cli(server, {"--name", "alice", "--app-id", "0", "whoami"}), 1, "--app-id");
  expect_failure(
      run_process(kCliPath, {"--name", "alice", "whoami", "--embedded", "--server", server.udp()}, clean_environment()),
      1, "exclusive");
  // None of the bad runs created an account: the first real login is still account 1.
  json me = parse(cli(server, {"--name", "carol", "whoami"}));
  EXPECT_EQ(me["steam_id"], kFirstAccount);
}

TEST_F(KettleCli, UnreachableServerExitsTwo) {
  SilentPort silent;
  // Any valid key: nothing will answer to check it.
  const std::string key(64, 'a');
  const RunResult r = run_process(
      kCliPath, {"--server", silent.address(), "--server-key", key, "--name", "alice", "--timeout", "1", "whoami"},
      clean_environment());
  expect_failure(r, 2, "cannot reach the server");
}

TEST_F(KettleCli, WrongPasswordExitsTwoAndTheRightOneWorks) {
  ASSERT_EQ(admin({"account", "add", "alice", "--password-env", "PW"}, {{"PW", "correct horse"}}).exit, 0);
  ASSERT_EQ(admin({"app", "add", "480", "--name", "Spacewar"}).exit, 0);
  ServerProcess server(dir(), {"--http", "off"});
  ASSERT_TRUE(server.started());

  expect_failure(cli(server, {"--name", "alice", "--password-env", "PW", "whoami"}, {{"PW", "battery staple"}}), 2,
                 "login failed: wrong login name or password");
  expect_failure(cli(server, {"--name", "alice", "whoami"}), 2, "login failed: ");
  json me = parse(cli(server, {"--name", "alice", "--password-env", "PW", "whoami"}, {{"PW", "correct horse"}}));
  EXPECT_EQ(me["steam_id"], kFirstAccount);
  EXPECT_EQ(me["subscribed"], true);
}

TEST_F(KettleCli, TokenFromTheEnvironment) {
  ASSERT_EQ(admin({"account", "add", "bot"}).exit, 0);
  const RunResult issued = admin({"account", "token", "bot"});
  ASSERT_EQ(issued.exit, 0) << issued.err;
  std::string token = issued.out;
  while (!token.empty() && token.back() == '\n') token.pop_back();
  token = token.substr(token.rfind('\n') + 1);  // npos + 1 == 0: a one-line output
  ASSERT_TRUE(token.starts_with("kt_")) << issued.out;
  ASSERT_EQ(admin({"app", "add", "480", "--name", "Spacewar"}).exit, 0);
  ServerProcess server(dir(), {"--http", "off"});
  ASSERT_TRUE(server.started());

  json me = parse(cli(server, {"--name", "bot", "--token-env", "TOKEN", "whoami"}, {{"TOKEN", token}}));
  EXPECT_EQ(me["steam_id"], kFirstAccount);
  expect_failure(cli(server, {"--name", "bot", "--token-env", "TOKEN", "whoami"}, {{"TOKEN", token + "x"}}), 2,
                 "login failed: ");
  // The token is a secret: not in the server's log.
  EXPECT_EQ(server_log().find(token.substr(3)), std::string::npos);
}

}  // namespace
}  // namespace kettle::integration
