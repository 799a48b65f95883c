#include "core/address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace kettle {

Address Address::v4(std::uint32_t ip_host_order, std::uint16_t port) noexcept {
  Address a;
  a.family = Family::v4;
  a.ip[0] = static_cast<std::uint8_t>(ip_host_order >> 24);
  a.ip[1] = static_cast<std::uint8_t>(ip_host_order >> 16);
  a.ip[2] = static_cast<std::uint8_t>(ip_host_order >> 8);
  a.ip[3] = static_cast<std::uint8_t>(ip_host_order);
  a.port = port;
  return a;
}

std::uint32_t Address::v4_host_order() const noexcept {
  if (family != Family::v4) return 0;
  return (std::uint32_t{ip[0]} << 24) | (std::uint32_t{ip[1]} << 16) | (std::uint32_t{ip[2]} << 8) | ip[3];
}

Result<Address> Address::parse(std::string_view text) {
  std::string_view host, port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return {Errc::invalid_argument, "expected [IPv6]:PORT, got '" + std::string(text) + "'"};
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return {Errc::invalid_argument, "expected HOST:PORT, got '" + std::string(text) + "'"};
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535 || port_text.empty())
    return {Errc::invalid_argument, "port must be 0-65535, got '" + std::string(port_text) + "'"};
  if (host == "localhost") host = "127.0.0.1";
  const std::string h{host};
  Address a;
  a.port = static_cast<std::uint16_t>(port);
  if (inet_pton(AF_INET, h.c_str(), a.ip.data()) == 1) {
    a.family = Family::v4;
    return a;
  }
  if (inet_pton(AF_INET6, h.c_str(), a.ip.data()) == 1) {
    a.family = Family::v6;
    return a;
  }
  return {Errc::invalid_argument, "not an IP address: '" + h + "'"};
}

std::string Address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  switch (family) {
    case Family::v4:
      inet_ntop(AF_INET, ip.data(), buf, sizeof buf);
      return std::string(buf) + ":" + std::to_string(port);
    case Family::v6:
      inet_ntop(AF_INET6, ip.data(), buf, sizeof buf);
      return "[" + std::string(buf) + "]:" + std::to_string(port);
    case Family::none:
      break;
  }
  return "(none)";
}

std::array<std::uint8_t, 19> Address::key_bytes() const noexcept {
  std::array<std::uint8_t, 19> k{};
  k[0] = static_cast<std::uint8_t>(family);
  std::memcpy(k.data() + 1, ip.data(), 16);
  k[17] = static_cast<std::uint8_t>(port);
  k[18] = static_cast<std::uint8_t>(port >> 8);
  return k;
}

}  // namespace kettle
