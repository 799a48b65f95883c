// Shared by the lobby tests: a LobbyTable over a memory store, users of one app, and helpers
// that unwrap replies (a wrong alternative fails the test with its index).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <variant>

#include "server/lobby/lobby_store.hpp"
#include "server/lobby/lobby_table.hpp"

namespace kettle::server::lobby::test {

inline constexpr std::uint32_t kApp = 480;
inline constexpr std::uint32_t kOtherApp = 481;

inline Actor user(std::uint32_t n, std::uint32_t app = kApp) {
  return Actor{SteamID::individual(n), app, "player" + std::to_string(n)};
}

template <class T>
T expect_reply(const Reply& r) {
  EXPECT_TRUE(std::holds_alternative<T>(r)) << "reply alternative " << r.index();
  if (const T* v = std::get_if<T>(&r)) return *v;
  return T{};
}

inline control::ResultCode error_code(const Reply& r) {
  const auto* e = std::get_if<control::ErrorReply>(&r);
  EXPECT_NE(e, nullptr) << "expected an ErrorReply, got alternative " << r.index();
  return e ? e->code : control::ResultCode::ok;
}

inline bool is_ok(const Reply& r) { return std::holds_alternative<control::Ok>(r); }

class LobbyTest : public ::testing::Test {
 protected:
  std::unique_ptr<LobbyStore> store_ = make_memory_lobby_store();
  LobbyTable table_{*store_};
  Deliveries out_;

  // Creates and checks success; `out_` is cleared afterwards.
  SteamID create(const Actor& a, control::LobbyType type = control::LobbyType::public_lobby, std::uint16_t max = 8) {
    const auto e = expect_reply<control::LobbyEntered>(table_.create(a, control::CreateLobby{type, max}, out_));
    EXPECT_EQ(e.response, control::EnterResponse::success);
    out_.clear();
    return e.lobby;
  }
  control::EnterResponse join(const Actor& a, SteamID lobby) {
    return expect_reply<control::LobbyEntered>(table_.join(a, control::JoinLobby{lobby}, out_)).response;
  }
  // Joins and checks success; `out_` is cleared afterwards.
  void join_ok(const Actor& a, SteamID lobby) {
    ASSERT_EQ(join(a, lobby), control::EnterResponse::success);
    out_.clear();
  }
  Reply set_data(const Actor& a, SteamID lobby, std::vector<control::LobbyEntry> changes) {
    return table_.set_data(a, control::SetLobbyData{lobby, std::move(changes)}, out_);
  }
  Reply set_member_data(const Actor& a, SteamID lobby, std::vector<control::LobbyEntry> changes) {
    return table_.set_member_data(a, control::SetLobbyMemberData{lobby, std::move(changes)}, out_);
  }
  Reply setting(const Actor& a, SteamID lobby, control::LobbySetting s, std::uint64_t v) {
    return table_.set_setting(a, control::SetLobbySetting{lobby, s, v}, out_);
  }
  std::vector<SteamID> members(SteamID lobby) const {
    std::vector<SteamID> ids;
    if (auto s = table_.state(lobby)) {
      for (const auto& m : s->members) ids.push_back(m.id);
    }
    return ids;
  }
  SteamID owner(SteamID lobby) const {
    auto s = table_.state(lobby);
    return s ? s->owner : SteamID();
  }
  std::vector<SteamID> recipients() const {
    std::vector<SteamID> to;
    for (const Delivery& d : out_) to.push_back(d.to);
    return to;
  }
};

}  // namespace kettle::server::lobby::test
