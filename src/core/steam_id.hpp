// SteamID64 with Steam's bit layout: account id bits 0-31, instance 32-51,
// account type 52-55, universe 56-63. Individual accounts are
// 76561197960265728 + account_id (universe 1, type 1, instance 1), so game code
// that prints or compares IDs behaves exactly as with Steam.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace kettle {

class SteamID {
 public:
  static constexpr std::uint64_t kIndividualBase = 76561197960265728ULL;  // universe 1, type 1, instance 1
  static constexpr std::uint64_t kLobbyBase = 0x0186000000000000ULL;      // universe 1, type 8, lobby flags
  static constexpr std::uint32_t kUniversePublic = 1;
  static constexpr std::uint32_t kTypeIndividual = 1;
  static constexpr std::uint32_t kTypeChat = 8;
  static constexpr std::uint32_t kInstanceDesktop = 1;
  static constexpr std::uint32_t kChatInstanceLobbyFlag = 0x40000;  // k_EChatInstanceFlagLobby

  constexpr SteamID() noexcept = default;
  constexpr explicit SteamID(std::uint64_t v) noexcept : v_(v) {}

  static constexpr SteamID individual(std::uint32_t account_id) noexcept {
    return SteamID(kIndividualBase + account_id);
  }
  static constexpr SteamID lobby(std::uint32_t n) noexcept { return SteamID(kLobbyBase | n); }

  constexpr std::uint64_t ConvertToUint64() const noexcept { return v_; }
  constexpr std::uint64_t value() const noexcept { return v_; }
  constexpr std::uint32_t account_id() const noexcept { return static_cast<std::uint32_t>(v_); }
  constexpr std::uint32_t instance() const noexcept { return static_cast<std::uint32_t>((v_ >> 32) & 0xFFFFF); }
  constexpr std::uint32_t account_type() const noexcept { return static_cast<std::uint32_t>((v_ >> 52) & 0xF); }
  constexpr std::uint32_t universe() const noexcept { return static_cast<std::uint32_t>(v_ >> 56); }

  constexpr bool BIndividualAccount() const noexcept {
    return universe() == kUniversePublic && account_type() == kTypeIndividual && instance() == kInstanceDesktop &&
           account_id() != 0;
  }
  constexpr bool IsLobby() const noexcept {
    return universe() == kUniversePublic && account_type() == kTypeChat && (instance() & kChatInstanceLobbyFlag) != 0 &&
           account_id() != 0;
  }
  constexpr bool IsValid() const noexcept { return BIndividualAccount() || IsLobby(); }

  std::string to_string() const { return std::to_string(v_); }

  friend constexpr bool operator==(SteamID a, SteamID b) noexcept { return a.v_ == b.v_; }
  friend constexpr auto operator<=>(SteamID a, SteamID b) noexcept { return a.v_ <=> b.v_; }

 private:
  std::uint64_t v_ = 0;
};

static_assert(SteamID::individual(1).ConvertToUint64() == 76561197960265729ULL);
static_assert(SteamID::individual(1).BIndividualAccount());
static_assert(SteamID::lobby(1).IsLobby());
static_assert(SteamID::kLobbyBase == 109775240917155840ULL);

}  // namespace kettle

template <>
struct std::hash<kettle::SteamID> {
  std::size_t operator()(kettle::SteamID id) const noexcept { return std::hash<std::uint64_t>{}(id.value()); }
};
