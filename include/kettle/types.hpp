// Scalar types, EResult and SteamID of the public API (spec §0.2, §0.3).
#pragma once

#include <cstdint>

#include "core/steam_id.hpp"

namespace kettle {

using uint8 = std::uint8_t;
using uint16 = std::uint16_t;
using uint32 = std::uint32_t;
using uint64 = std::uint64_t;
using int32 = std::int32_t;
using AppId_t = std::uint32_t;
using SteamAPICall_t = std::uint64_t;
inline constexpr SteamAPICall_t k_uAPICallInvalid = 0;

enum EResult : int {
  k_EResultNone = 0,
  k_EResultOK = 1,
  k_EResultFail = 2,
  k_EResultNoConnection = 3,
  k_EResultInvalidPassword = 5,
  k_EResultLoggedInElsewhere = 6,  // SteamServersDisconnected_t: another login took this account
  k_EResultInvalidParam = 8,
  k_EResultAccessDenied = 15,
  k_EResultTimeout = 16,
  k_EResultServiceUnavailable = 20,
  k_EResultLimitExceeded = 25,
  k_EResultExpired = 27,
  k_EResultInvalidName = 40,
  k_EResultIgnored = 41,
};

// ESteamAPIInitResult (Init's code).
enum ESteamAPIInitResult : int {
  k_ESteamAPIInitResult_OK = 0,
  k_ESteamAPIInitResult_FailedGeneric = 1,    // bad credentials, unknown app, any other failure
  k_ESteamAPIInitResult_NoSteamClient = 2,    // kettle-server unreachable
  k_ESteamAPIInitResult_VersionMismatch = 3,  // server protocol version incompatible
};

// EPersonaState (GetPersonaState / GetFriendPersonaState).
enum EPersonaState : int {
  k_EPersonaStateOffline = 0,
  k_EPersonaStateOnline = 1,
};

}  // namespace kettle
