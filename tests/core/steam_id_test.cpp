#include "core/steam_id.hpp"

#include <gtest/gtest.h>

namespace kettle {
namespace {

TEST(SteamID, IndividualLayoutMatchesSteam) {
  const SteamID id = SteamID::individual(1);
  EXPECT_EQ(id.ConvertToUint64(), 76561197960265729ULL);
  EXPECT_EQ(id.universe(), 1u);
  EXPECT_EQ(id.account_type(), 1u);
  EXPECT_EQ(id.instance(), 1u);
  EXPECT_EQ(id.account_id(), 1u);
  EXPECT_TRUE(id.IsValid());
  EXPECT_TRUE(id.BIndividualAccount());
  EXPECT_FALSE(id.IsLobby());
  EXPECT_EQ(id.to_string(), "76561197960265729");
}

TEST(SteamID, LobbyIdsArePositiveAndDistinct) {
  const SteamID lobby = SteamID::lobby(7);
  EXPECT_TRUE(lobby.IsLobby());
  EXPECT_FALSE(lobby.BIndividualAccount());
  EXPECT_LT(lobby.ConvertToUint64(), 1ULL << 63);
  EXPECT_EQ(SteamID(109775241012345678ULL).IsLobby(), true);
}

TEST(SteamID, InvalidValues) {
  EXPECT_FALSE(SteamID().IsValid());
  EXPECT_FALSE(SteamID(12345).IsValid());
  EXPECT_FALSE(SteamID(SteamID::kIndividualBase).IsValid());                        // account 0
  EXPECT_FALSE(SteamID((2ULL << 56) | (1ULL << 52) | (1ULL << 32) | 5).IsValid());  // universe 2
}

}  // namespace
}  // namespace kettle
