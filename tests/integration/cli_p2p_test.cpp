// kettle-cli send / listen / doctor (the binary, real processes) through a real kettle-server
// process: packets arrive byte-exact (sha256 of what was sent), the session JSON, relay-only,
// and the exit codes (usage 1, unreachable 2, offline peer 3 with error 4).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness.hpp"

namespace kettle::integration {
namespace {

using nlohmann::json;

std::string sha256_hex(const std::string& bytes) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : d) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

// `send --bytes N`'s payload: byte i is i mod 251 (tools/cli/README.md).
std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i % 251);
  return s;
}

void expect_failure(const RunResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.exit, code) << "stdout: " << r.out << "\nstderr: " << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Sanitizer"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("runtime error"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

json parse_line(const std::string& line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(j.is_object()) << "not a JSON object: '" << line << "'";
  return j.is_object() ? j : json::object();
}

// The session object a successful send prints: active, no error, an address.
void expect_active_session(const json& sent, bool relayed) {
  ASSERT_TRUE(sent.contains("session")) << sent.dump();
  const json& s = sent["session"];
  EXPECT_EQ(s["connection_active"], 1) << s.dump();
  EXPECT_EQ(s["connecting"], 0) << s.dump();
  EXPECT_EQ(s["session_error"], 0) << s.dump();
  EXPECT_EQ(s["using_relay"], relayed ? 1 : 0) << s.dump();
  EXPECT_EQ(s["bytes_queued_for_send"], 0) << s.dump();
  EXPECT_EQ(s["packets_queued_for_send"], 0) << s.dump();
  ASSERT_TRUE(s["remote_ip"].is_number_unsigned()) << s.dump();
  const auto ip = s["remote_ip"].get<std::uint32_t>();
  const auto port = s["remote_port"].get<std::uint16_t>();
  EXPECT_NE(ip, 0u) << s.dump();
  EXPECT_NE(port, 0) << s.dump();
  in_addr a{htonl(ip)};
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a, buf, sizeof buf);
  EXPECT_EQ(s["remote_address"], std::string(buf) + ":" + std::to_string(port)) << s.dump();
}

class KettleCliP2P : public IntegrationTest {
 protected:
  // kettle-cli --server ... ARGS as a running process (for listen); stderr into the test dir.
  std::unique_ptr<Process> spawn_cli(const ServerProcess& s, const std::vector<std::string>& args,
                                     const std::string& log) {
    std::vector<std::string> a = {"--server", s.udp(), "--server-key", s.key()};
    a.insert(a.end(), args.begin(), args.end());
    return std::make_unique<Process>(kCliPath, a, clean_environment({{"KETTLE_LOG", "warn"}}), path(log));
  }
  // Starts `listen ARGS` as NAME and reads its first line; the listener's SteamID.
  std::string start_listener(const ServerProcess& s, const std::string& name, std::vector<std::string> args,
                             std::unique_ptr<Process>& out) {
    std::vector<std::string> a = {"--name", name, "listen"};
    a.insert(a.end(), args.begin(), args.end());
    out = spawn_cli(s, a, name + "-listen.log");
    const json first = parse_line(out->read_line(in_secs(20)));
    EXPECT_EQ(first["listening"], true) << first.dump();
    return first.value("steam_id", "");
  }
};

TEST_F(KettleCliP2P, ListenPrintsEveryPacketByteExactAndSendReportsTheSession) {
  ServerProcess server(dir(), {"--dev"});
  ASSERT_TRUE(server.started());
  const std::string alice = parse(cli(server, {"--name", "alice", "whoami"}))["steam_id"];

  std::unique_ptr<Process> listener;
  const std::string bob =
      start_listener(server, "bob", {"--count", "3", "--accept", "all", "--json", "--timeout", "60"}, listener);
  ASSERT_FALSE(bob.empty());

  // Four sends, four processes (four logins of alice): reliable text, a reliable (buffered) file
  // of the 1 MiB maximum, a text on a channel the listener does not read (it must not show up),
  // and unreliable packets of the 1200-byte maximum.
  ASSERT_GE(sodium_init(), 0);
  std::string file_bytes(1 << 20, '\0');
  randombytes_buf(file_bytes.data(), file_bytes.size());
  {
    std::ofstream f(path("payload.bin"), std::ios::binary);
    f.write(file_bytes.data(), static_cast<std::streamsize>(file_bytes.size()));
  }
  const auto t0 = Clock::now();
  json sent = parse(cli(server, {"--name", "alice", "send", "--to", bob, "--text", "hello bob"}));
  EXPECT_EQ(sent["sent"], 9);
  expect_active_session(sent, false);
  sent = parse(cli(server, {"--name", "alice", "send", "--to", bob, "--type", "3", "--file", path("payload.bin")}));
  EXPECT_EQ(sent["sent"], 1 << 20);
  expect_active_session(sent, false);
  sent = parse(cli(server, {"--name", "alice", "send", "--to", bob, "--text", "elsewhere", "--channel", "7"}));
  EXPECT_EQ(sent["sent"], 9);
  // Unreliable: twice the one packet the listener still waits for, so a lost datagram cannot
  // make the test flaky; the first to arrive completes the count.
  sent = parse(cli(server, {"--name", "alice", "send", "--to", bob, "--type", "0", "--bytes", "1200", "--count", "2"}));
  EXPECT_EQ(sent["sent"], 2400);
  expect_active_session(sent, false);

  ASSERT_EQ(listener->wait_exit(in_secs(30)), 0) << listener->out();
  std::vector<json> lines;
  std::istringstream in(listener->out());
  for (std::string l; std::getline(in, l);) lines.push_back(parse_line(l));
  ASSERT_EQ(lines.size(), 5u) << listener->out();  // listening, 3 packets, done
  const std::vector<std::pair<std::size_t, std::string>> want = {
      {9, sha256_hex("hello bob")}, {1 << 20, sha256_hex(file_bytes)}, {1200, sha256_hex(pattern(1200))}};
  for (std::size_t i = 0; i < 3; ++i) {
    const json& p = lines[1 + i];
    EXPECT_EQ(p["from"], alice) << p.dump();
    EXPECT_EQ(p["channel"], 0) << p.dump();
    const auto& [size, sha] = want[i];
    EXPECT_EQ(p["size"], size) << p.dump();
    EXPECT_EQ(p["sha256"], sha) << p.dump();
  }
  const json& done = lines.back();
  EXPECT_EQ(done["done"], true);
  EXPECT_EQ(done["received"], 3);
  EXPECT_EQ(done["last_from"], alice);
  std::printf("[ timing   ] 4 sends (1 MiB included) and the listener's exit: %.2f s\n",
              std::chrono::duration<double>(Clock::now() - t0).count());
}

TEST_F(KettleCliP2P, AThousandUnreliablePacketsInOneSession) {
  ServerProcess server(dir(), {"--dev"});
  ASSERT_TRUE(server.started());
  std::unique_ptr<Process> listener;
  const std::string bob =
      start_listener(server, "bob", {"--count", "0", "--accept", "all", "--json", "--timeout", "60"}, listener);
  ASSERT_FALSE(bob.empty());
  const auto t0 = Clock::now();
  const json sent =
      parse(cli(server, {"--name", "alice", "send", "--to", bob, "--type", "0", "--bytes", "100", "--count", "1000"}));
  EXPECT_EQ(sent["sent"], 100000);
  expect_active_session(sent, false);
  // Unreliable over loopback: count what arrived once the sender is done; the listener runs
  // until SIGTERM (--count 0) and then prints its summary.
  const std::string want = "\"size\":100,";
  std::size_t arrived = 0;
  const auto deadline = in_secs(10);
  while (arrived < 1000) {
    const std::string l = listener->read_line(std::min(deadline, in_secs(0.5)));
    if (l.empty()) break;  // nothing more for half a second (or the deadline): the rest is lost
    if (l.find(want) != std::string::npos) ++arrived;
  }
  listener->signal(SIGTERM);
  EXPECT_EQ(listener->wait_exit(in_secs(10)), 0) << listener->err();  // --count 0: a signal is the normal end
  EXPECT_NE(listener->out().find("\"done\":true"), std::string::npos) << listener->out();
  std::printf("[ measured ] %zu of 1000 unreliable 100-byte packets arrived in %.2f s\n", arrived,
              std::chrono::duration<double>(Clock::now() - t0).count());
  EXPECT_GE(arrived, 950u);  // the netlab matrix's bar (tests/netlab/p2p.sh)
}

TEST_F(KettleCliP2P, RelayOnlySendGoesThroughTheServersRelay) {
  ServerProcess server(dir(), {"--dev"});
  ASSERT_TRUE(server.started());
  std::unique_ptr<Process> listener;
  const std::string bob =
      start_listener(server, "bob", {"--count", "1", "--accept", "all", "--json", "--timeout", "60"}, listener);
  ASSERT_FALSE(bob.empty());
  const json sent = parse(cli(server, {"--name", "alice", "--relay-only", "send", "--to", bob, "--bytes", "5000"}));
  EXPECT_EQ(sent["sent"], 5000);
  expect_active_session(sent, true);
  // The relay is kettle-server's second socket, on loopback like its main one.
  EXPECT_EQ(sent["session"]["remote_ip"], 0x7F000001u);
  EXPECT_NE("127.0.0.1:" + std::to_string(sent["session"]["remote_port"].get<int>()), server.udp());
  ASSERT_EQ(listener->wait_exit(in_secs(30)), 0) << listener->out();
  EXPECT_NE(listener->out().find("\"sha256\":\"" + sha256_hex(pattern(5000)) + "\""), std::string::npos)
      << listener->out();
}

TEST_F(KettleCliP2P, DoctorReportsWhatItKnows) {
  ServerProcess server(dir(), {"--dev"});
  ASSERT_TRUE(server.started());
  json d = parse(cli(server, {"--name", "alice", "doctor"}));
  EXPECT_EQ(d["server"], server.udp());
  EXPECT_EQ(d["steam_id"], kFirstAccount);
  EXPECT_EQ(d["route_source_ip"], "127.0.0.1");  // the server is on loopback
  EXPECT_EQ(d["likely_path"], "direct");
  // The server on loopback saw us at 127.0.0.1 and our socket's port: no NAT in between.
  const std::string reflexive = d["reflexive_address"];
  const std::string local = d["local_socket"];
  EXPECT_EQ(reflexive.rfind("127.0.0.1:", 0), 0u) << reflexive;
  EXPECT_EQ(reflexive.substr(reflexive.find(':')), local.substr(local.find(':'))) << "same port";
  EXPECT_EQ(d["nat"], false);
  EXPECT_TRUE(d["interfaces"].is_array());
  d = parse(cli(server, {"--name", "alice", "--relay-only", "doctor"}));
  EXPECT_EQ(d["likely_path"], "relay");
  EXPECT_EQ(d["relay_only"], true);
}

TEST_F(KettleCliP2P, BadArgumentsExitOneBeforeLoggingIn) {
  // No server at all: a usage error must not even try to reach one.
  const std::vector<std::string> base = {"--server",           "127.0.0.1:9", "--server-key",
                                         std::string(64, 'a'), "--name",      "alice"};
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> a = base;
    a.insert(a.end(), args.begin(), args.end());
    return run_process(kCliPath, a, clean_environment());
  };
  const std::string bob = kSecondAccount;
  expect_failure(run({"send", "--text", "x"}), 1, "--to");
  expect_failure(run({"send", "--to", "12", "--text", "x"}), 1, "is not a user SteamID64");
  expect_failure(run({"send", "--to", bob}), 1, "exactly one of --text");
  expect_failure(run({"send", "--to", bob, "--text", "x", "--bytes", "3"}), 1, "excludes");
  expect_failure(run({"send", "--to", bob, "--type", "4", "--text", "x"}), 1, "--type must be 0-3");
  expect_failure(run({"send", "--to", bob, "--channel", "256", "--text", "x"}), 1, "--channel must be 0-255");
  expect_failure(run({"send", "--to", bob, "--type", "0", "--bytes", "1201"}), 1, "at most 1200 bytes");
  expect_failure(run({"send", "--to", bob, "--type", "2", "--bytes", "1048577"}), 1, "at most 1048576 bytes");
  expect_failure(run({"send", "--to", bob, "--text", ""}), 1, "empty");
  expect_failure(run({"send", "--to", bob, "--file", path("missing.bin")}), 1, "cannot read --file");
  expect_failure(run({"send", "--to", bob, "--text", "x", "--count", "0"}), 1, "--count");
  expect_failure(run({"send", "--to", bob, "--text", "x", "--frobnicate"}), 1, "frobnicate");
  expect_failure(run({"listen", "--accept", "some"}), 1, "--accept");
  expect_failure(run({"listen", "--channel", "300"}), 1, "--channel must be 0-255");
  expect_failure(run({"--connect-timeout", "0", "send", "--to", bob, "--text", "x"}), 1, "--connect-timeout");
}

TEST_F(KettleCliP2P, UnreachableServerExitsTwo) {
  // A bound loopback port that never answers.
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string addr = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  for (const char* cmd : {"send", "listen"}) {
    std::vector<std::string> args = {
        "--server", addr, "--server-key", std::string(64, 'a'), "--name", "alice", "--timeout", "0.5", cmd};
    if (std::string(cmd) == "send") args.insert(args.end(), {"--to", kSecondAccount, "--text", "x"});
    expect_failure(run_process(kCliPath, args, clean_environment()), 2, "cannot reach the server");
  }
  ::close(fd);
}

TEST_F(KettleCliP2P, SendToAnOfflineUserFailsWithErrorFour) {
  ServerProcess server(dir(), {"--dev"});
  ASSERT_TRUE(server.started());
  ASSERT_EQ(parse(cli(server, {"--name", "bob", "whoami"}))["steam_id"], kFirstAccount);  // bob exists, offline
  const auto t0 = Clock::now();
  const RunResult r = cli(server, {"--name", "alice", "--connect-timeout", "1", "send", "--to", kFirstAccount, "--text",
                                   "anyone there?", "--timeout", "20"});
  const double took = std::chrono::duration<double>(Clock::now() - t0).count();
  expect_failure(r, 3, "error 4");
  EXPECT_LT(took, 15.0) << "the connect timeout (1 s), not --timeout (20 s), must end it";
  // A peer that is online but never accepts (listen --accept none) fails the same way.
  std::unique_ptr<Process> listener;
  const std::string carol =
      start_listener(server, "carol", {"--count", "1", "--accept", "none", "--json", "--timeout", "30"}, listener);
  ASSERT_FALSE(carol.empty());
  expect_failure(cli(server, {"--name", "alice", "--connect-timeout", "1", "send", "--to", carol, "--text", "hi"}), 3,
                 "error 4");
  listener->signal(SIGINT);
  EXPECT_EQ(listener->wait_exit(in_secs(10)), 3);  // interrupted before its one packet
  EXPECT_NE(listener->out().find("\"received\":0"), std::string::npos) << listener->out();
}

}  // namespace
}  // namespace kettle::integration
