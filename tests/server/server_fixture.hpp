// A real Server on 127.0.0.1:0 (HTTP off) with its SQLite database in a fresh temp directory,
// serving on its own thread, plus a ControlNode to talk to it.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "server/control_client.hpp"
#include "server/server.hpp"

namespace kettle::server::test {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::init());
    char tmpl[] = "/tmp/kettle-server-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.udp = Address::loopback_v4(0);
    options_.http = std::nullopt;
    options_.db_path = dir_ + "/kettle.db";
    options_.dev = true;
    options_.key = crypto::SigningKeyPair::generate();
    options_.auth_threads = 2;
  }

  void TearDown() override {
    node_.reset();
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Creates and starts the server with options_, and a client node trusting its key.
  void start() {
    auto s = Server::create(options_);
    ASSERT_TRUE(s) << s.error().to_string();
    server_ = std::move(*s);
    ASSERT_TRUE(server_->start());
    node_ = ControlNode::create(server_->public_key());
    ASSERT_NE(node_, nullptr);
  }

  transport::ConnectionId connect(const crypto::SigningKeyPair* key = nullptr) {
    return node_->connect(server_->udp_address(), key);
  }

  // Connects and logs in by name (dev mode); returns the connection, or 0 on any failure.
  transport::ConnectionId login(const std::string& name, std::uint32_t app_id = 480,
                                control::LoginOk* ok_out = nullptr) {
    const auto c = connect();
    if (c == 0) return 0;
    auto reply = node_->request(c, dev_login(name, app_id));
    if (!reply) return 0;
    auto* ok = std::get_if<control::LoginOk>(&reply->body);
    if (ok == nullptr) return 0;
    if (ok_out != nullptr) *ok_out = *ok;
    return c;
  }

  std::string dir_;
  ServerOptions options_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<ControlNode> node_;
};

// Matches an ErrorReply with `code`; on mismatch the test output shows what came instead.
inline ::testing::AssertionResult is_error(const std::optional<control::Message>& m, control::ResultCode code,
                                           std::string_view text = {}) {
  if (!m) return ::testing::AssertionFailure() << "no reply";
  const auto* e = std::get_if<control::ErrorReply>(&m->body);
  if (e == nullptr) {
    return ::testing::AssertionFailure() << "got " << control::kind_name(control::kind_of(m->body))
                                         << " instead of ErrorReply";
  }
  if (e->code != code) {
    return ::testing::AssertionFailure() << "code " << control::result_code_name(e->code) << " (\"" << e->message
                                         << "\"), wanted " << control::result_code_name(code);
  }
  if (!text.empty() && e->message.find(text) == std::string::npos) {
    return ::testing::AssertionFailure() << "message \"" << e->message << "\" lacks \"" << text << "\"";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace kettle::server::test
