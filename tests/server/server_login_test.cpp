// Login over a real Server: dev, password, token and certificate methods, apps and
// entitlements, version checks, session replacement, logout and shutdown.
#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "server/server_core.hpp"
#include "server/server_fixture.hpp"
#include "server/store/credentials.hpp"
#include "server/store/store.hpp"

namespace kettle::server::test {
namespace {

using control::ResultCode;

TEST_F(ServerTest, DevLoginGivesFirstSteamIdNameAndCertificate) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto c = connect();
  ASSERT_NE(c, 0u);
  auto reply = node_->request(c, dev_login("alice"));
  ASSERT_TRUE(reply);
  const auto* ok = std::get_if<control::LoginOk>(&reply->body);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->steam_id.ConvertToUint64(), 76561197960265729ULL);
  EXPECT_EQ(ok->persona_name, "alice");
  EXPECT_TRUE(ok->subscribed);
  EXPECT_EQ(ok->reflexive, node_->local_address());
  EXPECT_NEAR(static_cast<double>(ok->server_time_unix_s), static_cast<double>(unix_now_s()), 5.0);
  EXPECT_EQ(ok->certificate.steam_id, ok->steam_id);
  EXPECT_EQ(ok->certificate.app_id, 480u);
  EXPECT_EQ(ok->certificate.public_key, node_->conn(c).key.pub);
  EXPECT_TRUE(ok->certificate.verify(server_->public_key(), unix_now_s()));
  EXPECT_GT(ok->certificate.expiry_unix_s, unix_now_s() + 3500);
  EXPECT_LE(ok->certificate.expiry_unix_s, unix_now_s() + 3601);
  EXPECT_EQ(server_->metrics().logins_ok.load(), 1u);
  EXPECT_EQ(server_->metrics().clients_online.load(), 1u);
}

TEST_F(ServerTest, SameNameGetsSameSteamIdAndNewNamesGetNewOnes) {
  ASSERT_NO_FATAL_FAILURE(start());
  control::LoginOk first, again, bob;
  const auto a = login("alice", 480, &first);
  ASSERT_NE(a, 0u);
  auto out = node_->request(a, control::Logout{});
  ASSERT_TRUE(out);
  EXPECT_TRUE(std::holds_alternative<control::Ok>(out->body));
  ASSERT_TRUE(node_->wait([&] { return node_->conn(a).closed; }));
  EXPECT_EQ(node_->conn(a).close_info.app_code, kCloseLogout);
  EXPECT_TRUE(node_->conn(a).close_info.by_peer);
  ASSERT_NE(login("alice", 480, &again), 0u);
  ASSERT_NE(login("bob", 480, &bob), 0u);
  EXPECT_EQ(again.steam_id, first.steam_id);
  EXPECT_EQ(bob.steam_id, SteamID::individual(2));
}

TEST_F(ServerTest, SecondLoginReplacesTheOlderSession) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a1 = login("alice");
  ASSERT_NE(a1, 0u);
  const auto a2 = login("alice");
  ASSERT_NE(a2, 0u);
  ASSERT_TRUE(node_->wait([&] { return node_->conn(a1).closed; }));
  EXPECT_EQ(node_->conn(a1).close_info.app_code, kCloseLoggedInElsewhere);
  EXPECT_EQ(node_->conn(a1).close_info.message, "logged in elsewhere");
  // The new session is the one online.
  auto list = node_->request(a2, control::ListOnline{});
  ASSERT_TRUE(list);
  const auto* online = std::get_if<control::OnlineList>(&list->body);
  ASSERT_NE(online, nullptr);
  ASSERT_EQ(online->personas.size(), 1u);
  EXPECT_EQ(online->personas[0].steam_id, SteamID::individual(1));
  EXPECT_EQ(server_->metrics().clients_online.load(), 1u);
}

TEST_F(ServerTest, DevLoginDisabledOutsideDevMode) {
  options_.dev = false;
  options_.apps = {AppRule{480, "Spacewar", true, {}}};
  ASSERT_NO_FATAL_FAILURE(start());
  const auto c = connect();
  ASSERT_NE(c, 0u);
  EXPECT_TRUE(is_error(node_->request(c, dev_login("alice")), ResultCode::invalid_password,
                       "dev login is disabled on this server; use a password or token"));
  EXPECT_EQ(server_->metrics().logins_failed.load(), 1u);
}

TEST_F(ServerTest, WrongProtocolVersionAndAppZeroAreRefused) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto c = connect();
  ASSERT_NE(c, 0u);
  auto l = dev_login("alice");
  l.version = 7;
  EXPECT_TRUE(is_error(node_->request(c, l), ResultCode::unsupported, "control protocol version 7, server speaks 1"));
  EXPECT_TRUE(is_error(node_->request(c, dev_login("alice", 0)), ResultCode::invalid_param, "app_id"));
  // The connection is still usable.
  EXPECT_TRUE(node_->request(c, dev_login("alice")).has_value());
}

class PasswordServerTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    options_.dev = false;
    options_.apps = {AppRule{480, "Spacewar", true, {}}, AppRule{481, "Closed", false, {"dave"}}};
    auto store = open_sqlite_store(options_.db_path);
    ASSERT_TRUE(store) << store.error().to_string();
    auto hash = hash_password("hunter2");
    ASSERT_TRUE(hash);
    auto carol = (*store)->create_account("carol", CredentialKind::password, *hash, 1000);
    ASSERT_TRUE(carol) << carol.error().to_string();
    carol_ = *carol;
    auto dave = (*store)->create_account("dave", CredentialKind::password, *hash, 1000);
    ASSERT_TRUE(dave);
    auto erin = (*store)->create_account("erin", CredentialKind::password, *hash, 1000);
    ASSERT_TRUE(erin);
    erin_ = *erin;
    token_ = generate_token();
    ASSERT_TRUE((*store)->add_token(carol_.account_id, hash_token(token_), 1000));
  }
  Account carol_, erin_;
  std::string token_;
};

TEST_F(PasswordServerTest, RightPasswordLogsInAndWrongOrUnknownGetTheSameError) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto c = connect();
  ASSERT_NE(c, 0u);
  EXPECT_TRUE(is_error(node_->request(c, password_login("carol", "hunter3")), ResultCode::invalid_password,
                       "wrong login name or password"));
  EXPECT_TRUE(is_error(node_->request(c, password_login("nobody", "hunter2")), ResultCode::invalid_password,
                       "wrong login name or password"));
  auto reply = node_->request(c, password_login("carol", "hunter2"));
  ASSERT_TRUE(reply);
  const auto* ok = std::get_if<control::LoginOk>(&reply->body);
  ASSERT_NE(ok, nullptr) << control::kind_name(control::kind_of(reply->body));
  EXPECT_EQ(ok->steam_id, carol_.steam_id());
  EXPECT_EQ(ok->persona_name, "carol");
  EXPECT_EQ(server_->metrics().logins_failed.load(), 2u);
}

TEST_F(PasswordServerTest, UnknownAppIsRefused) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto c = connect();
  ASSERT_NE(c, 0u);
  EXPECT_TRUE(is_error(node_->request(c, password_login("carol", "hunter2", 999)), ResultCode::invalid_param,
                       "unknown app_id 999"));
}

TEST_F(PasswordServerTest, TokenLogin) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto c = connect();
  ASSERT_NE(c, 0u);
  control::Login l;
  l.app_id = 480;
  l.method = control::LoginMethod::token;
  l.name = "carol";
  l.secret = generate_token();
  EXPECT_TRUE(is_error(node_->request(c, l), ResultCode::invalid_password, "wrong login name or password"));
  l.secret = token_;
  l.name = "dave";  // the token is carol's
  EXPECT_TRUE(is_error(node_->request(c, l), ResultCode::invalid_password));
  l.name = "carol";
  auto reply = node_->request(c, l);
  ASSERT_TRUE(reply);
  const auto* ok = std::get_if<control::LoginOk>(&reply->body);
  ASSERT_NE(ok, nullptr) << control::kind_name(control::kind_of(reply->body));
  EXPECT_EQ(ok->steam_id, carol_.steam_id());
}

TEST_F(PasswordServerTest, EntitlementFollowsOpenAllowListAndGrants) {
  {
    auto store = open_sqlite_store(options_.db_path);
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->upsert_app(App{481, "Closed", false}));
    ASSERT_TRUE((*store)->grant(481, erin_.account_id));
  }
  ASSERT_NO_FATAL_FAILURE(start());
  auto subscribed = [&](const std::string& name, std::uint32_t app) -> std::optional<bool> {
    const auto c = connect();
    if (c == 0) return std::nullopt;
    auto reply = node_->request(c, password_login(name, "hunter2", app));
    if (!reply) return std::nullopt;
    const auto* ok = std::get_if<control::LoginOk>(&reply->body);
    if (ok == nullptr) return std::nullopt;
    return ok->subscribed;
  };
  EXPECT_EQ(subscribed("carol", 480), true);   // open app
  EXPECT_EQ(subscribed("carol", 481), false);  // closed, not listed, not granted: still logs in
  EXPECT_EQ(subscribed("dave", 481), true);    // allow list
  EXPECT_EQ(subscribed("erin", 481), true);    // grant in the database
}

TEST_F(PasswordServerTest, DevAccountCannotLogInWithAPassword) {
  {
    auto store = open_sqlite_store(options_.db_path);
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->create_account("devuser", CredentialKind::none, "", 1000));
  }
  ASSERT_NO_FATAL_FAILURE(start());
  const auto c = connect();
  ASSERT_NE(c, 0u);
  EXPECT_TRUE(is_error(node_->request(c, password_login("devuser", "")), ResultCode::invalid_password));
  EXPECT_TRUE(is_error(node_->request(c, password_login("devuser", "x")), ResultCode::invalid_password,
                       "wrong login name or password"));
}

TEST_F(ServerTest, DevModeRefusesNameOnlyLoginToAPasswordAccount) {
  {
    auto store = open_sqlite_store(options_.db_path);
    ASSERT_TRUE(store);
    auto hash = hash_password("pw");
    ASSERT_TRUE(hash);
    ASSERT_TRUE((*store)->create_account("carol", CredentialKind::password, *hash, 1000));
  }
  ASSERT_NO_FATAL_FAILURE(start());
  const auto c = connect();
  ASSERT_NE(c, 0u);
  EXPECT_TRUE(is_error(node_->request(c, dev_login("carol")), ResultCode::invalid_password, "has a password"));
  auto ok = node_->request(c, password_login("carol", "pw"));
  ASSERT_TRUE(ok);
  EXPECT_TRUE(std::holds_alternative<control::LoginOk>(ok->body));
}

TEST_F(ServerTest, PasswordChecksDoNotStallOtherClients) {
  {
    auto store = open_sqlite_store(options_.db_path);
    ASSERT_TRUE(store);
    auto hash = hash_password("pw");
    ASSERT_TRUE(hash);
    ASSERT_TRUE((*store)->create_account("carol", CredentialKind::password, *hash, 1000));
  }
  options_.auth_threads = 1;
  ASSERT_NO_FATAL_FAILURE(start());
  const auto b = login("bob");
  ASSERT_NE(b, 0u);
  const auto a = connect();
  ASSERT_NE(a, 0u);
  // Four Argon2id checks queue on the one worker (each on its own connection: one login at a
  // time per connection); bob's requests are answered while they run.
  std::vector<std::pair<transport::ConnectionId, std::uint32_t>> pending;
  for (int i = 0; i < 4; ++i) {
    const auto c = i == 0 ? a : connect();
    ASSERT_NE(c, 0u);
    pending.emplace_back(c, node_->send(c, password_login("carol", i == 3 ? "pw" : "wrong")));
  }
  auto p = node_->request(b, control::GetPersonas{{SteamID::individual(1)}});
  ASSERT_TRUE(p);
  EXPECT_TRUE(std::holds_alternative<control::Personas>(p->body));
  const auto& last = pending.back();
  EXPECT_TRUE(std::none_of(node_->conn(last.first).inbox.begin(), node_->conn(last.first).inbox.end(),
                           [&](const control::Message& m) { return m.request_id == last.second; }))
      << "the fourth password check finished before a cheap request on another connection";
  const Instant t0 = monotonic_now();
  for (std::size_t i = 0; i < pending.size(); ++i) {
    auto r = node_->wait_reply(pending[i].first, pending[i].second);
    ASSERT_TRUE(r);
    if (i == 3) {
      EXPECT_TRUE(std::holds_alternative<control::LoginOk>(r->body));
    } else {
      EXPECT_TRUE(is_error(r, ResultCode::invalid_password));
    }
  }
  std::printf("4 password checks on 1 auth worker done %.1f ms after bob's lookup was answered\n",
              static_cast<double>(to_us(monotonic_now() - t0)) / 1000.0);
}

TEST_F(ServerTest, CertificateResumeOnANewConnectionWithTheSameKey) {
  ASSERT_NO_FATAL_FAILURE(start());
  control::LoginOk first;
  const auto a = login("alice", 480, &first);
  ASSERT_NE(a, 0u);
  const auto b = connect(&node_->conn(a).key);
  ASSERT_NE(b, 0u);
  control::Login l;
  l.app_id = 480;
  l.method = control::LoginMethod::certificate;
  l.certificate = first.certificate;
  auto reply = node_->request(b, l);
  ASSERT_TRUE(reply);
  const auto* ok = std::get_if<control::LoginOk>(&reply->body);
  ASSERT_NE(ok, nullptr) << control::kind_name(control::kind_of(reply->body));
  EXPECT_EQ(ok->steam_id, first.steam_id);
  EXPECT_EQ(ok->persona_name, "alice");
  ASSERT_TRUE(node_->wait([&] { return node_->conn(a).closed; }));  // replaced
}

TEST_F(ServerTest, CertificateFromAnotherKeyForAnotherKeyOrExpiredIsRefused) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto c = connect();
  ASSERT_NE(c, 0u);
  const auto& me = node_->conn(c).key.pub;
  control::Login l;
  l.app_id = 480;
  l.method = control::LoginMethod::certificate;
  const auto other_issuer = crypto::SigningKeyPair::generate();
  l.certificate = crypto::Certificate::issue(other_issuer, SteamID::individual(1), 480, me, unix_now_s() + 3600);
  EXPECT_TRUE(is_error(node_->request(c, l), ResultCode::invalid_certificate,
                       "certificate was not issued by this server's key"));
  const auto someone_else = crypto::SigningKeyPair::generate();
  l.certificate =
      crypto::Certificate::issue(options_.key, SteamID::individual(1), 480, someone_else.pub, unix_now_s() + 3600);
  EXPECT_TRUE(is_error(node_->request(c, l), ResultCode::invalid_certificate, "certificate belongs to another key"));
  l.certificate = crypto::Certificate::issue(options_.key, SteamID::individual(1), 480, me, unix_now_s() - 10);
  EXPECT_TRUE(is_error(node_->request(c, l), ResultCode::expired, "expired"));
  // An anonymous certificate is self-signed, not the server's.
  l.certificate = crypto::Certificate::anonymous(node_->conn(c).key);
  EXPECT_TRUE(is_error(node_->request(c, l), ResultCode::invalid_certificate));
}

TEST_F(ServerTest, RefreshCertificateIssuesANewExpiry) {
  options_.certificate_lifetime = secs(120);
  ASSERT_NO_FATAL_FAILURE(start());
  control::LoginOk ok;
  const auto c = login("alice", 480, &ok);
  ASSERT_NE(c, 0u);
  EXPECT_LE(ok.certificate.expiry_unix_s, unix_now_s() + 121);
  auto reply = node_->request(c, control::RefreshCertificate{});
  ASSERT_TRUE(reply);
  const auto* issued = std::get_if<control::CertificateIssued>(&reply->body);
  ASSERT_NE(issued, nullptr);
  EXPECT_TRUE(issued->certificate.verify(server_->public_key(), unix_now_s()));
  EXPECT_EQ(issued->certificate.steam_id, ok.steam_id);
  EXPECT_EQ(issued->certificate.public_key, node_->conn(c).key.pub);
  EXPECT_GE(issued->certificate.expiry_unix_s, ok.certificate.expiry_unix_s);
  EXPECT_EQ(server_->metrics().certificates_issued.load(), 2u);
}

TEST_F(ServerTest, ConnectionThatNeverLogsInIsClosedAfterBackendLiveness) {
  options_.backend_liveness = secs(1);
  ASSERT_NO_FATAL_FAILURE(start());
  const auto idle = connect();
  ASSERT_NE(idle, 0u);
  const Instant t0 = monotonic_now();
  const auto a = login("alice");
  ASSERT_NE(a, 0u);
  // Both stay alive at the transport level (this node keeps pumping); only the one that never
  // logged in is closed.
  ASSERT_TRUE(node_->wait([&] { return node_->conn(idle).closed; }, secs(5)));
  EXPECT_GE(monotonic_now() - t0, ms(900));
  EXPECT_EQ(node_->conn(idle).close_info.app_code, kCloseLoginTimeout);
  EXPECT_TRUE(node_->conn(idle).close_info.by_peer);
  node_->wait([] { return false; }, ms(1500));  // past alice's own login deadline
  EXPECT_FALSE(node_->conn(a).closed);
  auto p = node_->request(a, control::GetPersonas{{SteamID::individual(1)}});
  ASSERT_TRUE(p);
  EXPECT_TRUE(std::holds_alternative<control::Personas>(p->body));
}

TEST_F(ServerTest, StopClosesEverySessionAtOnce) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a = login("alice");
  const auto b = connect();  // connected, not logged in
  ASSERT_NE(a, 0u);
  ASSERT_NE(b, 0u);
  ASSERT_TRUE(node_->wait([&] { return server_->metrics().connections.load() == 2; }));
  const Instant t0 = monotonic_now();
  server_->stop();
  ASSERT_TRUE(node_->wait([&] { return node_->conn(a).closed && node_->conn(b).closed; }, secs(3)));
  EXPECT_LT(monotonic_now() - t0, secs(2));
  EXPECT_EQ(node_->conn(a).close_info.app_code, kCloseServerShutdown);
  EXPECT_TRUE(node_->conn(a).close_info.by_peer);
  EXPECT_TRUE(node_->conn(b).close_info.by_peer);
}

TEST_F(ServerTest, StopStillClosesAClientThatStoppedReading) {
  auto s = Server::create(options_);
  ASSERT_TRUE(s) << s.error().to_string();
  Server& server = **s;
  std::thread io([&] { (void)server.run(); });
  struct Joiner {  // a failed ASSERT below must not leave `io` joinable
    Server& server;
    std::thread& io;
    ~Joiner() {
      server.stop();
      if (io.joinable()) io.join();
    }
  } joiner{server, io};
  auto node = ControlNode::create(server.public_key());
  ASSERT_NE(node, nullptr);
  const auto c = node->connect(server.udp_address());
  ASSERT_NE(c, 0u);
  ASSERT_TRUE(node->request(c, dev_login("alice")));
  // alice sends one more request and stops reading (no pumping until the server has stopped):
  // the reply stays unacknowledged, so the server's close lingers on it. The shutdown grace
  // must still end in a CLOSE rather than leave alice to find out by her idle timeout.
  const std::uint64_t out_before = server.metrics().messages_out.load();
  (void)node->send(c, control::GetPersonas{{SteamID::individual(1)}});
  const Instant give_up = monotonic_now() + secs(10);
  while (server.metrics().messages_out.load() == out_before && monotonic_now() < give_up) std::this_thread::yield();
  ASSERT_GT(server.metrics().messages_out.load(), out_before);
  server.stop();
  io.join();
  ASSERT_TRUE(node->wait([&] { return node->conn(c).closed; }, secs(3)));
  EXPECT_EQ(node->conn(c).close_info.app_code, kCloseServerShutdown);
  EXPECT_TRUE(node->conn(c).close_info.by_peer);
}

TEST_F(ServerTest, PortInUseNamesTheAddress) {
  ASSERT_NO_FATAL_FAILURE(start());
  ServerOptions o = options_;
  o.udp = server_->udp_address();
  o.db_path = ":memory:";
  auto second = Server::create(o);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.code(), Errc::io);
  EXPECT_NE(second.error().message.find("UDP " + o.udp.to_string()), std::string::npos) << second.error().message;
}

TEST_F(ServerTest, RunServesOnTheCallingThreadUntilStop) {
  auto s = Server::create(options_);
  ASSERT_TRUE(s) << s.error().to_string();
  Server& server = **s;
  server.stop();  // a stop before run() makes that run() return at once
  ASSERT_TRUE(server.run());
  Status result = make_error(Errc::internal, "run() did not return");
  std::thread io([&] { result = server.run(); });
  auto node = ControlNode::create(server.public_key());
  ASSERT_NE(node, nullptr);
  const auto c = node->connect(server.udp_address());
  ASSERT_NE(c, 0u);
  auto ok = node->request(c, dev_login("alice"));
  ASSERT_TRUE(ok);
  EXPECT_TRUE(std::holds_alternative<control::LoginOk>(ok->body));
  EXPECT_EQ(server.run().code(), Errc::invalid_argument);  // already running on `io`
  server.stop();
  io.join();
  EXPECT_TRUE(result) << result.error().to_string();
  EXPECT_TRUE(node->wait([&] { return node->conn(c).closed; }));
  EXPECT_EQ(node->conn(c).close_info.app_code, kCloseServerShutdown);
}

TEST_F(ServerTest, UnusableDatabasePathIsAnIoErrorNamingIt) {
  options_.db_path = dir_ + "/no/such/dir/kettle.db";
  auto s = Server::create(options_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), Errc::io);
  EXPECT_NE(s.error().message.find(options_.db_path), std::string::npos) << s.error().message;
}

TEST_F(ServerTest, StartTwiceIsRefused) {
  ASSERT_NO_FATAL_FAILURE(start());
  EXPECT_EQ(server_->start().code(), Errc::invalid_argument);
}

TEST_F(ServerTest, InvalidOptionsAreRefusedWithTheOptionNamed) {
  ServerOptions o = options_;
  o.auth_threads = 0;
  auto s = Server::create(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), Errc::invalid_argument);
  EXPECT_NE(s.error().message.find("auth_threads"), std::string::npos);
  o = options_;
  o.key = crypto::SigningKeyPair{};
  EXPECT_EQ(Server::create(o).code(), Errc::invalid_argument);
  o = options_;
  o.apps = {AppRule{0, "zero", true, {}}};
  EXPECT_EQ(Server::create(o).code(), Errc::invalid_argument);
}

}  // namespace
}  // namespace kettle::server::test
