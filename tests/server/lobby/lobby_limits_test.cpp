// Limits that keep lobbies deliverable and their ids unambiguous: a lobby's data in total stays
// within what one control message carries (control::kMaxLobbyDataTotalBytes; a LobbyList stops
// at kMaxLobbyListBytes), and lobby numbers are never reissued after a restart of the store.
#include <gtest/gtest.h>

#include "server/lobby/lobby_test_util.hpp"
#include "server/store/store_test_util.hpp"

namespace kettle::server::lobby::test {
namespace {

using control::kMaxLobbyDataTotalBytes;
using control::lobby_entry_cost;
using control::LobbyEntry;
using control::LobbyType;
using control::ResultCode;

class LobbyLimitsTest : public LobbyTest {
 protected:
  // Fills `lobby` (owner `a`) to exactly the total with 4-byte keys "1000"...; returns the keys.
  std::size_t fill(const Actor& a, SteamID lobby, std::size_t already = 0) {
    const std::string value(control::kMaxLobbyValueBytes, 'v');
    const std::size_t per_key = lobby_entry_cost(4, value.size());
    const std::size_t whole = (kMaxLobbyDataTotalBytes - already) / per_key;
    std::vector<LobbyEntry> batch;
    for (std::size_t i = 0; i < whole; ++i) batch.push_back({std::to_string(1000 + i), value});
    const std::size_t rest = kMaxLobbyDataTotalBytes - already - whole * per_key;
    if (rest >= lobby_entry_cost(4, 1)) batch.push_back({"9999", std::string(rest - lobby_entry_cost(4, 0), 'r')});
    EXPECT_TRUE(is_ok(set_data(a, lobby, batch)));
    out_.clear();
    return batch.size();
  }
};

TEST_F(LobbyLimitsTest, LobbyAndMemberDataShareOneTotalThatRefusesGrowthPastIt) {
  const Actor owner = user(1), member = user(2);
  const SteamID lobby = create(owner);
  join_ok(member, lobby);
  ASSERT_TRUE(is_ok(set_member_data(member, lobby, {{"team", "red"}})));  // 4 + 3 + 4 = 11
  out_.clear();
  const std::size_t keys = fill(owner, lobby, lobby_entry_cost(4, 3));
  const auto state = table_.state(lobby);
  ASSERT_TRUE(state);
  ASSERT_EQ(state->data.size(), keys);

  // Growth past the total: limit_exceeded, nothing changed, nobody told.
  EXPECT_EQ(error_code(set_data(owner, lobby, {{"x", "y"}})), ResultCode::limit_exceeded);
  EXPECT_EQ(error_code(set_member_data(member, lobby, {{"team", "reds"}})), ResultCode::limit_exceeded);
  EXPECT_EQ(error_code(set_member_data(owner, lobby, {{"t", "r"}})), ResultCode::limit_exceeded);
  // Shrinking and overwriting at the same size always fit.
  EXPECT_TRUE(is_ok(set_member_data(member, lobby, {{"team", "b"}})));
  EXPECT_TRUE(is_ok(set_member_data(member, lobby, {{"team", "red"}})));
  // A member who leaves takes its data's share with it.
  EXPECT_EQ(error_code(set_data(owner, lobby, {{"xy", "zzz"}})), ResultCode::limit_exceeded);
  table_.leave(member, {lobby}, out_);
  EXPECT_TRUE(is_ok(set_data(owner, lobby, {{"xy", "z"}})));  // 2 + 1 + 4 = 7 ≤ 11
  // A batch whose deletions make room for its additions fits (ABatchThatGrows... for the rest).
  EXPECT_TRUE(is_ok(set_data(owner, lobby, {{"1000", ""}, {"a", std::string(8000, 'a')}})));
}

TEST_F(LobbyLimitsTest, ABatchThatGrowsPastTheTotalChangesNothing) {
  const Actor owner = user(1);
  const SteamID lobby = create(owner);
  fill(owner, lobby);
  const auto before = table_.state(lobby);
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_EQ(error_code(set_data(owner, lobby,
                                {{"1000", ""},
                                 {"1001", ""},
                                 {"a", std::string(8191, 'a')},
                                 {"b", std::string(8191, 'b')},
                                 {"c", std::string(8191, 'c')}})),
            ResultCode::limit_exceeded);
  EXPECT_EQ(table_.state(lobby), before);
  EXPECT_EQ(store_->pending(), 0u);
  EXPECT_TRUE(out_.empty());
}

TEST_F(LobbyLimitsTest, ALobbyListCarriesTheResultsThatFitOneMessage) {
  // Three full lobbies: two of them do not fit under kMaxLobbyListBytes, so a search returns
  // the newest one alone (not an oversized reply that could never be sent); a filter reaches
  // the others.
  std::vector<SteamID> ids;
  for (std::uint32_t n = 1; n <= 3; ++n) {
    ids.push_back(create(user(n)));
    fill(user(n), ids.back());
    ASSERT_TRUE(is_ok(set_data(user(n), ids.back(), {{"1000", "n" + std::to_string(n)}})));
    out_.clear();
  }
  ASSERT_GT(2 * (kMaxLobbyDataTotalBytes - 9000), control::kMaxLobbyListBytes);
  auto list = [&](std::vector<control::LobbyFilter> filters) {
    return expect_reply<control::LobbyList>(table_.list(user(9), control::RequestLobbyList{filters, 50})).lobbies;
  };
  auto found = list({});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].lobby, ids[2]);
  control::LobbyFilter f;
  f.kind = control::LobbyFilterKind::string;
  f.key = "1000";
  f.text = "n1";
  f.comparison = control::LobbyComparison::equal;
  found = list({f});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].lobby, ids[0]);
  // Small lobbies are all listed, up to max_results, as before.
  for (std::uint32_t n = 10; n < 15; ++n) create(user(n));
  found = list({});
  ASSERT_EQ(found.size(), 6u) << "the five small newest lobbies and one full one";
  EXPECT_EQ(found[5].lobby, ids[2]);
}

TEST(LobbyNumbersTest, ASqliteStoreNeverReissuesANumberAfterClearAndReopen) {
  server::test::TempDir dir;
  const std::string path = dir.file("server.db");
  SteamID last;
  {
    auto store = open_sqlite_lobby_store(path);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    EXPECT_EQ((*store)->first_lobby_number(), 1u);
    LobbyTable t(**store);
    Deliveries out;
    for (std::uint32_t n = 1; n <= 3; ++n) {
      last = expect_reply<control::LobbyEntered>(t.create(user(n), {LobbyType::public_lobby, 4}, out)).lobby;
    }
    t.leave(user(3), {last}, out);  // deleted: its number stays used
    ASSERT_TRUE((*store)->flush().ok());
  }
  EXPECT_EQ(last, SteamID::lobby(3));
  auto store = open_sqlite_lobby_store(path);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->clear().ok());  // the server's startup
  EXPECT_EQ((*store)->first_lobby_number(), 4u);
  LobbyTable t(**store);
  Deliveries out;
  EXPECT_EQ(expect_reply<control::LobbyEntered>(t.create(user(1), {LobbyType::public_lobby, 4}, out)).lobby,
            SteamID::lobby(4));
  // A fresh memory store starts at 1.
  EXPECT_EQ(make_memory_lobby_store()->first_lobby_number(), 1u);
}

}  // namespace
}  // namespace kettle::server::lobby::test
