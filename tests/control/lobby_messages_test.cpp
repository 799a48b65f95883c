// The lobby messages of the control protocol (docs/protocol.md §15): every limit of
// lobby_messages.hpp decodes at the bound and is malformed one past it, every enum and flag out
// of range is malformed, and the pinned vectors of §15.5 hold. Round trips, truncation at every
// prefix, trailing bytes and the fuzz seeds of all lobby kinds run in messages_test.cpp through
// sample_messages().
#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "control/hex.hpp"
#include "control/lobby_samples.hpp"
#include "control/messages.hpp"

namespace kettle::control {
namespace {

using Buf = std::vector<std::uint8_t>;
using testing::kSampleLobby;
using testing::sample_lobby_state;
using testing::sample_member;
using testing::sample_summary;
using testing::to_hex;

void expect_round_trip(const Body& body) {
  const Message m{7, body};
  const Buf bytes = encode(m);
  auto back = decode(bytes);
  ASSERT_TRUE(back.ok()) << back.error().to_string() << " for " << kind_name(kind_of(body));
  EXPECT_TRUE(*back == m) << kind_name(kind_of(body));
  EXPECT_EQ(encode(*back), bytes);
}

Errc code_of(const Body& body) { return decode(encode(Message{7, body})).code(); }

// Checks `make(n)` decodes for n = at and is malformed for n = at + 1.
template <class Make>
void expect_bound(std::size_t at, Make make) {
  SCOPED_TRACE("bound " + std::to_string(at));
  expect_round_trip(make(at));
  EXPECT_EQ(code_of(make(at + 1)), Errc::malformed);
}

std::vector<LobbyEntry> entries(std::size_t n) {
  std::vector<LobbyEntry> out;
  for (std::size_t i = 0; i < n; ++i) {
    char key[24];
    std::snprintf(key, sizeof key, "k%04zu", i);  // ascending, as a stored data set must be
    out.push_back({key, std::to_string(i)});
  }
  return out;
}

LobbyEntered entered_with(LobbyState s) { return LobbyEntered{EnterResponse::success, s.lobby, std::move(s)}; }

// ---- sizes and counts

TEST(LobbyLimits, KeyLengthEverywhere) {
  const auto key = [](std::size_t n) { return std::string(n, 'k'); };
  expect_bound(kMaxLobbyKeyBytes, [&](std::size_t n) { return SetLobbyData{kSampleLobby, {{key(n), "v"}}}; });
  expect_bound(kMaxLobbyKeyBytes, [&](std::size_t n) { return SetLobbyMemberData{kSampleLobby, {{key(n), "v"}}}; });
  expect_bound(kMaxLobbyKeyBytes, [&](std::size_t n) {
    LobbyState s = sample_lobby_state();
    s.data = {{key(n), "v"}};
    return entered_with(s);
  });
  expect_bound(kMaxLobbyKeyBytes, [&](std::size_t n) {
    return RequestLobbyList{{{LobbyFilterKind::near_value, key(n), "", 5, {}}}, 50};
  });
  // A key is never empty, in a change as in stored data or a filter.
  EXPECT_EQ(code_of(SetLobbyData{kSampleLobby, {{"", "v"}}}), Errc::malformed);
  EXPECT_EQ(code_of(LobbyDataUpdate{kSampleLobby, kSampleLobby, {{"", ""}}, {}, 4, true, LobbyType::public_lobby}),
            Errc::malformed);
  EXPECT_EQ(code_of(LobbyData{true, LobbySummary{kSampleLobby, {}, 1, 4, {{"", "v"}}}}), Errc::malformed);
  EXPECT_EQ(code_of(RequestLobbyList{{{LobbyFilterKind::string, "", "x", 0, LobbyComparison::equal}}, 50}),
            Errc::malformed);
  EXPECT_EQ(code_of(RequestLobbyList{{{LobbyFilterKind::numerical, "", "", 1, LobbyComparison::less}}, 50}),
            Errc::malformed);
}

TEST(LobbyLimits, ValueLength) {
  const auto value = [](std::size_t n) { return std::string(n, '\xab'); };  // bytes, not UTF-8
  expect_bound(kMaxLobbyValueBytes, [&](std::size_t n) { return SetLobbyData{kSampleLobby, {{"k", value(n)}}}; });
  expect_bound(kMaxLobbyValueBytes, [&](std::size_t n) {
    return LobbyDataUpdate{kSampleLobby, SteamID::individual(2), {{"k", value(n)}}, {}, 0, true, {}};
  });
  expect_bound(kMaxLobbyValueBytes, [&](std::size_t n) {
    return LobbyMemberUpdate{kSampleLobby,
                             SteamID::individual(3),
                             SteamID::individual(3),
                             MemberChange::entered,
                             sample_member(3, "Carl", {{"k", value(n)}}),
                             SteamID()};
  });
  expect_bound(kMaxLobbyValueBytes, [&](std::size_t n) {
    return RequestLobbyList{{{LobbyFilterKind::string, "k", value(n), 0, LobbyComparison::not_equal}}, 50};
  });
  // "" is a value (it deletes the key in a change).
  expect_round_trip(SetLobbyData{kSampleLobby, {{"k", ""}}});
}

TEST(LobbyLimits, EntriesPerList) {
  expect_bound(kMaxLobbyKeys, [](std::size_t n) { return SetLobbyData{kSampleLobby, entries(n)}; });
  expect_bound(kMaxLobbyKeys, [](std::size_t n) { return SetLobbyMemberData{kSampleLobby, entries(n)}; });
  expect_bound(kMaxLobbyKeys, [](std::size_t n) {
    return LobbyDataUpdate{kSampleLobby, kSampleLobby, entries(n), SteamID::individual(1), 4, true, {}};
  });
  expect_bound(kMaxLobbyKeys, [](std::size_t n) {
    LobbyState s = sample_lobby_state();
    s.data = entries(n);
    return entered_with(s);
  });
  expect_bound(kMaxLobbyKeys, [](std::size_t n) {
    LobbyState s = sample_lobby_state();
    s.members[1].data = entries(n);
    return entered_with(s);
  });
  expect_bound(kMaxLobbyKeys, [](std::size_t n) {
    LobbySummary s = sample_summary(1, 1);
    s.data = entries(n);
    return LobbyData{true, s};
  });
}

TEST(LobbyLimits, ChatBody) {
  const auto body = [](std::size_t n) { return std::vector<std::uint8_t>(n, 0x00); };  // binary is fine
  expect_bound(kMaxLobbyChatBytes, [&](std::size_t n) { return SendLobbyChat{kSampleLobby, body(n)}; });
  expect_bound(kMaxLobbyChatBytes, [&](std::size_t n) {
    return LobbyChat{kSampleLobby, SteamID::individual(1), body(n)};
  });
  expect_round_trip(SendLobbyChat{kSampleLobby, body(1)});
  EXPECT_EQ(code_of(SendLobbyChat{kSampleLobby, {}}), Errc::malformed);
  EXPECT_EQ(code_of(LobbyChat{kSampleLobby, SteamID::individual(1), {}}), Errc::malformed);
}

TEST(LobbyLimits, MembersFiltersResults) {
  expect_bound(kMaxLobbyMembers, [](std::size_t n) {
    LobbyState s = sample_lobby_state();
    s.max_members = kMaxLobbyMembers;
    s.members.clear();
    for (std::size_t i = 0; i < n; ++i) s.members.push_back(sample_member(static_cast<std::uint32_t>(i + 1), "P"));
    return entered_with(s);
  });
  expect_bound(kMaxLobbyFilters, [](std::size_t n) {
    return RequestLobbyList{std::vector<LobbyFilter>(n, {LobbyFilterKind::slots_available, "", "", 1, {}}), 50};
  });
  expect_bound(kMaxLobbyResults, [](std::size_t n) {
    std::vector<LobbySummary> list;
    for (std::size_t i = 0; i < n; ++i) list.push_back(sample_summary(static_cast<std::uint32_t>(i + 1), 1));
    return LobbyList{list};
  });
  // A summary's member count is bounded by the member limit's range too.
  expect_bound(kMaxLobbyMembers, [](std::size_t n) {
    return LobbyData{true, LobbySummary{kSampleLobby, {}, static_cast<std::uint16_t>(n), 1, {}}};
  });
}

TEST(LobbyLimits, MemberLimitAndResultCount) {
  for (std::uint16_t ok : {1, 2, 250}) expect_round_trip(CreateLobby{LobbyType::private_only, ok});
  for (std::uint16_t bad : {0, 251, 0xffff})
    EXPECT_EQ(code_of(CreateLobby{LobbyType::public_lobby, bad}), Errc::malformed);

  for (std::uint16_t ok : {1, 50, 500}) expect_round_trip(RequestLobbyList{{}, ok});
  for (std::uint16_t bad : {0, 501}) EXPECT_EQ(code_of(RequestLobbyList{{}, bad}), Errc::malformed);

  // A lobby's limit in a state or summary is [1, 250]; a data update may carry 0 (member data).
  for (std::uint16_t bad : {0, 251}) {
    LobbyState s = sample_lobby_state();
    s.max_members = bad;
    EXPECT_EQ(code_of(entered_with(s)), Errc::malformed) << bad;
    EXPECT_EQ(code_of(LobbyData{true, LobbySummary{kSampleLobby, {}, 1, bad, {}}}), Errc::malformed) << bad;
  }
  LobbyDataUpdate u{kSampleLobby, kSampleLobby, {}, SteamID::individual(1), 0, true, LobbyType::public_lobby};
  expect_round_trip(u);
  u.max_members = 250;
  expect_round_trip(u);
  u.max_members = 251;
  EXPECT_EQ(code_of(u), Errc::malformed);
}

TEST(LobbyLimits, SettingValues) {
  const auto setting = [](LobbySetting s, std::uint64_t v) { return SetLobbySetting{kSampleLobby, s, v}; };
  for (std::uint64_t v : {0ull, 1ull, 0xffffffffffffffffull}) expect_round_trip(setting(LobbySetting::owner, v));
  expect_round_trip(setting(LobbySetting::member_limit, 1));
  expect_round_trip(setting(LobbySetting::member_limit, 250));
  expect_round_trip(setting(LobbySetting::joinable, 0));
  expect_round_trip(setting(LobbySetting::joinable, 1));
  for (std::uint64_t t = 0; t <= 3; ++t) expect_round_trip(setting(LobbySetting::type, t));

  EXPECT_EQ(code_of(setting(LobbySetting::member_limit, 0)), Errc::malformed);
  EXPECT_EQ(code_of(setting(LobbySetting::member_limit, 251)), Errc::malformed);
  EXPECT_EQ(code_of(setting(LobbySetting::member_limit, 0x1'0000'0001ull)), Errc::malformed);  // not truncated to 1
  EXPECT_EQ(code_of(setting(LobbySetting::joinable, 2)), Errc::malformed);
  EXPECT_EQ(code_of(setting(LobbySetting::type, 4)), Errc::malformed);  // PRIVATE_UNIQUE
  EXPECT_EQ(code_of(setting(static_cast<LobbySetting>(0), 1)), Errc::malformed);
  EXPECT_EQ(code_of(setting(static_cast<LobbySetting>(5), 1)), Errc::malformed);
}

TEST(LobbyLimits, MemberPersonaNames) {
  const auto with_name = [](std::string name) {
    LobbyState s = sample_lobby_state();
    s.members[1].persona_name = std::move(name);
    return entered_with(s);
  };
  expect_bound(kMaxPersonaNameBytes, [&](std::size_t n) { return with_name(std::string(n, 'n')); });
  expect_round_trip(with_name("Zoë 日本"));
  // Unlike a persona's name, a member's is never empty: the joiner's name cache must be complete.
  for (const char* bad : {"", "   ", "new\nline", "\xc0\xaf", "x\xe6\x97"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(code_of(with_name(bad)), Errc::malformed);
    EXPECT_EQ(code_of(LobbyMemberUpdate{kSampleLobby, SteamID::individual(3), SteamID::individual(3),
                                        MemberChange::entered, sample_member(3, bad), SteamID()}),
              Errc::malformed);
  }
}

// A stored data set is sorted by key (bytes as unsigned), without duplicates; a batch of
// changes may come in any order.
TEST(LobbyLimits, StoredDataIsSortedChangesAreNot) {
  expect_round_trip(LobbyData{true, LobbySummary{kSampleLobby, {}, 1, 4, {{"A", "1"}, {"a", "2"}, {"\xff", "3"}}}});
  const std::vector<std::vector<LobbyEntry>> bad = {
      {{"b", "1"}, {"a", "2"}}, {{"a", "1"}, {"a", "2"}}, {{"\xff", "1"}, {"a", "2"}}};
  for (const auto& data : bad) {
    LobbyState s = sample_lobby_state();
    s.data = data;
    EXPECT_EQ(code_of(entered_with(s)), Errc::malformed);
    s = sample_lobby_state();
    s.members[0].data = data;
    EXPECT_EQ(code_of(entered_with(s)), Errc::malformed);
    EXPECT_EQ(code_of(LobbyData{true, LobbySummary{kSampleLobby, {}, 1, 4, data}}), Errc::malformed);
    expect_round_trip(SetLobbyData{kSampleLobby, data});
    expect_round_trip(LobbyDataUpdate{kSampleLobby, kSampleLobby, data, {}, 4, true, {}});
  }
}

// ---- enums, flags and presence

TEST(LobbyEnums, LobbyType) {
  for (std::uint8_t t = 0; t <= 3; ++t) {
    const auto type = static_cast<LobbyType>(t);
    expect_round_trip(CreateLobby{type, 4});
    LobbyState s = sample_lobby_state();
    s.type = type;
    expect_round_trip(entered_with(s));
    expect_round_trip(LobbyDataUpdate{kSampleLobby, kSampleLobby, {}, {}, 4, true, type});
  }
  for (std::uint8_t t : {4, 5, 255}) {  // 4 = PRIVATE_UNIQUE, Steam web-API only
    const auto type = static_cast<LobbyType>(t);
    EXPECT_EQ(code_of(CreateLobby{type, 4}), Errc::malformed);
    LobbyState s = sample_lobby_state();
    s.type = type;
    EXPECT_EQ(code_of(entered_with(s)), Errc::malformed);
    EXPECT_EQ(code_of(LobbyDataUpdate{kSampleLobby, kSampleLobby, {}, {}, 4, true, type}), Errc::malformed);
  }
}

TEST(LobbyEnums, EnterResponse) {
  int accepted = 0;
  for (int v = 0; v < 256; ++v) {
    const auto response = static_cast<EnterResponse>(v);
    const bool success = response == EnterResponse::success;
    const LobbyEntered e{response, kSampleLobby, success ? std::optional(sample_lobby_state()) : std::nullopt};
    if (code_of(e) == Errc::ok) {
      ++accepted;
      expect_round_trip(e);
    } else {
      EXPECT_EQ(code_of(e), Errc::malformed) << v;
    }
  }
  EXPECT_EQ(accepted, 7);  // 1-6 and 15
  for (int v : {1, 2, 3, 4, 5, 6, 15}) {
    const auto response = static_cast<EnterResponse>(v);
    expect_round_trip(
        LobbyEntered{response, kSampleLobby, v == 1 ? std::optional(sample_lobby_state()) : std::nullopt});
  }
}

TEST(LobbyEnums, MemberChangeIsExactlyOneFlag) {
  const auto update = [](int change) {
    const auto c = static_cast<MemberChange>(change);
    return LobbyMemberUpdate{kSampleLobby,
                             SteamID::individual(3),
                             SteamID::individual(3),
                             c,
                             c == MemberChange::entered ? std::optional(sample_member(3, "Carl")) : std::nullopt,
                             SteamID()};
  };
  for (int flag : {0x01, 0x02, 0x04, 0x08, 0x10}) expect_round_trip(update(flag));
  for (int bad : {0x00, 0x03, 0x06, 0x18, 0x20, 0x40, 0x80, 0xff}) EXPECT_EQ(code_of(update(bad)), Errc::malformed);
}

TEST(LobbyEnums, FilterKindComparisonDistance) {
  for (int c = -2; c <= 3; ++c) {
    const auto cmp = static_cast<LobbyComparison>(c);
    expect_round_trip(RequestLobbyList{{{LobbyFilterKind::string, "k", "v", 0, cmp}}, 50});
    expect_round_trip(RequestLobbyList{{{LobbyFilterKind::numerical, "k", "", -1, cmp}}, 50});
  }
  for (int c : {-128, -3, 4, 127}) {
    const auto cmp = static_cast<LobbyComparison>(c);
    EXPECT_EQ(code_of(RequestLobbyList{{{LobbyFilterKind::string, "k", "v", 0, cmp}}, 50}), Errc::malformed) << c;
    EXPECT_EQ(code_of(RequestLobbyList{{{LobbyFilterKind::numerical, "k", "", 0, cmp}}, 50}), Errc::malformed) << c;
  }
  for (std::int64_t d = 0; d <= 3; ++d)
    expect_round_trip(RequestLobbyList{{{LobbyFilterKind::distance, "", "", d, {}}}, 1});
  EXPECT_EQ(code_of(RequestLobbyList{{{LobbyFilterKind::distance, "", "", 4, {}}}, 1}), Errc::malformed);
  for (std::int64_t n :
       {std::numeric_limits<std::int64_t>::min(), std::int64_t{-1}, std::numeric_limits<std::int64_t>::max()}) {
    expect_round_trip(RequestLobbyList{{{LobbyFilterKind::slots_available, "", "", n, {}}}, 1});
    expect_round_trip(RequestLobbyList{{{LobbyFilterKind::near_value, "k", "", n, {}}}, 1});
  }
  EXPECT_EQ(code_of(RequestLobbyList{{{static_cast<LobbyFilterKind>(5), "k", "", 0, {}}}, 1}), Errc::malformed);
}

// Fields a filter kind does not use are not sent, so each filter has one encoding.
TEST(LobbyEnums, FilterSendsOnlyItsFields) {
  const LobbyFilter lean{LobbyFilterKind::slots_available, "", "", 2, LobbyComparison::equal};
  const LobbyFilter noisy{LobbyFilterKind::slots_available, "key", "text", 2, LobbyComparison::not_equal};
  EXPECT_EQ(encode(Message{1, RequestLobbyList{{noisy}, 5}}), encode(Message{1, RequestLobbyList{{lean}, 5}}));
  auto back = decode(encode(Message{1, RequestLobbyList{{noisy}, 5}}));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<RequestLobbyList>(back->body).filters[0], lean);
}

TEST(LobbyEnums, PresenceFollowsTheResponseAndTheChange) {
  // success without a state, a failure with one
  EXPECT_EQ(code_of(LobbyEntered{EnterResponse::success, kSampleLobby, std::nullopt}), Errc::malformed);
  EXPECT_EQ(code_of(LobbyEntered{EnterResponse::full, kSampleLobby, sample_lobby_state()}), Errc::malformed);
  // entered without the member, left with one
  EXPECT_EQ(code_of(LobbyMemberUpdate{kSampleLobby, SteamID::individual(3), SteamID::individual(3),
                                      MemberChange::entered, std::nullopt, SteamID()}),
            Errc::malformed);
  EXPECT_EQ(code_of(LobbyMemberUpdate{kSampleLobby, SteamID::individual(3), SteamID::individual(3), MemberChange::left,
                                      sample_member(3, "Carl"), SteamID()}),
            Errc::malformed);

  // A presence flag or bool other than 0/1: kind, id(4), response at 5, lobby 6..13, flag at 14.
  Buf bytes = encode(Message{1, LobbyEntered{EnterResponse::full, kSampleLobby, std::nullopt}});
  ASSERT_EQ(bytes.size(), 15u);
  bytes[14] = 2;
  EXPECT_EQ(decode(bytes).code(), Errc::malformed);
  // LobbyData: exists at 5.
  bytes = encode(Message{1, LobbyData{false, {}}});
  ASSERT_EQ(bytes.size(), 6u);
  bytes[5] = 2;
  EXPECT_EQ(decode(bytes).code(), Errc::malformed);
  // The state's joinable: kind, id, response, lobby, flag, state.lobby 15..22, type 23, limit 24..25, joinable 26.
  bytes = encode(Message{1, entered_with(sample_lobby_state())});
  ASSERT_EQ(bytes[26], 1);
  bytes[26] = 2;
  EXPECT_EQ(decode(bytes).code(), Errc::malformed);
}

// A missing lobby's LobbyData carries nothing else: the summary is not sent.
TEST(LobbyEnums, MissingLobbyDataHasNoSummary) {
  EXPECT_EQ(encode(Message{1, LobbyData{false, sample_summary(1, 2)}}), encode(Message{1, LobbyData{false, {}}}));
}

// Counts are checked against what the bytes left can hold before anything is allocated.
TEST(LobbyLimits, CountsAreCheckedBeforeAllocating) {
  // LobbyList claiming 500 summaries (21 bytes each at least) in 30 bytes.
  Buf list = {kKindLobbyList, 0, 0, 0, 0, 0xf4, 0x03};
  list.resize(list.size() + 30, 0);
  EXPECT_EQ(decode(list).code(), Errc::truncated);
  // SetLobbyData claiming 256 entries (3 bytes each at least) in 100 bytes.
  Buf set = {kKindSetLobbyData, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x86, 0x01, 0x80, 0x02};
  set.resize(set.size() + 100, 1);
  EXPECT_EQ(decode(set).code(), Errc::truncated);
  // One over the limit is malformed whatever follows.
  Buf filters = {kKindRequestLobbyList, 0, 0, 0, 0, 65};
  EXPECT_EQ(decode(filters).code(), Errc::malformed);
}

// ---- pinned vectors (docs/protocol.md §15.5)

TEST(LobbyVectors, CreateLobby) {
  EXPECT_EQ(to_hex(encode(Message{20, CreateLobby{LobbyType::friends_only, 8}})),
            "09"        // kind CreateLobby
            "14000000"  // request id 20
            "01"        // type friends only
            "0800");    // max members 8
}

TEST(LobbyVectors, SetLobbyData) {
  EXPECT_EQ(to_hex(encode(Message{5, SetLobbyData{SteamID::lobby(42), {{"map", "dust"}, {"old", ""}}}})),
            "0c"                // kind SetLobbyData
            "05000000"          // request id 5
            "2a00000000008601"  // lobby 0x018600000000002a
            "02"                // 2 changes
            "036d6170"          // "map"
            "0464757374"        // = "dust"
            "036f6c64"          // "old"
            "00");              // = "" (delete)
}

TEST(LobbyVectors, RequestLobbyList) {
  const RequestLobbyList r{{{LobbyFilterKind::string, "mode", "coop", 0, LobbyComparison::not_equal},
                            {LobbyFilterKind::numerical, "lvl", "", -2, LobbyComparison::equal_or_less},
                            {LobbyFilterKind::distance, "", "", 3, {}}},
                           100};
  EXPECT_EQ(to_hex(encode(Message{6, r})),
            "10"                // kind RequestLobbyList
            "06000000"          // request id 6
            "03"                // 3 filters
            "00"                // string:
            "046d6f6465"        //   key "mode"
            "04636f6f70"        //   text "coop"
            "03"                //   not equal
            "01"                // numerical:
            "036c766c"          //   key "lvl"
            "feffffffffffffff"  //   -2
            "fe"                //   equal or less (-2)
            "04"                // distance:
            "03"                //   worldwide
            "6400");            // max results 100
}

TEST(LobbyVectors, LobbyMemberUpdate) {
  const LobbyMemberUpdate u{SteamID::lobby(42),
                            SteamID::individual(3),
                            SteamID::individual(3),
                            MemberChange::entered,
                            LobbyMember{SteamID::individual(3), "Carl", {{"t", "b"}}},
                            SteamID()};
  EXPECT_EQ(to_hex(encode(Message{0, u})),
            "8c"                  // kind LobbyMemberUpdate
            "00000000"            // notification
            "2a00000000008601"    // lobby
            "0300000001001001"    // member 76561197960265731
            "0300000001001001"    // making change
            "01"                  // entered
            "01"                  // member present:
            "0300000001001001"    //   id
            "044361726c"          //   persona name "Carl"
            "01"                  //   1 data entry
            "0174"                //   "t"
            "0162"                //   = "b"
            "0000000000000000");  // no new owner
}

}  // namespace
}  // namespace kettle::control
