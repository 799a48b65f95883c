// Persona names, presence, signal relay, ListOnline and many concurrent clients.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "server/server_fixture.hpp"
#include "server/store/store.hpp"

namespace kettle::server::test {
namespace {

using control::ResultCode;

std::optional<control::Personas> get_personas(ControlNode& n, transport::ConnectionId c, std::vector<SteamID> ids) {
  auto reply = n.request(c, control::GetPersonas{std::move(ids)});
  if (!reply) return std::nullopt;
  const auto* p = std::get_if<control::Personas>(&reply->body);
  if (p == nullptr) return std::nullopt;
  return *p;
}

TEST_F(ServerTest, GetPersonasAnswersInRequestOrderWithUnknownAndInvalidIds) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a = login("alice", 480);
  const auto b = login("bob", 570);
  ASSERT_NE(a, 0u);
  ASSERT_NE(b, 0u);
  ASSERT_TRUE(node_->request(b, control::Logout{}));
  ASSERT_TRUE(node_->wait([&] { return server_->metrics().clients_online.load() == 1; }));
  auto p =
      get_personas(*node_, a, {SteamID::individual(2), SteamID(0), SteamID::individual(99), SteamID::individual(1)});
  ASSERT_TRUE(p);
  ASSERT_EQ(p->personas.size(), 4u);
  EXPECT_EQ(p->personas[0].name, "bob");
  EXPECT_TRUE(p->personas[0].exists);
  EXPECT_EQ(p->personas[0].state, control::PersonaState::offline);
  EXPECT_EQ(p->personas[1].steam_id, SteamID(0));
  EXPECT_FALSE(p->personas[1].exists);
  EXPECT_EQ(p->personas[1].name, "");
  EXPECT_FALSE(p->personas[2].exists);
  EXPECT_EQ(p->personas[3].name, "alice");
  EXPECT_EQ(p->personas[3].state, control::PersonaState::online);
  EXPECT_EQ(p->personas[3].app_id, 480u);
}

TEST_F(ServerTest, PersonaChangeReachesWatchersAndIsStored) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a = login("alice");
  const auto b = login("bob");
  ASSERT_NE(a, 0u);
  ASSERT_NE(b, 0u);
  ASSERT_TRUE(get_personas(*node_, b, {SteamID::individual(1)}));
  auto ok = node_->request(a, control::SetPersonaName{"Alice W."});
  ASSERT_TRUE(ok);
  EXPECT_TRUE(std::holds_alternative<control::Ok>(ok->body));
  auto changed = node_->wait_notification<control::PersonaChanged>(
      b, [](const control::PersonaChanged& m) { return (m.flags & control::kPersonaChangeName) != 0; });
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->persona.steam_id, SteamID::individual(1));
  EXPECT_EQ(changed->persona.name, "Alice W.");
  // Stored: a fresh login sees it.
  control::LoginOk again;
  ASSERT_NE(login("alice", 480, &again), 0u);
  EXPECT_EQ(again.persona_name, "Alice W.");
}

TEST_F(ServerTest, BadPersonaNamesAreRefusedAndTheSessionKeepsWorking) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a = login("alice");
  ASSERT_NE(a, 0u);
  // The codec applies the name rules itself (decode refuses the message), so these come back
  // as invalid_param with request id 0 rather than invalid_name.
  for (const std::string& bad : {std::string("   "), std::string("tab\there"), std::string("nul\0x", 5)}) {
    node_->send(a, control::SetPersonaName{bad});
    EXPECT_TRUE(is_error(node_->wait_reply(a, 0), ResultCode::invalid_param)) << bad;
  }
  const std::string too_long(control::kMaxPersonaNameBytes + 1, 'x');
  node_->send(a, control::SetPersonaName{too_long});
  auto e = node_->wait_reply(a, 0);
  EXPECT_TRUE(is_error(e, ResultCode::invalid_param));
  node_->send(a, control::SetPersonaName{"bad\xff\xfe"});
  EXPECT_TRUE(is_error(node_->wait_reply(a, 0), ResultCode::invalid_param));
  auto p = get_personas(*node_, a, {SteamID::individual(1)});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->personas[0].name, "alice");
}

TEST_F(ServerTest, BadLoginNamesAreRefused) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto c = connect();
  ASSERT_NE(c, 0u);
  node_->send(c, dev_login(std::string(control::kMaxLoginNameBytes + 1, 'n')));
  EXPECT_TRUE(is_error(node_->wait_reply(c, 0), ResultCode::invalid_param));
  node_->send(c, dev_login("\xc3\x28"));
  EXPECT_TRUE(is_error(node_->wait_reply(c, 0), ResultCode::invalid_param));
  node_->send(c, dev_login("ctl\x01"));
  EXPECT_TRUE(is_error(node_->wait_reply(c, 0), ResultCode::invalid_param));
  EXPECT_EQ(server_->metrics().logins_ok.load(), 0u);
  EXPECT_NE(node_->request(c, dev_login("fine")), std::nullopt);
}

TEST_F(ServerTest, PresenceOnlineAndOfflineReachWatchers) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a = login("alice");
  const auto b = login("bob");
  ASSERT_NE(a, 0u);
  ASSERT_NE(b, 0u);
  ASSERT_TRUE(get_personas(*node_, b, {SteamID::individual(1)}));
  node_->close(a);  // a client that goes away (CLOSE, no Logout)
  auto gone = node_->wait_notification<control::PersonaChanged>(
      b, [](const control::PersonaChanged& m) { return (m.flags & control::kPersonaChangeGoneOffline) != 0; });
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->persona.steam_id, SteamID::individual(1));
  EXPECT_EQ(gone->persona.state, control::PersonaState::offline);
  auto p = get_personas(*node_, b, {SteamID::individual(1)});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->personas[0].state, control::PersonaState::offline);

  ASSERT_NE(login("alice", 570), 0u);
  auto back = node_->wait_notification<control::PersonaChanged>(
      b, [](const control::PersonaChanged& m) { return (m.flags & control::kPersonaChangeComeOnline) != 0; });
  ASSERT_TRUE(back);
  EXPECT_EQ(back->persona.state, control::PersonaState::online);
  EXPECT_EQ(back->persona.app_id, 570u);
}

TEST_F(ServerTest, SilentClientGoesOfflineAfterBackendLiveness) {
  options_.backend_liveness = secs(1);
  ASSERT_NO_FATAL_FAILURE(start());
  const auto b = login("bob");
  ASSERT_NE(b, 0u);
  ASSERT_TRUE(get_personas(*node_, b, {SteamID::individual(2)}));
  // A second node that logs in and then stops pumping entirely (a frozen process).
  auto frozen = ControlNode::create(server_->public_key());
  ASSERT_NE(frozen, nullptr);
  const auto f = frozen->connect(server_->udp_address());
  ASSERT_NE(f, 0u);
  ASSERT_TRUE(frozen->request(f, dev_login("frozen")));
  const Instant t0 = monotonic_now();
  auto gone = node_->wait_notification<control::PersonaChanged>(
      b, [](const control::PersonaChanged& m) { return (m.flags & control::kPersonaChangeGoneOffline) != 0; }, secs(5));
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->persona.steam_id, SteamID::individual(2));
  EXPECT_GE(monotonic_now() - t0, ms(900));
}

TEST_F(ServerTest, SignalRelayReachesAnOnlineUserOnly) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a = login("alice");
  const auto b = login("bob");
  ASSERT_NE(a, 0u);
  ASSERT_NE(b, 0u);
  const std::vector<std::uint8_t> payload{1, 2, 3, 0xff};
  auto ok = node_->request(a, control::SendSignal{SteamID::individual(2), payload});
  ASSERT_TRUE(ok);
  EXPECT_TRUE(std::holds_alternative<control::Ok>(ok->body));
  auto got = node_->wait_notification<control::SignalFrom>(b, [](const control::SignalFrom&) { return true; });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->from, SteamID::individual(1));
  EXPECT_EQ(got->payload, payload);
  EXPECT_TRUE(is_error(node_->request(a, control::SendSignal{SteamID::individual(7), payload}),
                       ResultCode::no_connection, "user not online"));
  EXPECT_TRUE(is_error(node_->request(a, control::SendSignal{SteamID::lobby(1), payload}), ResultCode::no_connection));
  EXPECT_EQ(server_->metrics().signals_relayed.load(), 1u);
}

TEST_F(ServerTest, SignalFloodIsRateLimitedAndTheTargetGetsOnlyTheAllowedOnes) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a = login("alice");
  const auto b = login("bob");
  ASSERT_NE(a, 0u);
  ASSERT_NE(b, 0u);
  constexpr int kSignals = 600;  // within the request budget (burst 1000), over the signal budget
  std::vector<std::uint32_t> rids;
  for (int i = 0; i < kSignals; ++i) {
    rids.push_back(node_->send(a, control::SendSignal{SteamID::individual(2), {static_cast<std::uint8_t>(i)}}));
  }
  int ok = 0, limited = 0;
  for (const auto rid : rids) {
    auto r = node_->wait_reply(a, rid);
    ASSERT_TRUE(r);
    if (std::holds_alternative<control::Ok>(r->body)) {
      ++ok;
    } else {
      ASSERT_TRUE(is_error(r, ResultCode::limit_exceeded, "too many signals"));
      ++limited;
    }
  }
  // The burst (200) passes; the rest of a flood this fast is mostly refused (100/s refill).
  EXPECT_GE(ok, 200);
  EXPECT_LT(ok, 450);
  EXPECT_EQ(ok + limited, kSignals);
  ASSERT_TRUE(node_->wait([&] { return node_->conn(b).inbox.size() == static_cast<std::size_t>(ok); }));
  EXPECT_EQ(server_->metrics().signals_relayed.load(), static_cast<std::uint64_t>(ok));
  // The session still works.
  auto p = get_personas(*node_, a, {SteamID::individual(2)});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->personas[0].name, "bob");
}

TEST_F(ServerTest, LookupFloodIsRateLimited) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a = login("alice");
  ASSERT_NE(a, 0u);
  std::vector<SteamID> ids;
  for (std::uint32_t i = 1; i <= control::kMaxListItems; ++i) ids.push_back(SteamID::individual(i));
  std::vector<std::uint32_t> rids;
  for (int i = 0; i < 40; ++i) rids.push_back(node_->send(a, control::GetPersonas{ids}));
  int limited = 0;
  for (const auto rid : rids) {
    auto r = node_->wait_reply(a, rid);
    ASSERT_TRUE(r);
    if (!std::holds_alternative<control::Personas>(r->body)) {
      ASSERT_TRUE(is_error(r, ResultCode::limit_exceeded));
      ++limited;
    }
  }
  // 40 lookups of 1000 ids cost 4040 units against a burst of 1000 at 500/s.
  EXPECT_GT(limited, 10);
}

TEST_F(ServerTest, ListOnlineFiltersByApp) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a = login("alice", 480);
  ASSERT_NE(login("bob", 570), 0u);
  ASSERT_NE(login("carol", 480), 0u);
  ASSERT_NE(a, 0u);
  auto all = node_->request(a, control::ListOnline{0});
  ASSERT_TRUE(all);
  const auto* list = std::get_if<control::OnlineList>(&all->body);
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->personas.size(), 3u);
  EXPECT_EQ(list->personas[1].name, "bob");
  EXPECT_EQ(list->personas[1].app_id, 570u);
  auto only = node_->request(a, control::ListOnline{480});
  ASSERT_TRUE(only);
  list = std::get_if<control::OnlineList>(&only->body);
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->personas.size(), 2u);
  EXPECT_EQ(list->personas[0].name, "alice");
  EXPECT_EQ(list->personas[1].name, "carol");
}

TEST_F(ServerTest, ListOnlineCanBeDisabled) {
  options_.allow_list_online = false;
  ASSERT_NO_FATAL_FAILURE(start());
  const auto a = login("alice");
  ASSERT_NE(a, 0u);
  EXPECT_TRUE(is_error(node_->request(a, control::ListOnline{}), ResultCode::access_denied));
}

TEST_F(ServerTest, FiftyClientsLogInConcurrently) {
  ASSERT_NO_FATAL_FAILURE(start());
  constexpr int kClients = 50;
  std::vector<transport::ConnectionId> conns;
  for (int i = 0; i < kClients; ++i) {
    conns.push_back(node_->start_connect(server_->udp_address()));
    ASSERT_NE(conns.back(), 0u);
  }
  const Instant t0 = monotonic_now();
  ASSERT_TRUE(node_->wait(
      [&] { return std::all_of(conns.begin(), conns.end(), [&](auto c) { return node_->conn(c).connected; }); }));
  std::vector<std::uint32_t> rids;
  for (int i = 0; i < kClients; ++i) rids.push_back(node_->send(conns[i], dev_login("user" + std::to_string(i))));
  std::set<std::uint64_t> ids;
  for (int i = 0; i < kClients; ++i) {
    auto reply = node_->wait_reply(conns[i], rids[i]);
    ASSERT_TRUE(reply);
    const auto* ok = std::get_if<control::LoginOk>(&reply->body);
    ASSERT_NE(ok, nullptr);
    EXPECT_EQ(ok->persona_name, "user" + std::to_string(i));
    ids.insert(ok->steam_id.value());
  }
  const auto elapsed = monotonic_now() - t0;
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kClients));
  EXPECT_EQ(server_->metrics().clients_online.load(), static_cast<std::uint64_t>(kClients));
  std::printf("50 clients connected and logged in in %.1f ms\n", static_cast<double>(to_us(elapsed)) / 1000.0);
}

}  // namespace
}  // namespace kettle::server::test

namespace kettle::server::test {
namespace {

TEST_F(ServerTest, LastSeenIsWrittenInBatchesAndOnStop) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto before = static_cast<std::int64_t>(unix_now_s());
  ASSERT_NE(login("alice"), 0u);
  ASSERT_NE(login("bob"), 0u);
  // The batch is due one second after the first login; a separate connection to the same
  // file sees it once the server commits it.
  auto store = open_sqlite_store(options_.db_path);
  ASSERT_TRUE(store) << store.error().to_string();
  auto seen = [&](const char* name) {
    auto a = (*store)->find_account(name);
    return a.ok() && a->has_value() ? (*a)->last_seen_unix_s : std::int64_t{-1};
  };
  ASSERT_TRUE(node_->wait([&] { return seen("alice") >= before && seen("bob") >= before; }, secs(10)));

  // Logging out right before a stop is not lost: the stop writes the pending batch.
  const auto c = login("carol");
  ASSERT_NE(c, 0u);
  server_->stop();
  server_.reset();
  EXPECT_GE(seen("carol"), before);
}

}  // namespace
}  // namespace kettle::server::test
