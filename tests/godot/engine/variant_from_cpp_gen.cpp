// Writes what Kettle's Variant encoder makes, for variant_from_cpp.gd to read back with the real
// engine's bytes2var() (issue 7: "C++ writes, GDScript bytes2var reads and checks").
//
//   godot_variant_from_cpp_gen VECTORS_DIR OUT_FILE
//
// OUT_FILE is JSON: {"format": "kettle-variant-cross", "version": 1, "count": N, "cases": [{"name",
// "hex", "gdscript"}]}. The cases: every variant3.json vector (but the full object, which Kettle
// refuses) re-encoded from its DECODED value, so the bytes are Kettle's, not copies of the
// engine's; then values built in C++ with the public API, next to the GDScript that builds the
// same value. Exit 0 on success, 1 if a vector fails to decode or encode.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "godot/variant.hpp"

namespace {

using namespace kettle::godot;

std::string to_hex(std::span<const std::uint8_t> b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (auto x : b) {
    s += kDigits[x >> 4];
    s += kDigits[x & 15];
  }
  return s;
}

std::vector<std::uint8_t> from_hex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

Variant s(const char* t) { return Variant::string(t); }
Variant i(std::int64_t v) { return Variant::integer(v); }

// Values made in C++ (as a game using Kettle would), with the GDScript 3 expression for each.
std::vector<std::pair<Variant, std::string>> built_in_cpp() {
  std::vector<std::pair<Variant, std::string>> out;
  out.emplace_back(Variant::dictionary({{s("message"), s("handshake")},
                                        {s("from"), i(76561198000000001LL)},
                                        {s("pos"), Variant::vector2(0.5, -1)},
                                        {s("list"), Variant::array({i(1), s("x"), Variant{}, Variant::real(0.1)})}}),
                   R"({"message": "handshake", "from": 76561198000000001, "pos": Vector2(0.5, -1), )"
                   R"("list": [1, "x", null, 0.1]})");
  out.emplace_back(Variant::real(std::numeric_limits<double>::quiet_NaN()), "NAN");
  out.emplace_back(Variant::real(-0.0), "-0.0");
  out.emplace_back(Variant::real(1.0 / 3.0), "1.0 / 3.0");
  out.emplace_back(i(std::numeric_limits<std::int64_t>::min()), "-9223372036854775807 - 1");
  out.emplace_back(Variant::string("\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80"), "\"\\u00e9t\\u00e9 \" + char(0x1F600)");
  out.emplace_back(Variant::string_array({"", "a", "abcd", "\xe6\x97\xa5"}),
                   "PoolStringArray([\"\", \"a\", \"abcd\", \"\\u65e5\"])");
  out.emplace_back(Variant::int_array({0, -2147483648LL, 2147483647, 7}),
                   "PoolIntArray([0, -2147483648, 2147483647, 7])");
  out.emplace_back(Variant::float32_array({0.5, -1e30, 3}), "PoolRealArray([0.5, -1e30, 3])");
  out.emplace_back(Variant::bytes({0, 1, 127, 128, 255, 9, 9}), "PoolByteArray([0, 1, 127, 128, 255, 9, 9])");
  out.emplace_back(Variant::vector_array(Type::vector3_array, {1, 2, 3, -4, 0.25, 6}),
                   "PoolVector3Array([Vector3(1, 2, 3), Vector3(-4, 0.25, 6)])");
  out.emplace_back(Variant::vector_array(Type::color_array, {0.5, 0.25, 1, 0}),
                   "PoolColorArray([Color(0.5, 0.25, 1, 0)])");
  out.emplace_back(*Variant::math(Type::basis, std::vector<double>{1, 4, 7, 2, 5, 8, 3, 6, 9}),
                   "Basis(Vector3(1, 2, 3), Vector3(4, 5, 6), Vector3(7, 8, 9))");
  out.emplace_back(*Variant::math(Type::transform3d, std::vector<double>{0, -1, 0, 1, 0, 0, 0, 0, 1, 10, 20, 30}),
                   "Transform(Basis(Vector3(0, 1, 0), Vector3(-1, 0, 0), Vector3(0, 0, 1)), Vector3(10, 20, 30))");
  out.emplace_back(*Variant::math(Type::quaternion, std::vector<double>{0, 0, 0.5, 0.5}), "Quat(0, 0, 0.5, 0.5)");
  out.emplace_back(Variant::node_path(NodePath::parse("/root/Main/Player:position:x")),
                   "NodePath(\"/root/Main/Player:position:x\")");
  out.emplace_back(Variant::array({Variant::node_path(NodePath::parse("abc")), Variant::node_path({}),
                                   Variant::dictionary({{Variant::vector2(1, 2), Variant::array({})}})}),
                   "[NodePath(\"abc\"), NodePath(\"\"), {Vector2(1, 2): []}]");
  Array deep = {i(1)};
  std::string deep_gd = "[1]";
  for (int k = 0; k < 20; ++k) {
    deep = {Variant::array(deep)};
    deep_gd = "[" + deep_gd + "]";
  }
  out.emplace_back(Variant::array(deep), deep_gd);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s VECTORS_DIR OUT_FILE\n", argv[0]);
    return 2;
  }
  std::ifstream in(std::string(argv[1]) + "/variant3.json");
  if (!in) {
    std::fprintf(stderr, "cannot open %s/variant3.json\n", argv[1]);
    return 1;
  }
  const auto vectors = nlohmann::json::parse(in);
  nlohmann::json cases = nlohmann::json::array();
  for (const auto& c : vectors) {
    if (c["full_objects"].get<bool>()) continue;
    auto v = decode(from_hex(c["bytes_hex"]), Dialect::godot3);
    if (!v.ok()) {
      std::fprintf(stderr, "%s: %s\n", c["name"].get<std::string>().c_str(), v.error().message.c_str());
      return 1;
    }
    auto bytes = encode(*v, Dialect::godot3);
    if (!bytes.ok()) {
      std::fprintf(stderr, "%s: %s\n", c["name"].get<std::string>().c_str(), bytes.error().message.c_str());
      return 1;
    }
    cases.push_back({{"name", c["name"]}, {"hex", to_hex(*bytes)}, {"gdscript", c["gdscript"]}});
  }
  int n = 0;
  for (const auto& [v, gd] : built_in_cpp()) {
    auto bytes = encode(v, Dialect::godot3);
    if (!bytes.ok()) {
      std::fprintf(stderr, "cpp_%d: %s\n", n, bytes.error().message.c_str());
      return 1;
    }
    cases.push_back({{"name", "cpp_" + std::to_string(n++)}, {"hex", to_hex(*bytes)}, {"gdscript", gd}});
  }
  const nlohmann::json doc = {
      {"format", "kettle-variant-cross"}, {"version", 1}, {"count", cases.size()}, {"cases", cases}};
  std::ofstream out(argv[2]);
  out << doc.dump(1) << "\n";
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", argv[2]);
    return 1;
  }
  std::printf("wrote %zu cases to %s\n", cases.size(), argv[2]);
  return 0;
}
