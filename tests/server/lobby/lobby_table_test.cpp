// LobbyTable: membership, ownership, data, settings, chat, invites, moderation (spec §3.1-3.5).
#include <gtest/gtest.h>

#include "server/lobby/lobby_test_util.hpp"

namespace kettle::server::lobby::test {
namespace {

using control::EnterResponse;
using control::LobbyEntry;
using control::LobbySetting;
using control::LobbyType;
using control::MemberChange;
using control::ResultCode;

control::LobbyMemberUpdate member_update(const Delivery& d) {
  const auto* u = std::get_if<control::LobbyMemberUpdate>(&d.body);
  EXPECT_NE(u, nullptr) << "notification alternative " << d.body.index();
  return u ? *u : control::LobbyMemberUpdate{};
}

control::LobbyMemberUpdate left_update(SteamID lobby, SteamID who, MemberChange change, SteamID new_owner = {}) {
  return control::LobbyMemberUpdate{lobby, who, who, change, std::nullopt, new_owner};
}

class LobbyTableTest : public LobbyTest {};

TEST_F(LobbyTableTest, CreateMakesTheCreatorTheOnlyMemberAndOwner) {
  const Actor a = user(1);
  const Reply r = table_.create(a, control::CreateLobby{LobbyType::public_lobby, 10}, out_);
  const auto e = expect_reply<control::LobbyEntered>(r);
  EXPECT_EQ(e.response, EnterResponse::success);
  EXPECT_EQ(e.lobby, SteamID::lobby(1));
  EXPECT_TRUE(e.lobby.IsLobby());
  control::LobbyState want;
  want.lobby = SteamID::lobby(1);
  want.type = LobbyType::public_lobby;
  want.max_members = 10;
  want.joinable = true;
  want.owner = a.user;
  want.members = {control::LobbyMember{a.user, "player1", {}}};
  ASSERT_TRUE(e.state.has_value());
  EXPECT_EQ(*e.state, want);
  EXPECT_EQ(table_.state(e.lobby), want);
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(table_.lobby_count(), 1u);
  EXPECT_EQ(table_.lobbies_of(a.user), std::vector<SteamID>{e.lobby});
  EXPECT_EQ(store_->pending(), 2u);  // PutLobby, PutMember; the table never flushes

  // IDs come from a counter: the next lobby is 2 (the first one is left, deleted, not reused).
  EXPECT_EQ(create(a), SteamID::lobby(2));
  EXPECT_FALSE(table_.state(SteamID::lobby(1)));
  EXPECT_EQ(create(user(2)), SteamID::lobby(3));
}

TEST_F(LobbyTableTest, CreateRefusesBadParametersAndChangesNothing) {
  const Actor a = user(1);
  EXPECT_EQ(error_code(table_.create(a, {LobbyType::public_lobby, 0}, out_)), ResultCode::invalid_param);
  EXPECT_EQ(error_code(table_.create(a, {LobbyType::public_lobby, 251}, out_)), ResultCode::invalid_param);
  EXPECT_EQ(error_code(table_.create(a, {static_cast<LobbyType>(4), 2}, out_)), ResultCode::invalid_param);
  EXPECT_EQ(error_code(table_.create(Actor{SteamID::lobby(5), kApp, "x"}, {}, out_)), ResultCode::invalid_param);
  EXPECT_EQ(error_code(table_.create(user(1, 0), {}, out_)), ResultCode::access_denied);
  EXPECT_EQ(table_.lobby_count(), 0u);
  EXPECT_EQ(store_->pending(), 0u);
  EXPECT_TRUE(out_.empty());
  // The bounds themselves are fine.
  create(user(1), LobbyType::public_lobby, 1);
  create(user(2), LobbyType::public_lobby, 250);
}

TEST_F(LobbyTableTest, CreateStopsAtThePerAppLobbyLimit) {
  LobbyTable small(*store_, Limits{2, 2});
  EXPECT_TRUE(std::holds_alternative<control::LobbyEntered>(small.create(user(1), {}, out_)));
  EXPECT_TRUE(std::holds_alternative<control::LobbyEntered>(small.create(user(2), {}, out_)));
  EXPECT_EQ(error_code(small.create(user(3), {}, out_)), ResultCode::limit_exceeded);
  EXPECT_TRUE(std::holds_alternative<control::LobbyEntered>(small.create(user(3, kOtherApp), {}, out_)));
  EXPECT_EQ(small.lobby_count(), 3u);
}

TEST_F(LobbyTableTest, JoinTellsTheOthersInJoinOrderWithTheJoinersName) {
  const Actor a = user(1), b = user(2), c = user(3);
  const SteamID l = create(a);
  const auto eb = expect_reply<control::LobbyEntered>(table_.join(b, {l}, out_));
  ASSERT_EQ(eb.response, EnterResponse::success);
  ASSERT_TRUE(eb.state);
  EXPECT_EQ(eb.state->members.size(), 2u);
  EXPECT_EQ(eb.state->members[1], (control::LobbyMember{b.user, "player2", {}}));
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].to, a.user);
  EXPECT_EQ(member_update(out_[0]),
            (control::LobbyMemberUpdate{
                l, b.user, b.user, MemberChange::entered, control::LobbyMember{b.user, "player2", {}}, {}}));
  out_.clear();
  join_ok(c, l);
  EXPECT_EQ(members(l), (std::vector<SteamID>{a.user, b.user, c.user}));
  EXPECT_EQ(owner(l), a.user);
}

TEST_F(LobbyTableTest, JoinCarriesExistingDataAndTheOthersSeeTheJoiner) {
  const Actor a = user(1), b = user(2), c = user(3);
  const SteamID l = create(a);
  join_ok(b, l);
  ASSERT_TRUE(is_ok(set_data(a, l, {{"name", "room"}})));
  ASSERT_TRUE(is_ok(set_member_data(b, l, {{"ready", "1"}})));
  out_.clear();
  const auto e = expect_reply<control::LobbyEntered>(table_.join(c, {l}, out_));
  ASSERT_TRUE(e.state);
  EXPECT_EQ(e.state->data, (std::vector<LobbyEntry>{{"name", "room"}}));
  EXPECT_EQ(e.state->members[1].data, (std::vector<LobbyEntry>{{"ready", "1"}}));
  EXPECT_EQ(recipients(), (std::vector<SteamID>{a.user, b.user}));
}

TEST_F(LobbyTableTest, JoiningTwiceIsSuccessAndNobodyIsTold) {
  const Actor a = user(1), b = user(2);
  const SteamID l = create(a);
  join_ok(b, l);
  const std::size_t ops = store_->pending();
  const auto e = expect_reply<control::LobbyEntered>(table_.join(b, {l}, out_));
  EXPECT_EQ(e.response, EnterResponse::success);
  EXPECT_EQ(e.state, table_.state(l));
  EXPECT_EQ(join(a, l), EnterResponse::success);
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(members(l), (std::vector<SteamID>{a.user, b.user}));
  EXPECT_EQ(store_->pending(), ops);
}

TEST_F(LobbyTableTest, JoinOfUnknownInvalidOrOtherAppIdsIsDoesntExist) {
  const SteamID l = create(user(1));
  for (SteamID id : {SteamID::lobby(99), SteamID(), SteamID::individual(1), SteamID(0xFFFFFFFFFFFFFFFFULL)}) {
    const auto e = expect_reply<control::LobbyEntered>(table_.join(user(2), {id}, out_));
    EXPECT_EQ(e.response, EnterResponse::doesnt_exist) << id.value();
    EXPECT_EQ(e.lobby, id);
    EXPECT_FALSE(e.state);
  }
  EXPECT_EQ(join(user(2, kOtherApp), l), EnterResponse::doesnt_exist);
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(members(l).size(), 1u);
}

TEST_F(LobbyTableTest, FullLobbyRefusesWithFull) {
  const SteamID l = create(user(1), LobbyType::public_lobby, 2);
  join_ok(user(2), l);
  EXPECT_EQ(join(user(3), l), EnterResponse::full);
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(members(l).size(), 2u);
  EXPECT_TRUE(table_.lobbies_of(user(3).user).empty());
}

TEST_F(LobbyTableTest, PrivateLobbyTakesOnlyInvitees) {
  const Actor a = user(1), b = user(2), c = user(3);
  const SteamID l = create(a, LobbyType::private_only);
  EXPECT_EQ(join(c, l), EnterResponse::not_allowed);
  // Only members invite; the invitee must be a user.
  EXPECT_EQ(error_code(table_.invite(b, {l, c.user}, out_)), ResultCode::access_denied);
  EXPECT_EQ(error_code(table_.invite(a, {l, SteamID::lobby(3)}, out_)), ResultCode::invalid_param);
  EXPECT_EQ(error_code(table_.invite(a, {SteamID::lobby(77), c.user}, out_)), ResultCode::invalid_param);
  EXPECT_TRUE(out_.empty());
  EXPECT_TRUE(is_ok(table_.invite(a, {l, c.user}, out_)));
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].to, c.user);
  EXPECT_EQ(std::get<control::LobbyInvite>(out_[0].body), (control::LobbyInvite{l, a.user, kApp}));
  out_.clear();
  EXPECT_EQ(join(c, l), EnterResponse::success);
  EXPECT_EQ(join(b, l), EnterResponse::not_allowed);
  EXPECT_EQ(members(l), (std::vector<SteamID>{a.user, c.user}));
}

TEST_F(LobbyTableTest, FriendsOnlyIsJoinableById) {
  const SteamID l = create(user(1), LobbyType::friends_only);
  EXPECT_EQ(join(user(2), l), EnterResponse::success);
}

TEST_F(LobbyTableTest, NotJoinableRefusesEveryoneInviteesIncluded) {
  const Actor a = user(1), c = user(3);
  const SteamID l = create(a, LobbyType::private_only);
  ASSERT_TRUE(is_ok(table_.invite(a, {l, c.user}, out_)));
  ASSERT_TRUE(is_ok(setting(a, l, LobbySetting::joinable, 0)));
  EXPECT_EQ(join(c, l), EnterResponse::not_allowed);
  EXPECT_EQ(join(user(4), l), EnterResponse::not_allowed);
  ASSERT_TRUE(is_ok(setting(a, l, LobbySetting::joinable, 1)));
  EXPECT_EQ(join(c, l), EnterResponse::success);
}

TEST_F(LobbyTableTest, OwnerLeavingHandsOwnershipToTheLongestPresentInOneUpdate) {
  const Actor a = user(1), b = user(2), c = user(3), d = user(4);
  const SteamID l = create(a);
  join_ok(b, l);
  join_ok(c, l);
  join_ok(d, l);
  EXPECT_TRUE(is_ok(table_.leave(a, {l}, out_)));
  // Exactly one update per remaining member, in join order, new_owner set, the leaver gone.
  ASSERT_EQ(recipients(), (std::vector<SteamID>{b.user, c.user, d.user}));
  for (const Delivery& dl : out_) {
    EXPECT_EQ(member_update(dl), left_update(l, a.user, MemberChange::left, b.user));
  }
  EXPECT_EQ(owner(l), b.user);
  EXPECT_EQ(members(l), (std::vector<SteamID>{b.user, c.user, d.user}));
  out_.clear();
  // A non-owner leaving moves nothing.
  EXPECT_TRUE(is_ok(table_.leave(c, {l}, out_)));
  ASSERT_EQ(recipients(), (std::vector<SteamID>{b.user, d.user}));
  EXPECT_EQ(member_update(out_[0]), left_update(l, c.user, MemberChange::left));
  out_.clear();
  EXPECT_TRUE(is_ok(table_.leave(b, {l}, out_)));
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(member_update(out_[0]), left_update(l, b.user, MemberChange::left, d.user));
  EXPECT_EQ(owner(l), d.user);
}

TEST_F(LobbyTableTest, TheLastMemberLeavingDeletesTheLobby) {
  const Actor a = user(1);
  const SteamID l = create(a);
  EXPECT_TRUE(is_ok(table_.leave(a, {l}, out_)));
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(table_.lobby_count(), 0u);
  EXPECT_FALSE(table_.state(l));
  EXPECT_TRUE(table_.lobbies_of(a.user).empty());
  EXPECT_EQ(join(user(2), l), EnterResponse::doesnt_exist);
  EXPECT_FALSE(expect_reply<control::LobbyData>(table_.data(a, {l})).exists);
}

TEST_F(LobbyTableTest, LeavingALobbyYouAreNotInIsInvalidParamAndHarmless) {
  const Actor a = user(1), b = user(2);
  const SteamID l = create(a);
  const auto before = table_.state(l);
  EXPECT_EQ(error_code(table_.leave(b, {l}, out_)), ResultCode::invalid_param);
  EXPECT_EQ(error_code(table_.leave(b, {SteamID::lobby(50)}, out_)), ResultCode::invalid_param);
  EXPECT_EQ(error_code(table_.leave(b, {SteamID()}, out_)), ResultCode::invalid_param);
  EXPECT_EQ(error_code(table_.leave(user(1, kOtherApp), {l}, out_)), ResultCode::invalid_param);
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(table_.state(l), before);
}

TEST_F(LobbyTableTest, JoiningASecondRegularLobbyLeavesTheFirst) {
  const Actor a = user(1), b = user(2), c = user(3);
  const SteamID l1 = create(a);
  join_ok(b, l1);
  const SteamID l2 = create(c, LobbyType::friends_only);
  EXPECT_EQ(join(a, l2), EnterResponse::success);
  // First the old lobby hears `left` (with the hand-off), then the new one `entered`.
  ASSERT_EQ(recipients(), (std::vector<SteamID>{b.user, c.user}));
  EXPECT_EQ(member_update(out_[0]), left_update(l1, a.user, MemberChange::left, b.user));
  EXPECT_EQ(member_update(out_[1]).change, MemberChange::entered);
  EXPECT_EQ(table_.lobbies_of(a.user), std::vector<SteamID>{l2});
  EXPECT_EQ(members(l1), std::vector<SteamID>{b.user});
}

TEST_F(LobbyTableTest, CreatingASecondRegularLobbyLeavesTheFirst) {
  const Actor a = user(1), b = user(2);
  const SteamID l1 = create(a);
  join_ok(b, l1);
  const auto e = expect_reply<control::LobbyEntered>(table_.create(a, {LobbyType::private_only, 4}, out_));
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].to, b.user);
  EXPECT_EQ(member_update(out_[0]), left_update(l1, a.user, MemberChange::left, b.user));
  EXPECT_EQ(table_.lobbies_of(a.user), std::vector<SteamID>{e.lobby});
}

TEST_F(LobbyTableTest, OneRegularPlusTwoInvisibleLobbiesAtMost) {
  const Actor a = user(1);
  const SteamID i1 = create(user(2), LobbyType::invisible);
  const SteamID i2 = create(user(3), LobbyType::invisible);
  const SteamID i3 = create(user(4), LobbyType::invisible);
  ASSERT_EQ(join(a, i1), EnterResponse::success);
  const SteamID reg = create(a);  // creating a regular lobby leaves no invisible one
  ASSERT_EQ(join(a, i2), EnterResponse::success);
  out_.clear();
  EXPECT_EQ(join(a, i3), EnterResponse::error);
  EXPECT_EQ(error_code(table_.create(a, {LobbyType::invisible, 4}, out_)), ResultCode::limit_exceeded);
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(members(i3).size(), 1u);
  EXPECT_EQ(table_.lobbies_of(a.user), (std::vector<SteamID>{reg, i1, i2}));
  // Leaving one frees a place.
  ASSERT_TRUE(is_ok(table_.leave(a, {i1}, out_)));
  EXPECT_EQ(join(a, i3), EnterResponse::success);
  EXPECT_EQ(table_.lobbies_of(a.user), (std::vector<SteamID>{reg, i2, i3}));
}

TEST_F(LobbyTableTest, LobbyDataReachesEveryMemberTheWriterToo) {
  const Actor a = user(1), b = user(2);
  const SteamID l = create(a, LobbyType::public_lobby, 6);
  join_ok(b, l);
  EXPECT_TRUE(is_ok(set_data(a, l, {{"name", "room"}, {"mode", "ctf"}})));
  control::LobbyDataUpdate want;
  want.lobby = l;
  want.member = l;
  want.changes = {{"mode", "ctf"}, {"name", "room"}};  // sorted by key
  want.owner = a.user;
  want.max_members = 6;
  want.joinable = true;
  want.type = LobbyType::public_lobby;
  ASSERT_EQ(recipients(), (std::vector<SteamID>{a.user, b.user}));
  for (const Delivery& d : out_) EXPECT_EQ(std::get<control::LobbyDataUpdate>(d.body), want);
  EXPECT_EQ(table_.state(l)->data, (std::vector<LobbyEntry>{{"mode", "ctf"}, {"name", "room"}}));
  out_.clear();

  // Unchanged values: Ok, nothing sent. Only the changed key of a batch is sent.
  EXPECT_TRUE(is_ok(set_data(a, l, {{"name", "room"}})));
  EXPECT_TRUE(out_.empty());
  EXPECT_TRUE(is_ok(set_data(a, l, {{"name", "room"}, {"mode", "dm"}})));
  ASSERT_EQ(out_.size(), 2u);
  EXPECT_EQ(std::get<control::LobbyDataUpdate>(out_[0].body).changes, (std::vector<LobbyEntry>{{"mode", "dm"}}));
  out_.clear();
  // "" deletes; deleting a missing key changes nothing. Last write in a batch wins.
  EXPECT_TRUE(is_ok(set_data(a, l, {{"mode", ""}, {"gone", ""}, {"k", "1"}, {"k", "2"}})));
  ASSERT_EQ(out_.size(), 2u);
  EXPECT_EQ(std::get<control::LobbyDataUpdate>(out_[0].body).changes,
            (std::vector<LobbyEntry>{{"k", "2"}, {"mode", ""}}));
  EXPECT_EQ(table_.state(l)->data, (std::vector<LobbyEntry>{{"k", "2"}, {"name", "room"}}));
}

TEST_F(LobbyTableTest, LobbyDataErrorsChangeNothing) {
  const Actor a = user(1), b = user(2), c = user(3);
  const SteamID l = create(a);
  join_ok(b, l);
  const SteamID other = create(c);
  ASSERT_TRUE(is_ok(set_data(c, other, {{"x", "1"}})));
  const auto other_before = table_.state(other);
  out_.clear();
  const std::string key255(255, 'k'), value8191(8191, 'v');
  EXPECT_EQ(error_code(set_data(b, l, {{"a", "1"}})), ResultCode::access_denied);  // not the owner
  EXPECT_EQ(error_code(set_data(c, l, {{"a", "1"}})), ResultCode::access_denied);  // not a member
  EXPECT_EQ(error_code(set_data(a, SteamID::lobby(99), {{"a", "1"}})), ResultCode::invalid_param);
  EXPECT_EQ(error_code(set_data(a, l, {{"", "1"}})), ResultCode::invalid_param);
  EXPECT_EQ(error_code(set_data(a, l, {{key255 + "k", "1"}})), ResultCode::invalid_param);
  EXPECT_EQ(error_code(set_data(a, l, {{"a", value8191 + "v"}})), ResultCode::invalid_param);
  // One bad entry spoils the whole batch.
  EXPECT_EQ(error_code(set_data(a, l, {{"a", "1"}, {"", "2"}})), ResultCode::invalid_param);
  EXPECT_TRUE(out_.empty());
  EXPECT_TRUE(table_.state(l)->data.empty());
  // The limits themselves are fine.
  EXPECT_TRUE(is_ok(set_data(a, l, {{key255, value8191}})));
  out_.clear();

  std::vector<LobbyEntry> fill;
  for (int i = 1; i < 256; ++i) fill.push_back({"key" + std::to_string(i), "v"});
  ASSERT_TRUE(is_ok(set_data(a, l, fill)));
  ASSERT_EQ(table_.state(l)->data.size(), 256u);
  const auto full = table_.state(l);
  out_.clear();
  EXPECT_EQ(error_code(set_data(a, l, {{"key999", "v"}})), ResultCode::limit_exceeded);  // a 257th key
  EXPECT_EQ(error_code(set_data(a, l, std::vector<LobbyEntry>(257, {"k", "v"}))), ResultCode::invalid_param);
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(table_.state(l), full);
  // At 256 keys a change of an existing one, or a delete plus an add, still fits.
  EXPECT_TRUE(is_ok(set_data(a, l, {{"key1", "w"}})));
  EXPECT_TRUE(is_ok(set_data(a, l, {{"key2", ""}, {"key999", "v"}})));
  EXPECT_EQ(table_.state(l)->data.size(), 256u);
  EXPECT_EQ(table_.state(other), other_before);
}

TEST_F(LobbyTableTest, MemberDataIsTheCallersOwnAndReachesEveryMember) {
  const Actor a = user(1), b = user(2), c = user(3);
  const SteamID l = create(a);
  join_ok(b, l);
  EXPECT_TRUE(is_ok(set_member_data(b, l, {{"ready", "1"}, {"team", "red"}})));
  ASSERT_EQ(recipients(), (std::vector<SteamID>{a.user, b.user}));
  control::LobbyDataUpdate want;
  want.lobby = l;
  want.member = b.user;
  want.changes = {{"ready", "1"}, {"team", "red"}};
  EXPECT_EQ(std::get<control::LobbyDataUpdate>(out_[1].body), want);
  EXPECT_EQ(table_.state(l)->members[1].data, want.changes);
  EXPECT_TRUE(table_.state(l)->members[0].data.empty());
  out_.clear();
  EXPECT_TRUE(is_ok(set_member_data(b, l, {{"ready", "1"}})));
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(error_code(set_member_data(c, l, {{"x", "1"}})), ResultCode::access_denied);
  EXPECT_EQ(error_code(set_member_data(b, l, {{"", "1"}})), ResultCode::invalid_param);
  EXPECT_EQ(error_code(set_member_data(b, l, {{"x", std::string(8192, 'v')}})), ResultCode::invalid_param);
  EXPECT_EQ(error_code(set_member_data(b, SteamID::lobby(9), {{"x", "1"}})), ResultCode::invalid_param);
  std::vector<LobbyEntry> many;
  for (int i = 0; i < 255; ++i) many.push_back({"m" + std::to_string(i), "v"});
  EXPECT_EQ(error_code(set_member_data(b, l, many)), ResultCode::limit_exceeded);  // 2 + 255 keys
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(table_.state(l)->members[1].data.size(), 2u);
  // Member data goes with the member.
  ASSERT_TRUE(is_ok(table_.leave(b, {l}, out_)));
  join_ok(b, l);
  EXPECT_TRUE(table_.state(l)->members[1].data.empty());
}

TEST_F(LobbyTableTest, SettingsAreOwnerOnlyValidatedAndAnnouncedToAll) {
  const Actor a = user(1), b = user(2), c = user(3);
  const SteamID l = create(a, LobbyType::public_lobby, 4);
  join_ok(b, l);
  join_ok(c, l);
  const auto before = table_.state(l);
  EXPECT_EQ(error_code(setting(b, l, LobbySetting::joinable, 0)), ResultCode::access_denied);
  EXPECT_EQ(error_code(setting(user(9), l, LobbySetting::joinable, 0)), ResultCode::access_denied);
  EXPECT_EQ(error_code(setting(a, l, LobbySetting::owner, user(9).user.value())), ResultCode::invalid_param);
  EXPECT_EQ(error_code(setting(a, l, LobbySetting::member_limit, 0)), ResultCode::invalid_param);
  EXPECT_EQ(error_code(setting(a, l, LobbySetting::member_limit, 251)), ResultCode::invalid_param);
  EXPECT_EQ(error_code(setting(a, l, LobbySetting::joinable, 2)), ResultCode::invalid_param);
  EXPECT_EQ(error_code(setting(a, l, LobbySetting::type, 4)), ResultCode::invalid_param);
  EXPECT_EQ(error_code(setting(a, l, static_cast<LobbySetting>(9), 1)), ResultCode::invalid_param);
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(table_.state(l), before);
  // Unchanged: Ok and silent.
  EXPECT_TRUE(is_ok(setting(a, l, LobbySetting::member_limit, 4)));
  EXPECT_TRUE(is_ok(setting(a, l, LobbySetting::owner, a.user.value())));
  EXPECT_TRUE(out_.empty());

  // Lowering below the count is allowed and only blocks new joins.
  EXPECT_TRUE(is_ok(setting(a, l, LobbySetting::member_limit, 2)));
  ASSERT_EQ(recipients(), (std::vector<SteamID>{a.user, b.user, c.user}));
  control::LobbyDataUpdate want;
  want.lobby = l;
  want.member = l;
  want.owner = a.user;
  want.max_members = 2;
  want.joinable = true;
  want.type = LobbyType::public_lobby;
  for (const Delivery& d : out_) EXPECT_EQ(std::get<control::LobbyDataUpdate>(d.body), want);
  EXPECT_EQ(members(l).size(), 3u);
  EXPECT_EQ(join(user(4), l), EnterResponse::full);
  out_.clear();

  EXPECT_TRUE(is_ok(setting(a, l, LobbySetting::type, 0)));
  EXPECT_EQ(table_.state(l)->type, LobbyType::private_only);
  out_.clear();
  EXPECT_TRUE(is_ok(setting(a, l, LobbySetting::owner, c.user.value())));
  ASSERT_EQ(out_.size(), 3u);
  EXPECT_EQ(std::get<control::LobbyDataUpdate>(out_[0].body).owner, c.user);
  EXPECT_EQ(owner(l), c.user);
  EXPECT_EQ(error_code(setting(a, l, LobbySetting::joinable, 0)), ResultCode::access_denied);  // no longer owner
  EXPECT_EQ(members(l), (std::vector<SteamID>{a.user, b.user, c.user}));                       // join order unchanged
}

TEST_F(LobbyTableTest, ChatReachesEveryMemberTheSenderToo) {
  const Actor a = user(1), b = user(2), c = user(3);
  const SteamID l = create(a);
  join_ok(b, l);
  const std::vector<std::uint8_t> body{'h', 'i', 0};
  EXPECT_TRUE(is_ok(table_.chat(b, {l, body}, out_)));
  ASSERT_EQ(recipients(), (std::vector<SteamID>{a.user, b.user}));
  for (const Delivery& d : out_) EXPECT_EQ(std::get<control::LobbyChat>(d.body), (control::LobbyChat{l, b.user, body}));
  out_.clear();
  EXPECT_TRUE(is_ok(table_.chat(a, {l, std::vector<std::uint8_t>(4096, 7)}, out_)));
  out_.clear();
  EXPECT_EQ(error_code(table_.chat(a, {l, {}}, out_)), ResultCode::invalid_param);
  EXPECT_EQ(error_code(table_.chat(a, {l, std::vector<std::uint8_t>(4097, 7)}, out_)), ResultCode::invalid_param);
  EXPECT_EQ(error_code(table_.chat(c, {l, body}, out_)), ResultCode::access_denied);
  EXPECT_EQ(error_code(table_.chat(a, {SteamID::lobby(42), body}, out_)), ResultCode::invalid_param);
  EXPECT_TRUE(out_.empty());
}

TEST_F(LobbyTableTest, KickTellsTheOthersAndTheKickedUser) {
  const Actor a = user(1), b = user(2), c = user(3);
  const SteamID l = create(a);
  join_ok(b, l);
  join_ok(c, l);
  table_.kick(l, b.user, false, out_);
  ASSERT_EQ(recipients(), (std::vector<SteamID>{a.user, c.user, b.user}));
  const control::LobbyMemberUpdate kicked{l, b.user, SteamID(), MemberChange::kicked, std::nullopt, SteamID()};
  EXPECT_EQ(member_update(out_[0]), kicked);
  EXPECT_EQ(member_update(out_[1]), kicked);
  EXPECT_EQ(std::get<control::LobbyKicked>(out_[2].body), (control::LobbyKicked{l, SteamID()}));
  out_.clear();
  EXPECT_EQ(join(b, l), EnterResponse::success);  // a kick is not a ban
  out_.clear();

  // Banning the owner: the update carries the hand-off; later joins get `banned`.
  table_.kick(l, a.user, true, out_);
  ASSERT_EQ(out_.size(), 3u);
  EXPECT_EQ(member_update(out_[0]),
            (control::LobbyMemberUpdate{l, a.user, SteamID(), MemberChange::banned, std::nullopt, c.user}));
  EXPECT_EQ(owner(l), c.user);
  out_.clear();
  EXPECT_EQ(join(a, l), EnterResponse::banned);
  // Banning a non-member bars it too; kicking a non-member or an unknown lobby does nothing.
  table_.kick(l, user(7).user, true, out_);
  table_.kick(l, user(8).user, false, out_);
  table_.kick(SteamID::lobby(99), b.user, true, out_);
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(join(user(7), l), EnterResponse::banned);
  EXPECT_EQ(join(user(8), l), EnterResponse::success);
}

TEST_F(LobbyTableTest, RemoveUserLeavesEveryLobbyWithTheGivenChange) {
  const Actor a = user(1), b = user(2), c = user(3);
  const SteamID reg = create(a);
  const SteamID inv = create(c, LobbyType::invisible);
  join_ok(b, reg);
  join_ok(a, inv);
  table_.remove_user(a.user, MemberChange::disconnected, out_);
  ASSERT_EQ(recipients(), (std::vector<SteamID>{b.user, c.user}));
  EXPECT_EQ(member_update(out_[0]), left_update(reg, a.user, MemberChange::disconnected, b.user));
  EXPECT_EQ(member_update(out_[1]), left_update(inv, a.user, MemberChange::disconnected));
  EXPECT_TRUE(table_.lobbies_of(a.user).empty());
  out_.clear();
  table_.remove_user(a.user, MemberChange::left, out_);  // nothing left to leave
  EXPECT_TRUE(out_.empty());
  // `entered` is no departure: it is reported as `left`.
  table_.remove_user(b.user, MemberChange::entered, out_);
  EXPECT_TRUE(out_.empty());  // b was alone: the lobby is deleted
  EXPECT_FALSE(table_.state(reg));
  table_.remove_user(c.user, MemberChange::left, out_);
  EXPECT_EQ(table_.lobby_count(), 0u);
}

TEST_F(LobbyTableTest, RequestLobbyDataAnswersForAnyLobbyOfTheApp) {
  const Actor a = user(1);
  const SteamID l = create(a, LobbyType::private_only, 5);
  ASSERT_TRUE(is_ok(set_data(a, l, {{"name", "secret"}})));
  const auto d = expect_reply<control::LobbyData>(table_.data(user(2), {l}));
  EXPECT_TRUE(d.exists);
  EXPECT_EQ(d.summary, (control::LobbySummary{l, a.user, 1, 5, {{"name", "secret"}}}));
  const auto none = expect_reply<control::LobbyData>(table_.data(user(2), {SteamID::lobby(40)}));
  EXPECT_FALSE(none.exists);
  EXPECT_EQ(none.summary.lobby, SteamID::lobby(40));
  EXPECT_FALSE(expect_reply<control::LobbyData>(table_.data(user(2, kOtherApp), {l})).exists);
  EXPECT_FALSE(expect_reply<control::LobbyData>(table_.data(user(2), {a.user})).exists);
}

}  // namespace
}  // namespace kettle::server::lobby::test
