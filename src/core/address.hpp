// A UDP endpoint address (IPv4 or IPv6 + port) as a plain value type. The
// sans-IO transport treats it as an opaque routing key; src/net converts it
// to and from sockaddr. The simulator invents addresses freely.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace kettle {

struct Address {
  enum class Family : std::uint8_t { none = 0, v4 = 4, v6 = 6 };
  Family family = Family::none;
  std::array<std::uint8_t, 16> ip{};  // v4 uses the first 4 bytes, network order
  std::uint16_t port = 0;             // host order

  static Address v4(std::uint32_t ip_host_order, std::uint16_t port) noexcept;
  static Address loopback_v4(std::uint16_t port) noexcept { return v4(0x7F000001u, port); }
  // "1.2.3.4:5", "[::1]:5", "localhost:5" (localhost means 127.0.0.1; no DNS in core).
  static Result<Address> parse(std::string_view text);

  bool is_set() const noexcept { return family != Family::none; }
  std::uint32_t v4_host_order() const noexcept;  // 0 unless v4
  std::string to_string() const;

  // Bytes identifying this address for cookies/MACs: family, ip, port.
  std::array<std::uint8_t, 19> key_bytes() const noexcept;

  friend bool operator==(const Address&, const Address&) = default;
};

}  // namespace kettle

template <>
struct std::hash<kettle::Address> {
  std::size_t operator()(const kettle::Address& a) const noexcept {
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a: cheap, good enough for routing tables
    for (auto b : a.key_bytes()) h = (h ^ b) * 1099511628211ULL;
    return static_cast<std::size_t>(h);
  }
};
