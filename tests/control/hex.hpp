// Lowercase hex of encoded bytes, for the tests that pin a message's exact wire form.
#pragma once

#include <string>

#include "core/bytes.hpp"

namespace kettle::control::testing {

inline std::string to_hex(Bytes b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (auto c : b) {
    s += kHex[c >> 4];
    s += kHex[c & 0xf];
  }
  return s;
}

}  // namespace kettle::control::testing
