// Hostile or confused input on the control channel: malformed bytes, unknown kinds, requests
// before login, server-to-client kinds. Every case gets an error reply and the session stays.
#include <gtest/gtest.h>

#include "core/rng.hpp"
#include "server/server_fixture.hpp"

namespace kettle::server::test {
namespace {

using control::ResultCode;

TEST_F(ServerTest, RequestsBeforeLoginAreRefused) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto c = connect();
  ASSERT_NE(c, 0u);
  EXPECT_TRUE(is_error(node_->request(c, control::GetPersonas{{SteamID::individual(1)}}), ResultCode::access_denied,
                       "log in first"));
  EXPECT_TRUE(is_error(node_->request(c, control::SetPersonaName{"x"}), ResultCode::access_denied));
  EXPECT_TRUE(is_error(node_->request(c, control::SendSignal{SteamID::individual(1), {1}}), ResultCode::access_denied));
  EXPECT_TRUE(is_error(node_->request(c, control::RefreshCertificate{}), ResultCode::access_denied));
  EXPECT_TRUE(is_error(node_->request(c, control::ListOnline{}), ResultCode::access_denied));
  auto ok = node_->request(c, dev_login("alice"));
  ASSERT_TRUE(ok);
  EXPECT_TRUE(std::holds_alternative<control::LoginOk>(ok->body));
}

TEST_F(ServerTest, MalformedBytesGetAnErrorAndTheSessionStays) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a = login("alice");
  ASSERT_NE(a, 0u);
  const std::uint64_t errors_before = server_->metrics().errors.load();
  const std::vector<std::vector<std::uint8_t>> garbage = {
      {0x03},                                // truncated header
      {0x03, 1, 0, 0, 0, 0xff, 0xff, 0xff},  // SetPersonaName with a bad length
      {0x07, 2, 0, 0, 0, 0x00},              // Logout with a trailing byte
      {0x00, 0, 0, 0, 0},                    // kind 0
  };
  for (const auto& g : garbage) {
    ASSERT_TRUE(node_->send_raw(a, g));
    EXPECT_TRUE(is_error(node_->wait_reply(a, 0), ResultCode::invalid_param));
  }
  EXPECT_EQ(server_->metrics().errors.load(), errors_before + garbage.size());
  auto p = node_->request(a, control::GetPersonas{{SteamID::individual(1)}});
  ASSERT_TRUE(p);
  ASSERT_TRUE(std::holds_alternative<control::Personas>(p->body));
  EXPECT_FALSE(node_->conn(a).closed);
}

TEST_F(ServerTest, RandomBytesNeverHurtTheServerOrOtherSessions) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a = login("alice");
  const auto b = login("bob");
  ASSERT_NE(a, 0u);
  ASSERT_NE(b, 0u);
  Rng rng(20261127);
  int sent = 0;
  for (int i = 0; i < 400; ++i) {
    std::vector<std::uint8_t> bytes(1 + rng.below(48));
    for (auto& x : bytes) x = static_cast<std::uint8_t>(rng.next());
    // Half the time a valid-looking header (known request kind), so decode gets past it.
    if (i % 2 == 0) bytes[0] = static_cast<std::uint8_t>(control::kKindLogin + rng.below(7));
    if (auto m = control::decode(bytes); m && std::holds_alternative<control::Logout>(m->body)) continue;
    ASSERT_TRUE(node_->send_raw(a, bytes));
    ++sent;
  }
  // Everything sent was answered (errors or, for the rare decodable request, a reply), in order.
  auto p = node_->request(a, control::GetPersonas{{SteamID::individual(2)}});
  ASSERT_TRUE(p);
  ASSERT_TRUE(std::holds_alternative<control::Personas>(p->body));
  EXPECT_GE(node_->conn(a).inbox.size(), static_cast<std::size_t>(sent));  // one reply each (+ notifications)
  EXPECT_FALSE(node_->conn(a).closed);
  auto q = node_->request(b, control::GetPersonas{{SteamID::individual(1)}});
  ASSERT_TRUE(q);
  EXPECT_TRUE(std::holds_alternative<control::Personas>(q->body));
  EXPECT_EQ(server_->metrics().clients_online.load(), 2u);
}

TEST_F(ServerTest, UnknownRequestKindIsUnsupportedWithItsRequestId) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a = login("alice");
  ASSERT_NE(a, 0u);
  ASSERT_TRUE(node_->send_raw(a, std::vector<std::uint8_t>{0x42, 77, 0, 0, 0, 1, 2, 3}));
  EXPECT_TRUE(is_error(node_->wait_reply(a, 77), ResultCode::unsupported, "unknown message kind 0x42"));
}

// Lobby requests are served end to end over the control protocol (the table's rules are
// tested in tests/server/lobby); a member that disconnects is announced to the others.
TEST_F(ServerTest, LobbiesAreServedOverTheControlProtocol) {
  ASSERT_NO_FATAL_FAILURE(start());
  control::LoginOk a_ok, b_ok;
  const auto a = login("alice", 480, &a_ok);
  const auto b = login("bob", 480, &b_ok);
  ASSERT_TRUE(a != 0 && b != 0);
  auto created = node_->request(a, control::CreateLobby{control::LobbyType::public_lobby, 4});
  ASSERT_TRUE(created);
  const auto* entered = std::get_if<control::LobbyEntered>(&created->body);
  ASSERT_NE(entered, nullptr);
  ASSERT_EQ(entered->response, control::EnterResponse::success);
  const SteamID lobby = entered->lobby;
  EXPECT_TRUE(lobby.IsLobby());
  auto listed = node_->request(b, control::RequestLobbyList{{}, 10});
  ASSERT_TRUE(listed);
  const auto* list = std::get_if<control::LobbyList>(&listed->body);
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->lobbies.size(), 1u);
  EXPECT_EQ(list->lobbies[0].lobby, lobby);
  auto joined = node_->request(b, control::JoinLobby{lobby});
  ASSERT_TRUE(joined);
  const auto* je = std::get_if<control::LobbyEntered>(&joined->body);
  ASSERT_NE(je, nullptr);
  EXPECT_EQ(je->response, control::EnterResponse::success);
  ASSERT_TRUE(je->state);
  EXPECT_EQ(je->state->members.size(), 2u);
  auto news = node_->wait_notification<control::LobbyMemberUpdate>(
      a, [&](const control::LobbyMemberUpdate& u) { return u.member == b_ok.steam_id; });
  ASSERT_TRUE(news);
  EXPECT_EQ(news->change, control::MemberChange::entered);
  ASSERT_TRUE(news->entered);
  EXPECT_EQ(news->entered->persona_name, "bob");
  // bob's client goes away without a word: alice sees him disconnected... once the server
  // notices; a CLOSE from his client is a deliberate leave.
  node_->close(b);
  auto gone = node_->wait_notification<control::LobbyMemberUpdate>(a, [&](const control::LobbyMemberUpdate& u) {
    return u.member == b_ok.steam_id && u.change != control::MemberChange::entered;
  });
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->change, control::MemberChange::left);
  // Server-to-client lobby kinds stay refused as such.
  EXPECT_TRUE(is_error(node_->request(a, control::LobbyKicked{}), ResultCode::invalid_param, "unexpected message"));
}

TEST_F(ServerTest, ServerToClientKindsFromAClientAreRefused) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a = login("alice");
  ASSERT_NE(a, 0u);
  EXPECT_TRUE(is_error(node_->request(a, control::Ok{}), ResultCode::invalid_param, "unexpected message"));
  EXPECT_TRUE(is_error(node_->request(a, control::SignalFrom{SteamID::individual(1), {1}}), ResultCode::invalid_param));
}

TEST_F(ServerTest, SecondLoginOnTheSameConnectionIsRefused) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a = login("alice");
  ASSERT_NE(a, 0u);
  EXPECT_TRUE(is_error(node_->request(a, dev_login("bob")), ResultCode::invalid_param, "already logged in"));
}

}  // namespace
}  // namespace kettle::server::test
