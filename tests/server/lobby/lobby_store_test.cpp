// LobbyStore: the memory and SQLite stores hold what the table holds after every flush, clear()
// empties them, and the SQLite store's failures are io errors naming the file.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "server/lobby/lobby_test_util.hpp"
#include "server/store/store.hpp"
#include "server/store/store_test_util.hpp"

namespace kettle::server::lobby::test {
namespace {

using control::LobbySetting;
using control::LobbyType;
using control::MemberChange;
using server::test::raw_query;
using server::test::TempDir;

// What the table holds, in the store's order (by lobby id).
std::vector<control::LobbyState> table_states(const LobbyTable& t, const std::vector<SteamID>& ids) {
  std::vector<control::LobbyState> out;
  for (SteamID id : ids) {
    if (auto s = t.state(id)) out.push_back(*std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.lobby < b.lobby; });
  return out;
}

class LobbyStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { store_ = open(); }

  std::unique_ptr<LobbyStore> open() {
    if (GetParam() == "memory") return make_memory_lobby_store();
    auto s = open_sqlite_lobby_store(dir_.file("server.db"));
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    return s.ok() ? std::move(*s) : make_memory_lobby_store();
  }

  void expect_store_matches(const LobbyTable& t) {
    ASSERT_TRUE(store_->flush().ok());
    EXPECT_EQ(store_->pending(), 0u);
    auto loaded = store_->load_all();
    ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
    EXPECT_EQ(*loaded, table_states(t, ids_));
  }

  TempDir dir_;
  std::unique_ptr<LobbyStore> store_;
  std::vector<SteamID> ids_;  // every lobby the scenario created
  Deliveries out_;
};

TEST_P(LobbyStoreTest, HoldsWhatTheTableHoldsAfterEveryFlush) {
  LobbyTable t(*store_);
  auto create = [&](const Actor& a, LobbyType type, std::uint16_t max) {
    const auto e = expect_reply<control::LobbyEntered>(t.create(a, {type, max}, out_));
    ids_.push_back(e.lobby);
    return e.lobby;
  };
  const Actor a = user(1), b = user(2), c = user(3), d = user(4);
  expect_store_matches(t);  // empty
  const SteamID l1 = create(a, LobbyType::public_lobby, 4);
  const SteamID l2 = create(d, LobbyType::invisible, 10);
  t.join(b, {l1}, out_);
  t.join(c, {l1}, out_);
  t.join(a, {l2}, out_);
  t.set_data(a, {l1, {{"name", "room"}, {"mode", "ctf"}, {std::string("k\0\xff", 3), std::string("v\0", 2)}}}, out_);
  t.set_member_data(b, {l1, {{"ready", "1"}, {"team", "red"}}}, out_);
  t.set_member_data(a, {l2, {{"z", "last"}, {"a", "first"}}}, out_);
  expect_store_matches(t);

  t.set_data(a, {l1, {{"mode", ""}, {"name", "renamed"}}}, out_);
  t.set_member_data(b, {l1, {{"ready", ""}}}, out_);
  t.set_setting(a, {l1, LobbySetting::member_limit, 3}, out_);
  t.set_setting(a, {l1, LobbySetting::joinable, 0}, out_);
  t.set_setting(a, {l1, LobbySetting::type, 1}, out_);
  expect_store_matches(t);

  t.leave(a, {l1}, out_);  // owner hand-off to b
  t.set_setting(b, {l1, LobbySetting::owner, c.user.value()}, out_);
  t.kick(l2, a.user, true, out_);
  expect_store_matches(t);

  const SteamID l3 = create(b, LobbyType::private_only, 2);  // b leaves l1
  t.remove_user(c.user, MemberChange::disconnected, out_);   // l1 empties: deleted
  t.remove_user(d.user, MemberChange::left, out_);           // l2 too
  EXPECT_EQ(t.lobby_count(), 1u);
  expect_store_matches(t);
  ASSERT_EQ(store_->load_all()->size(), 1u);
  EXPECT_EQ(store_->load_all()->front().lobby, l3);
}

TEST_P(LobbyStoreTest, ClearEmptiesTheStoreAndDropsQueuedOps) {
  LobbyTable t(*store_);
  ids_.push_back(expect_reply<control::LobbyEntered>(t.create(user(1), {}, out_)).lobby);
  ASSERT_TRUE(store_->flush().ok());
  ids_.push_back(expect_reply<control::LobbyEntered>(t.create(user(2), {}, out_)).lobby);
  ASSERT_GT(store_->pending(), 0u);
  ASSERT_TRUE(store_->clear().ok());
  EXPECT_EQ(store_->pending(), 0u);
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_TRUE(store_->load_all()->empty());
  // Still usable afterwards.
  t.set_data(user(1), {ids_[0], {{"k", "v"}}}, out_);
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_TRUE(store_->load_all()->empty());  // PutData without its lobby is not a lobby
}

INSTANTIATE_TEST_SUITE_P(Stores, LobbyStoreTest, ::testing::Values("memory", "sqlite"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// ---- SQLite only ----

TEST(SqliteLobbyStoreTest, AReopenedStoreSeesWhatWasFlushedAndNothingElse) {
  TempDir dir;
  const std::string path = dir.file("server.db");
  std::vector<control::LobbyState> flushed;
  {
    auto store = open_sqlite_lobby_store(path);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    LobbyTable t(**store);
    Deliveries out;
    const auto e = expect_reply<control::LobbyEntered>(t.create(user(1), {LobbyType::public_lobby, 5}, out));
    t.join(user(2), {e.lobby}, out);
    ASSERT_TRUE((*store)->flush().ok());
    flushed = table_states(t, {e.lobby});
    t.join(user(3), {e.lobby}, out);  // queued, never flushed
  }
  auto store = open_sqlite_lobby_store(path);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->load_all(), flushed);
  // The restart policy: clear() at startup, and it stays cleared.
  ASSERT_TRUE((*store)->clear().ok());
  store = open_sqlite_lobby_store(path);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->load_all()->empty());
}

TEST(SqliteLobbyStoreTest, SharesTheFileWithTheAccountStore) {
  TempDir dir;
  const std::string path = dir.file("server.db");
  auto accounts = open_sqlite_store(path);
  ASSERT_TRUE(accounts.ok()) << accounts.error().to_string();
  auto lobbies = open_sqlite_lobby_store(path);
  ASSERT_TRUE(lobbies.ok()) << lobbies.error().to_string();
  LobbyTable t(**lobbies);
  Deliveries out;
  const auto e = expect_reply<control::LobbyEntered>(t.create(user(1), {}, out));
  ASSERT_TRUE((*lobbies)->flush().ok());
  ASSERT_TRUE((*accounts)->create_account("alice", CredentialKind::none, "", 1).ok());
  accounts = make_error(Errc::internal, "closed");
  // The account store still accepts the file with the lobby tables in it.
  auto again = open_sqlite_store(path);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_TRUE((*again)->find_account("alice")->has_value());
  EXPECT_EQ(raw_query(path, "SELECT count(*) FROM lobbies"), std::vector<std::string>{"1"});
  EXPECT_EQ((*lobbies)->load_all()->front().lobby, e.lobby);
}

TEST(SqliteLobbyStoreTest, AnUnopenablePathIsAnIoErrorNamingIt) {
  TempDir dir;
  const std::string missing = dir.file("no/such/dir/server.db");
  auto s = open_sqlite_lobby_store(missing);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Errc::io);
  EXPECT_NE(s.error().message.find(missing), std::string::npos) << s.error().message;
  EXPECT_EQ(open_sqlite_lobby_store("").code(), Errc::invalid_argument);
}

TEST(SqliteLobbyStoreTest, AGarbageFileIsAnIoErrorNamingIt) {
  TempDir dir;
  const std::string path = dir.file("garbage.db");
  {
    std::ofstream f(path, std::ios::binary);
    for (int i = 0; i < 4096; ++i) f.put(static_cast<char>((i * 131 + 7) & 0xff));
  }
  auto s = open_sqlite_lobby_store(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Errc::io);
  EXPECT_NE(s.error().message.find(path), std::string::npos) << s.error().message;
}

TEST(SqliteLobbyStoreTest, AFailedFlushIsAnIoErrorNamingTheFileAndEmptiesTheQueue) {
  TempDir dir;
  const std::string path = dir.file("server.db");
  auto store = open_sqlite_lobby_store(path);
  ASSERT_TRUE(store.ok());
  LobbyTable t(**store);
  Deliveries out;
  const auto e = expect_reply<control::LobbyEntered>(t.create(user(1), {}, out));
  ASSERT_TRUE((*store)->flush().ok());
  raw_query(path, "DROP TABLE lobby_data");  // an operator's mistake the store must survive
  t.set_data(user(1), {e.lobby, {{"k", "v"}}}, out);
  t.join(user(2), {e.lobby}, out);
  const Status s = (*store)->flush();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Errc::io);
  EXPECT_NE(s.error().message.find(path), std::string::npos) << s.error().message;
  EXPECT_EQ((*store)->pending(), 0u);
  // All or nothing: the join in the same flush was rolled back too.
  EXPECT_EQ(raw_query(path, "SELECT count(*) FROM lobby_members"), std::vector<std::string>{"1"});
  EXPECT_EQ(t.state(e.lobby)->members.size(), 2u);  // the table stays the authority
}

}  // namespace
}  // namespace kettle::server::lobby::test
