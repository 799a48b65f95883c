// The fixture of the lobby end-to-end tests (lobby_test.cpp, lobby_bad_input_test.cpp): a real
// kettle-server process, kettle::Client players in this process with every lobby callback
// recorded, and raw control connections (tests/server/control_client) that play a front end
// or send what kettle::Client refuses to, to check the server's own answers.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "control/lobby_messages.hpp"
#include "core/address.hpp"
#include "core/time.hpp"
#include "crypto/keys.hpp"
#include "harness.hpp"
#include "kettle/matchmaking.hpp"
#include "server/control_client.hpp"

namespace kettle::integration {

using server::test::ControlNode;

inline constexpr double kLiveness = 2;  // --backend-liveness of every server here

// One logged-in player and everything its lobby callbacks said, in delivery order.
struct Player {
  std::unique_ptr<Client> c = Client::Create();
  SteamID id;
  std::vector<LobbyCreated_t> created;
  std::vector<LobbyEnter_t> entered;
  std::vector<LobbyChatUpdate_t> updates;
  std::vector<LobbyDataUpdate_t> data;
  std::vector<std::pair<SteamID, std::string>> chat;
  std::vector<LobbyMatchList_t> matches;
  std::vector<LobbyInvite_t> invites;
  std::vector<LobbyKicked_t> kicked;
  std::vector<bool> logged_on_at_kick;
  std::vector<GameLobbyJoinRequested_t> join_requests;

  Matchmaking& mm() { return c->matchmaking(); }

  void subscribe() {
    c->On<LobbyCreated_t>([this](const auto& cb) { created.push_back(cb); });
    c->On<LobbyEnter_t>([this](const auto& cb) { entered.push_back(cb); });
    c->On<LobbyChatUpdate_t>([this](const auto& cb) { updates.push_back(cb); });
    c->On<LobbyDataUpdate_t>([this](const auto& cb) { data.push_back(cb); });
    c->On<LobbyMatchList_t>([this](const auto& cb) { matches.push_back(cb); });
    c->On<LobbyInvite_t>([this](const auto& cb) { invites.push_back(cb); });
    c->On<GameLobbyJoinRequested_t>([this](const auto& cb) { join_requests.push_back(cb); });
    c->On<LobbyKicked_t>([this](const auto& cb) {
      kicked.push_back(cb);
      logged_on_at_kick.push_back(c->IsLoggedOn());
    });
    c->On<LobbyChatMsg_t>([this](const LobbyChatMsg_t& cb) {
      char buf[k_cbMaxLobbyChatMsg];
      SteamID who;
      const int n = mm().GetLobbyChatEntry(SteamID(cb.m_ulSteamIDLobby), static_cast<int>(cb.m_iChatID), &who, buf,
                                           sizeof buf, nullptr);
      chat.emplace_back(who, std::string(buf, static_cast<std::size_t>(std::max(n, 0))));
    });
  }

  // LobbyChatUpdate_t of `who` with `flag` in `lobby` seen so far.
  int count_updates(SteamID lobby, SteamID who, uint32 flag) const {
    return static_cast<int>(std::count_if(updates.begin(), updates.end(), [&](const LobbyChatUpdate_t& u) {
      return u.m_ulSteamIDLobby == lobby.value() && u.m_ulSteamIDUserChanged == who.value() &&
             u.m_rgfChatMemberStateChange == flag;
    }));
  }
  bool heard(const std::string& text) const {
    return std::any_of(chat.begin(), chat.end(), [&](const auto& m) { return m.second == text; });
  }
};

class Lobbies : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    server_ = std::make_unique<ServerProcess>(dir(), args());
    ASSERT_TRUE(server_->started());
  }

  static std::vector<std::string> args() {
    return {"--dev", "--http", "off", "--backend-liveness", std::to_string(static_cast<int>(kLiveness))};
  }

  Player& player(const std::string& name) {
    players_.push_back(std::make_unique<Player>());
    Player& p = *players_.back();
    p.subscribe();
    const InitResult r = p.c->Init(server_->client_config(name));
    EXPECT_EQ(r.code, k_ESteamAPIInitResult_OK) << r.message;
    p.id = p.c->GetSteamID();
    return p;
  }

  // RunCallbacks on every player until done() or the timeout.
  bool pump(double timeout_s, const std::function<bool()>& done) {
    const auto deadline = in_secs(timeout_s);
    for (;;) {
      for (auto& p : players_) p->c->RunCallbacks();
      // Raw connections have no thread: they answer the server's keepalives only when pumped.
      for (auto& r : raws_) r->node->pump(ms(0));
      if (done()) return true;
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  SteamID create(Player& p, ELobbyType type, int max) {
    const std::size_t before = p.entered.size();
    p.mm().CreateLobby(type, max);
    if (!pump(15, [&] { return p.entered.size() > before; })) {
      ADD_FAILURE() << "no LobbyEnter_t after CreateLobby";
      return SteamID();
    }
    return SteamID(p.entered.back().m_ulSteamIDLobby);
  }

  // JoinLobby; the LobbyEnter_t's response.
  int join(Player& p, SteamID lobby) {
    const std::size_t before = p.entered.size();
    p.mm().JoinLobby(lobby);
    if (!pump(15, [&] { return p.entered.size() > before; })) {
      ADD_FAILURE() << "no LobbyEnter_t after JoinLobby";
      return 0;
    }
    EXPECT_EQ(p.entered.back().m_ulSteamIDLobby, lobby.value());
    return static_cast<int>(p.entered.back().m_EChatRoomEnterResponse);
  }

  // Joins and waits until every member in `others` has seen the joiner enter.
  void join_seen(Player& p, SteamID lobby, std::initializer_list<Player*> others) {
    ASSERT_EQ(join(p, lobby), k_EChatRoomEnterResponseSuccess);
    ASSERT_TRUE(pump(10, [&] {
      return std::all_of(others.begin(), others.end(),
                         [&](Player* o) { return o->count_updates(lobby, p.id, k_EChatMemberStateChangeEntered) > 0; });
    }));
  }

  // `filters` then RequestLobbyList; the result in order.
  std::vector<SteamID> search(Player& p, const std::function<void(Matchmaking&)>& filters = {}) {
    if (filters) filters(p.mm());
    const std::size_t before = p.matches.size();
    p.mm().RequestLobbyList();
    if (!pump(25, [&] { return p.matches.size() > before; })) {
      ADD_FAILURE() << "no LobbyMatchList_t";
      return {};
    }
    EXPECT_FALSE(p.matches.back().m_bIOFailure);
    std::vector<SteamID> out;
    for (uint32 i = 0; i < p.matches.back().m_nLobbiesMatching; ++i) out.push_back(p.mm().GetLobbyByIndex(int(i)));
    return out;
  }

  // Sends chat from `from` and waits until every player in `to` heard it.
  bool chat_reaches(Player& from, SteamID lobby, const std::string& text, std::initializer_list<Player*> to) {
    if (!from.mm().SendLobbyChatMsg(lobby, text.c_str(), static_cast<int>(text.size()) + 1)) return false;
    const std::string with_nul = text + '\0';
    return pump(10, [&] { return std::all_of(to.begin(), to.end(), [&](Player* p) { return p->heard(with_nul); }); });
  }

  // A raw control connection logged in (dev) as `name`: a front end, or a client that sends
  // what kettle::Client would refuse to.
  struct Raw {
    std::unique_ptr<ControlNode> node;
    transport::ConnectionId conn = 0;
    SteamID id;
    std::optional<control::Message> request(control::Body body) { return node->request(conn, std::move(body)); }
    // The reply's ErrorReply code, or ok (1) for Ok.
    control::ResultCode code_of(control::Body body) {
      const auto r = request(std::move(body));
      if (!r) return control::ResultCode::timeout;
      if (std::holds_alternative<control::Ok>(r->body)) return control::ResultCode::ok;
      if (const auto* e = std::get_if<control::ErrorReply>(&r->body)) return e->code;
      return control::ResultCode::fail;
    }
    // For a message the server cannot decode: its ErrorReply carries request id 0.
    control::ResultCode malformed_code(control::Body body) {
      node->send(conn, std::move(body));
      // Not wait_reply(0): lobby notifications carry request id 0 too.
      const auto e =
          node->wait_notification<control::ErrorReply>(conn, [](const control::ErrorReply&) { return true; });
      return e ? e->code : control::ResultCode::timeout;
    }
  };
  // Kept by the fixture and pumped by pump() while the test waits on players.
  Raw& raw(const std::string& name) {
    raws_.push_back(std::make_unique<Raw>());
    Raw& r = *raws_.back();
    auto key = crypto::SigningPublicKey::from_hex(server_->key());
    auto addr = Address::parse(server_->udp());
    if (!key || !addr) {
      ADD_FAILURE() << "bad server key or address";
      return r;
    }
    r.node = ControlNode::create(*key);
    r.conn = r.node->connect(*addr);
    EXPECT_NE(r.conn, 0u);
    const auto reply = r.node->request(r.conn, server::test::dev_login(name));
    const auto* ok = reply ? std::get_if<control::LoginOk>(&reply->body) : nullptr;
    EXPECT_NE(ok, nullptr) << "raw login failed";
    if (ok != nullptr) r.id = ok->steam_id;
    return r;
  }

  std::unique_ptr<ServerProcess> server_;
  std::vector<std::unique_ptr<Player>> players_;
  std::vector<std::unique_ptr<Raw>> raws_;
};

}  // namespace kettle::integration
