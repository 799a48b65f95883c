// RequestLobbyList (spec §3.6): which lobbies are listed, every filter and comparison, the
// near-value and newest-first orders, result counts.
#include <gtest/gtest.h>

#include <limits>

#include "server/lobby/lobby_test_util.hpp"

namespace kettle::server::lobby::test {
namespace {

using control::LobbyComparison;
using control::LobbyFilter;
using control::LobbyFilterKind;
using control::LobbySetting;
using control::LobbyType;
using control::ResultCode;

class LobbySearchTest : public LobbyTest {
 protected:
  std::uint32_t next_user_ = 100;

  // A lobby of its own user (a user's second regular lobby would replace its first).
  SteamID lobby_with(std::vector<control::LobbyEntry> data, LobbyType type = LobbyType::public_lobby,
                     std::uint16_t max = 8) {
    const Actor owner = user(next_user_++);
    const SteamID l = create(owner, type, max);
    if (!data.empty()) {
      EXPECT_TRUE(is_ok(set_data(owner, l, std::move(data))));
    }
    out_.clear();
    return l;
  }

  std::vector<SteamID> search(std::vector<LobbyFilter> filters, std::uint16_t max_results = 0,
                              std::uint32_t app = kApp) {
    const auto list = expect_reply<control::LobbyList>(
        table_.list(user(1, app), control::RequestLobbyList{std::move(filters), max_results}));
    std::vector<SteamID> ids;
    for (const auto& s : list.lobbies) ids.push_back(s.lobby);
    return ids;
  }
};

LobbyFilter str(std::string key, std::string text, LobbyComparison c) {
  return LobbyFilter{LobbyFilterKind::string, std::move(key), std::move(text), 0, c};
}
LobbyFilter num(std::string key, std::int64_t n, LobbyComparison c) {
  return LobbyFilter{LobbyFilterKind::numerical, std::move(key), {}, n, c};
}
LobbyFilter near(std::string key, std::int64_t n) {
  return LobbyFilter{LobbyFilterKind::near_value, std::move(key), {}, n, LobbyComparison::equal};
}
LobbyFilter slots(std::int64_t n) { return LobbyFilter{LobbyFilterKind::slots_available, {}, {}, n, {}}; }

using Ids = std::vector<SteamID>;

TEST_F(LobbySearchTest, OnlyJoinablePublicOrInvisibleNotFullLobbiesOfTheAppNewestFirst) {
  const SteamID pub = lobby_with({});
  const SteamID priv = lobby_with({}, LobbyType::private_only);
  const SteamID friends = lobby_with({}, LobbyType::friends_only);
  const SteamID inv = lobby_with({}, LobbyType::invisible);
  const SteamID full = lobby_with({}, LobbyType::public_lobby, 1);
  const SteamID closed = lobby_with({});
  ASSERT_TRUE(is_ok(setting(user(next_user_ - 1), closed, LobbySetting::joinable, 0)));
  const SteamID other_app = expect_reply<control::LobbyEntered>(table_.create(user(1, kOtherApp), {}, out_)).lobby;
  const SteamID pub2 = lobby_with({});
  (void)priv;
  (void)friends;
  (void)full;
  EXPECT_EQ(search({}), (Ids{pub2, inv, pub}));
  EXPECT_EQ(search({}, 0, kOtherApp), Ids{other_app});
  // A lobby whose limit was lowered below its count is full, not listed.
  const Actor o = user(next_user_);
  const SteamID crowded = lobby_with({});
  join_ok(user(500), crowded);
  ASSERT_TRUE(is_ok(setting(o, crowded, LobbySetting::member_limit, 1)));
  EXPECT_EQ(search({}), (Ids{pub2, inv, pub}));
}

TEST_F(LobbySearchTest, SummaryCarriesOwnerCountLimitAndData) {
  const Actor o = user(7);
  const SteamID l = create(o, LobbyType::public_lobby, 6);
  join_ok(user(8), l);
  ASSERT_TRUE(is_ok(set_data(o, l, {{"name", "n"}, {"mode", "m"}})));
  const auto list = expect_reply<control::LobbyList>(table_.list(user(1), {}));
  ASSERT_EQ(list.lobbies.size(), 1u);
  EXPECT_EQ(list.lobbies[0], (control::LobbySummary{l, o.user, 2, 6, {{"mode", "m"}, {"name", "n"}}}));
}

TEST_F(LobbySearchTest, StringFiltersCompareBytes) {
  const SteamID a = lobby_with({{"mode", "a"}});
  const SteamID b = lobby_with({{"mode", "b"}});
  const SteamID c = lobby_with({{"mode", "c"}});
  const SteamID none = lobby_with({{"other", "b"}});
  const SteamID upper = lobby_with({{"mode", "B"}});
  const SteamID high = lobby_with({{"mode", "\xff"}});
  EXPECT_EQ(search({str("mode", "b", LobbyComparison::equal)}), Ids{b});
  // A lobby without the key passes only NOT_EQUAL.
  EXPECT_EQ(search({str("mode", "b", LobbyComparison::not_equal)}), (Ids{high, upper, none, c, a}));
  EXPECT_EQ(search({str("mode", "b", LobbyComparison::less)}), (Ids{upper, a}));  // "B" < "a" < "b"
  EXPECT_EQ(search({str("mode", "b", LobbyComparison::equal_or_less)}), (Ids{upper, b, a}));
  EXPECT_EQ(search({str("mode", "b", LobbyComparison::greater)}), (Ids{high, c}));  // 0xff sorts last
  EXPECT_EQ(search({str("mode", "b", LobbyComparison::equal_or_greater)}), (Ids{high, c, b}));
  EXPECT_EQ(search({str("mode", "bb", LobbyComparison::equal)}), Ids{});
  EXPECT_EQ(search({str("mode", "", LobbyComparison::greater)}), (Ids{high, upper, c, b, a}));
  EXPECT_EQ(search({str("nokey", "x", LobbyComparison::equal)}), Ids{});
}

TEST_F(LobbySearchTest, NumericalFiltersNeedTheWholeValueToParse) {
  const SteamID five = lobby_with({{"lvl", "5"}});
  const SteamID ten = lobby_with({{"lvl", "10"}});
  const SteamID neg = lobby_with({{"lvl", "-3"}});
  lobby_with({{"lvl", "abc"}});
  lobby_with({{"lvl", "12x"}});
  lobby_with({{"lvl", " 7"}});
  lobby_with({{"lvl", "+7"}});
  lobby_with({{"lvl", "99999999999999999999"}});  // overflows int64
  lobby_with({{"other", "5"}});
  const SteamID max = lobby_with({{"lvl", "9223372036854775807"}});
  const SteamID min = lobby_with({{"lvl", "-9223372036854775808"}});
  EXPECT_EQ(search({num("lvl", 5, LobbyComparison::equal)}), Ids{five});
  EXPECT_EQ(search({num("lvl", 5, LobbyComparison::not_equal)}), (Ids{min, max, neg, ten}));
  EXPECT_EQ(search({num("lvl", 5, LobbyComparison::less)}), (Ids{min, neg}));
  EXPECT_EQ(search({num("lvl", 5, LobbyComparison::equal_or_less)}), (Ids{min, neg, five}));
  EXPECT_EQ(search({num("lvl", 5, LobbyComparison::greater)}), (Ids{max, ten}));
  EXPECT_EQ(search({num("lvl", 5, LobbyComparison::equal_or_greater)}), (Ids{max, ten, five}));
  // Numerical, not lexicographic: "10" > 9.
  EXPECT_EQ(search({num("lvl", 9, LobbyComparison::greater), num("lvl", 100, LobbyComparison::less)}), Ids{ten});
}

TEST_F(LobbySearchTest, NearValueSortsByDistanceMissingLastEarlierFiltersFirst) {
  const SteamID l10 = lobby_with({{"elo", "10"}, {"ping", "5"}});
  const SteamID l30 = lobby_with({{"elo", "30"}, {"ping", "1"}});
  const SteamID missing = lobby_with({{"ping", "0"}});
  const SteamID l20 = lobby_with({{"elo", "20"}, {"ping", "9"}});
  const SteamID bad = lobby_with({{"elo", "x"}});
  const SteamID l18 = lobby_with({{"elo", "18"}, {"ping", "9"}});
  const SteamID l26 = lobby_with({{"elo", "26"}, {"ping", "2"}});
  // |v-22|: 20→2, 18→4, 26→4, 30→8, 10→12; ties newest first; missing/unparsable last, newest first.
  EXPECT_EQ(search({near("elo", 22)}), (Ids{l20, l26, l18, l30, l10, bad, missing}));
  // A second near filter breaks the ties of the first: 18 and 26 (both 4 away) by ping near 0.
  EXPECT_EQ(search({near("elo", 22), near("ping", 0)}), (Ids{l20, l26, l18, l30, l10, missing, bad}));
  // The first near filter decides: ping first.
  EXPECT_EQ(search({near("ping", 0), near("elo", 22)}), (Ids{missing, l30, l26, l10, l20, l18, bad}));
  // Combined with a filter: near orders what the filters let through.
  EXPECT_EQ(search({num("elo", 20, LobbyComparison::equal_or_greater), near("elo", 0)}), (Ids{l20, l26, l30}));
}

TEST_F(LobbySearchTest, NearValueAtTheInt64ExtremesDoesNotOverflow) {
  const SteamID hi = lobby_with({{"v", "9223372036854775807"}});
  const SteamID lo = lobby_with({{"v", "-9223372036854775808"}});
  const SteamID zero = lobby_with({{"v", "0"}});
  EXPECT_EQ(search({near("v", std::numeric_limits<std::int64_t>::min())}), (Ids{lo, zero, hi}));
  EXPECT_EQ(search({near("v", std::numeric_limits<std::int64_t>::max())}), (Ids{hi, zero, lo}));
}

TEST_F(LobbySearchTest, SlotsAvailableAndDistance) {
  const SteamID three_free = lobby_with({}, LobbyType::public_lobby, 4);
  const SteamID one_free = lobby_with({}, LobbyType::public_lobby, 4);
  join_ok(user(600), one_free);
  join_ok(user(601), one_free);
  EXPECT_EQ(search({slots(1)}), (Ids{one_free, three_free}));
  EXPECT_EQ(search({slots(2)}), Ids{three_free});
  EXPECT_EQ(search({slots(3)}), Ids{three_free});
  EXPECT_EQ(search({slots(4)}), Ids{});
  EXPECT_EQ(search({slots(0)}), (Ids{one_free, three_free}));
  EXPECT_EQ(search({slots(-5)}), (Ids{one_free, three_free}));
  for (std::int64_t d = 0; d < 4; ++d) {
    EXPECT_EQ(search({LobbyFilter{LobbyFilterKind::distance, {}, {}, d, {}}}), (Ids{one_free, three_free}));
  }
}

TEST_F(LobbySearchTest, FiltersCombineWithAnd) {
  const SteamID ctf5 = lobby_with({{"mode", "ctf"}, {"lvl", "5"}});
  lobby_with({{"mode", "ctf"}, {"lvl", "50"}});
  lobby_with({{"mode", "dm"}, {"lvl", "5"}});
  EXPECT_EQ(search({str("mode", "ctf", LobbyComparison::equal), num("lvl", 10, LobbyComparison::less)}), Ids{ctf5});
  EXPECT_EQ(search({str("mode", "ctf", LobbyComparison::equal), num("lvl", 10, LobbyComparison::less), slots(8)}),
            Ids{});
}

TEST_F(LobbySearchTest, ResultCountDefaultsTo50AndIsCappedAt500) {
  std::vector<SteamID> made;
  for (int i = 0; i < 520; ++i) made.push_back(lobby_with({}));
  const Ids newest_first(made.rbegin(), made.rend());
  EXPECT_EQ(search({}, 0), Ids(newest_first.begin(), newest_first.begin() + 50));
  EXPECT_EQ(search({}, 1), Ids{made.back()});
  EXPECT_EQ(search({}, 7), Ids(newest_first.begin(), newest_first.begin() + 7));
  EXPECT_EQ(search({}, 500).size(), 500u);
  EXPECT_EQ(search({}, 501), Ids(newest_first.begin(), newest_first.begin() + 500));
  EXPECT_EQ(search({}, 65535).size(), 500u);
}

TEST_F(LobbySearchTest, MalformedRequestsAreInvalidParam) {
  lobby_with({});
  EXPECT_EQ(error_code(table_.list(user(1), {std::vector<LobbyFilter>(65, slots(0)), 0})), ResultCode::invalid_param);
  EXPECT_EQ(search(std::vector<LobbyFilter>(64, slots(0))).size(), 1u);
  EXPECT_EQ(error_code(table_.list(user(1), {{str("k", "v", static_cast<LobbyComparison>(4))}, 0})),
            ResultCode::invalid_param);
  EXPECT_EQ(error_code(table_.list(user(1), {{num("k", 1, static_cast<LobbyComparison>(-3))}, 0})),
            ResultCode::invalid_param);
  LobbyFilter bad_kind = slots(0);
  bad_kind.kind = static_cast<LobbyFilterKind>(5);
  EXPECT_EQ(error_code(table_.list(user(1), {{bad_kind}, 0})), ResultCode::invalid_param);
}

}  // namespace
}  // namespace kettle::server::lobby::test
