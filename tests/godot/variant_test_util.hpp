// Hex helpers and the engine-made vector files for the Variant codec tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "godot/variant.hpp"

namespace kettle::godot {
// gtest prints Variants as their text form.
inline void PrintTo(const Variant& v, std::ostream* os) { *os << to_text(v); }
}  // namespace kettle::godot

namespace kettle::godot::testing {

inline std::vector<std::uint8_t> from_hex(const std::string& h) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

inline std::string to_hex(std::span<const std::uint8_t> b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (auto c : b) {
    s += kHex[c >> 4];
    s += kHex[c & 0xf];
  }
  return s;
}

inline nlohmann::json load_vectors(const std::string& file) {
  std::ifstream f(std::string(KETTLE_GODOT_VECTORS) + "/" + file);
  EXPECT_TRUE(f.good()) << "cannot open " << file << " in " << KETTLE_GODOT_VECTORS;
  if (!f.good()) return nlohmann::json::array();
  return nlohmann::json::parse(f);
}

// encode(v, d) as hex, or "error: ..." so a failure shows in the comparison.
inline std::string enc_hex(const Variant& v, Dialect d) {
  auto r = encode(v, d);
  return r.ok() ? to_hex(*r) : "error: " + r.error().message;
}

inline Variant dec(const std::string& hex, Dialect d) {
  const auto b = from_hex(hex);
  auto r = decode(b, d);
  EXPECT_TRUE(r.ok()) << hex << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Variant{};
}

}  // namespace kettle::godot::testing
