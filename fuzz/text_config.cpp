// Fuzzes the text parsers that read user-supplied configuration: the conditioner
// link spec (tools' --up/--down flags) and HOST:PORT addresses. Invariants: no
// crash; anything accepted re-serializes to text that parses back to an equal value.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/address.hpp"
#include "net/link_settings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto s = kettle::net::LinkSettings::parse(text); s.ok()) {
    if (!s->validate().ok()) std::abort();  // parse must only accept valid settings
    auto again = kettle::net::LinkSettings::parse(s->to_string());
    if (!again.ok() || !(*again == *s)) std::abort();
  }

  if (auto a = kettle::Address::parse(text); a.ok()) {
    auto again = kettle::Address::parse(a->to_string());
    if (!again.ok() || !(*again == *a)) std::abort();
  }
  return 0;
}
