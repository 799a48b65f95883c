// The 3.x codec against every var2bytes() vector Godot 3.2.3 made (variant3.json): each decodes,
// uses all its bytes and re-encodes to exactly the same bytes; the decoded values are the ones
// the GDScript expressions build (checked here for a representative set, and for every vector by
// the real engine in engine/variant_from_cpp.gd).
#include <cmath>
#include <limits>
#include <map>

#include "godot/variant_test_util.hpp"

namespace kettle::godot {
namespace {

using testing::dec;
using testing::enc_hex;
using testing::from_hex;
using testing::to_hex;
constexpr auto G3 = Dialect::godot3;

Variant math(Type t, std::vector<double> f) { return *Variant::math(t, f); }
Variant str(const char* s) { return Variant::string(s); }
Variant i(std::int64_t v) { return Variant::integer(v); }

TEST(GodotVariant3, EveryEngineVectorDecodesAndReencodesByteExact) {
  const auto cases = testing::load_vectors("variant3.json");
  ASSERT_GE(cases.size(), 100u);
  int checked = 0;
  for (const auto& c : cases) {
    const std::string name = c["name"], hex = c["bytes_hex"];
    const auto bytes = from_hex(hex);
    std::size_t used = 0;
    auto v = decode(bytes, G3, {}, &used);
    if (c["full_objects"].get<bool>()) {  // var2bytes(v, true): refused like bytes2var(b, false)
      ASSERT_FALSE(v.ok()) << name;
      EXPECT_EQ(v.code(), Errc::unsupported) << name;
      EXPECT_NE(v.error().message.find("ERR_UNAUTHORIZED"), std::string::npos) << v.error().message;
      continue;
    }
    ASSERT_TRUE(v.ok()) << name << ": " << v.error().message;
    EXPECT_EQ(used, bytes.size()) << name;
    EXPECT_EQ(enc_hex(*v, G3), hex) << name << " decoded as " << to_text(*v);
    // The same value survives a second trip, and copies compare equal.
    const Variant copy = *v;
    EXPECT_EQ(dec(enc_hex(copy, G3), G3), *v) << name;
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(cases.size()) - 1);
}

// name -> the value the vector's GDScript expression builds, written in C++.
std::map<std::string, Variant> expected_values() {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  std::map<std::string, Variant> m;
  m["nil"] = Variant{};
  m["bool_true"] = Variant::boolean(true);
  m["bool_false"] = Variant::boolean(false);
  m["int_minus_one"] = i(-1);
  m["int32_max"] = i(2147483647);
  m["int32_min"] = i(-2147483648LL);
  m["int_2pow31"] = i(2147483648LL);
  m["int_minus_2pow31_minus_1"] = i(-2147483649LL);
  m["int_steam_id"] = i(76561198000000000LL);
  m["int64_max"] = i(std::numeric_limits<std::int64_t>::max());
  m["int64_min"] = i(std::numeric_limits<std::int64_t>::min());
  m["float_neg_zero"] = Variant::real(-0.0);
  m["float_half"] = Variant::real(0.5);
  m["float_1_1"] = Variant::real(1.1);
  m["float_0_1"] = Variant::real(0.1);
  m["float_pi"] = Variant::real(3.14159265358979323846);
  // Godot 3.2.3's GDScript tokenizer reads 1e39 one ulp high (bytes ...1e4a..., not 1d4a...).
  m["float_1e39"] = Variant::real(std::nextafter(1e39, inf));
  m["float_2pow24_plus_1"] = Variant::real(16777217.0);
  m["float_flt_max"] = Variant::real(std::numeric_limits<float>::max());
  m["float_flt_min_denormal"] = Variant::real(std::ldexp(1.0, -149));
  m["float_inf"] = Variant::real(inf);
  m["float_neg_inf"] = Variant::real(-inf);
  m["float_nan"] = Variant::real(nan);
  m["str_empty"] = str("");
  m["str_hello"] = str("hello");
  m["str_latin1"] = str("h\xc3\xa9llo");
  m["str_cjk"] = str("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
  m["str_emoji"] = str("\xf0\x9f\x98\x80");
  m["str_escapes"] = str("line1\nline2\t\"q\"\\");
  m["vector2"] = Variant::vector2(1.5, -2);
  m["vector2_float32_only"] = Variant::vector2(static_cast<float>(0.1), 16777216.0);
  m["rect2_fractions"] = math(Type::rect2, {-1.5, 0.25, 10, 20});
  m["vector3"] = Variant::vector3(1, 2, 3);
  m["transform2d_fields"] = math(Type::transform2d, {1, 2, 3, 4, 5, 6});
  m["plane_from_normal"] = math(Type::plane, {1, 0, 0, -2.5});
  m["quat_identity"] = math(Type::quaternion, {0, 0, 0, 1});
  m["aabb"] = math(Type::aabb, {1, 2, 3, 4, 5, 6});
  // Basis(Vector3(1,2,3), Vector3(4,5,6), Vector3(7,8,9)) takes columns; fields are rows.
  m["basis_columns"] = math(Type::basis, {1, 4, 7, 2, 5, 8, 3, 6, 9});
  m["transform_identity"] = math(Type::transform3d, {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0});
  m["color_default_alpha"] = Variant::color(static_cast<float>(0.1), static_cast<float>(0.2), static_cast<float>(0.3));
  m["nodepath_relative"] = Variant::node_path(NodePath::parse("a/b:c"));
  m["nodepath_absolute"] = Variant::node_path({{"root", "x"}, {}, true});
  m["nodepath_empty"] = Variant::node_path({});
  m["nodepath_parent"] = Variant::node_path({{".."}, {}, false});
  m["nodepath_property_only"] = Variant::node_path({{}, {"position", "x"}, false});
  m["nodepath_mixed"] = Variant::node_path({{"Player", "Sprite"}, {"modulate", "a"}, false});
  m["rid_empty"] = Variant::rid(0);
  m["dict_empty"] = Variant::dictionary({});
  m["dict_insertion_order"] = Variant::dictionary({{str("b"), i(2)}, {str("a"), i(1)}});
  m["dict_handshake"] =
      Variant::dictionary({{str("message"), str("handshake")}, {str("from"), i(76561198000000000LL)}});
  m["dict_nested"] = Variant::dictionary(
      {{str("player"), Variant::dictionary({{str("name"), str("p1")}, {str("pos"), Variant::vector2(1, 2)}})},
       {str("list"), Variant::array({i(1), i(2), i(3)})}});
  m["dict_mixed_keys"] = Variant::dictionary({{i(1), str("int")},
                                              {str("1"), str("str")},
                                              {Variant::real(2.5), str("float")},
                                              {Variant::vector2(1, 2), str("vec")},
                                              {Variant{}, str("nil")},
                                              {Variant::boolean(true), str("bool")}});
  m["array_mixed_nested"] =
      Variant::array({i(1), str("two"), Variant::real(3.5), Variant::array({i(4), Variant::array({i(5)})})});
  m["array_of_empties"] =
      Variant::array({Variant::array({}), Variant::array({Variant::array({})}), Variant::dictionary({})});
  m["array_with_nodepath"] = Variant::array({Variant::node_path(NodePath::parse("Player:position")), i(1)});
  m["pba_len5"] = Variant::bytes({0, 1, 2, 3, 255});
  m["pba_out_of_range"] = Variant::bytes({0, 255});
  m["pia_limits"] = Variant::int_array({1, -1, 2147483647, -2147483648LL});
  m["pra_special"] = Variant::float32_array({inf, -0.0, 16777216.0});
  m["psa_values"] = Variant::string_array({"a", "bc", "", "abc"});
  m["psa_utf8"] = Variant::string_array({"h\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac"});
  m["pv2a_values"] = Variant::vector_array(Type::vector2_array, {1, 2, -0.5, 0.25});
  m["pv3a_values"] = Variant::vector_array(Type::vector3_array, {1, 2, 3, static_cast<float>(0.1), 0, -1});
  m["pca_values"] = Variant::vector_array(Type::color_array, {1, 0, 0, 1, 0, 0.5, 1, 0.25});
  // 76561198000000000 truncated to int32 is 0x025e4c00 (the vector's second element).
  m["pia_truncates_int64"] = Variant::int_array({1, 0x025e4c00});
  return m;
}

TEST(GodotVariant3, DecodedValuesAreWhatTheGdscriptExpressionsBuild) {
  const auto want = expected_values();
  std::size_t found = 0;
  for (const auto& c : testing::load_vectors("variant3.json")) {
    const auto it = want.find(c["name"].get<std::string>());
    if (it == want.end()) continue;
    ++found;
    const auto got = dec(c["bytes_hex"], G3);
    EXPECT_EQ(got, it->second) << c["name"] << ": got " << to_text(got) << ", want " << to_text(it->second);
    // Encoding the C++-built value gives the engine's bytes too.
    EXPECT_EQ(enc_hex(it->second, G3), c["bytes_hex"].get<std::string>()) << c["name"];
  }
  EXPECT_EQ(found, want.size()) << "a name in expected_values() is not in variant3.json";
}

TEST(GodotVariant3, AccessorsAndFind) {
  const auto v =
      dec("120000000200000004000000070000006d65737361676500040000000900000068616e647368616b650000000400000004000000"
          "66726f6d02000100004c5e0201001001",
          G3);
  ASSERT_NE(v.as_dictionary(), nullptr);
  ASSERT_NE(v.find("message"), nullptr);
  EXPECT_EQ(*v.find("message")->as_string(), "handshake");
  ASSERT_NE(v.find("from")->as_int(), nullptr);
  EXPECT_EQ(*v.find("from")->as_int(), 76561198000000000LL);
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(v.find("from")->as_string(), nullptr);
  EXPECT_EQ(Variant::integer(3).find("x"), nullptr);
  EXPECT_EQ(Variant::integer(3).as_real(), nullptr);
  EXPECT_TRUE(Variant{}.is_nil());
  EXPECT_EQ(Variant::rid(5).as_int(), nullptr);
  EXPECT_EQ(Variant::object_id(7).id(), 7u);
}

TEST(GodotVariant3, EncoderRules) {
  // int32 vs int64 by value; float32 only when exact; NaN as float64.
  EXPECT_EQ(enc_hex(i(7), G3), "0200000007000000");
  EXPECT_EQ(enc_hex(i(-2147483649LL), G3), "02000100ffffff7fffffffff");
  EXPECT_EQ(enc_hex(Variant::real(std::numeric_limits<double>::quiet_NaN()), G3), "03000100000000000000f87f");
  EXPECT_EQ(enc_hex(Variant::real(1e39), G3), "030001001d4a9cf487820748");
  // Math types are float32 in 3.x even when asked for 64-bit fields; out of range gives inf.
  EXPECT_EQ(enc_hex(*Variant::math(Type::vector2, std::vector<double>{1e39, -1e39}, true), G3),
            "050000000000807f000080ff");
  // Values 3.x cannot hold are refused, not mangled.
  EXPECT_EQ(encode(Variant::int_array({4294967297LL}), G3).code(), Errc::invalid_argument);
  EXPECT_EQ(encode(Variant::rid(9), G3).code(), Errc::invalid_argument);
  for (auto t : {Type::vector2i, Type::rect2i, Type::vector3i, Type::vector4i}) {
    std::vector<std::int32_t> f(field_count(t), 1);
    EXPECT_EQ(encode(*Variant::int_math(t, f), G3).code(), Errc::unsupported) << type_name(t);
  }
  EXPECT_EQ(encode(Variant::string_name("x"), G3).code(), Errc::unsupported);
  EXPECT_EQ(encode(Variant::callable(), G3).code(), Errc::unsupported);
  EXPECT_EQ(encode(Variant::int64_array({1}), G3).code(), Errc::unsupported);
  EXPECT_EQ(encode(Variant::array({i(1)}, ContainerType::of(Type::integer)), G3).code(), Errc::unsupported);
  // A failure deep inside leaves encode_append's buffer as it was.
  std::vector<std::uint8_t> out{1, 2, 3};
  EXPECT_FALSE(encode_append(Variant::array({i(1), Variant::string_name("x")}), G3, out).ok());
  EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_TRUE(encode_append(i(1), G3, out).ok());
  EXPECT_EQ(to_hex(out), "0102030200000001000000");
  // Object id: 3.x writes a null object as id 0.
  EXPECT_EQ(enc_hex(Variant::object_id(0), G3), "110001000000000000000000");
}

TEST(GodotVariant3, ConstructorsCheckFieldCounts) {
  EXPECT_EQ(Variant::math(Type::vector2, std::vector<double>{1, 2, 3}).code(), Errc::invalid_argument);
  EXPECT_EQ(Variant::math(Type::integer, std::vector<double>{1}).code(), Errc::invalid_argument);
  EXPECT_EQ(Variant::int_math(Type::vector3, std::vector<std::int32_t>{1, 2, 3}).code(), Errc::invalid_argument);
  EXPECT_FALSE(Variant::math(Type::color, std::vector<double>{1, 1, 1, 1}, true)->wide());  // Color never is
  EXPECT_EQ(Variant::vector_array(Type::vector2_array, {1, 2, 3}).as_reals()->size(), 2u);
}

TEST(GodotVariant3, TextForm) {
  EXPECT_EQ(to_text(Variant{}), "null");
  EXPECT_EQ(to_text(Variant::real(0.1)), "0.1");
  EXPECT_EQ(to_text(Variant::real(2)), "2.0");
  EXPECT_EQ(to_text(Variant::real(std::numeric_limits<double>::quiet_NaN())), "nan");
  EXPECT_EQ(to_text(Variant::dictionary({{str("a"), Variant::array({i(1), str("x\"y")})}})),
            "{\"a\": [1, \"x\\\"y\"]}");
  EXPECT_EQ(to_text(Variant::node_path(NodePath::parse("/root/x:pos:y"))), "NodePath(\"/root/x:pos:y\")");
  EXPECT_EQ(to_text(Variant::bytes({1, 255})), "PackedByteArray(1, 255)");
  EXPECT_EQ(to_text(Variant::vector2(1, -0.5)), "Vector2(1.0, -0.5)");
  EXPECT_EQ(to_text(Variant::array({i(1)}, ContainerType::of(Type::integer))), "Array[int]([1])");
}

TEST(GodotVariant3, NodePathText) {
  const auto p = NodePath::parse("Player/Sprite:modulate:a");
  EXPECT_EQ(p.names, (std::vector<std::string>{"Player", "Sprite"}));
  EXPECT_EQ(p.subnames, (std::vector<std::string>{"modulate", "a"}));
  EXPECT_FALSE(p.absolute);
  EXPECT_EQ(p.to_string(), "Player/Sprite:modulate:a");
  EXPECT_EQ(NodePath::parse("/root//x").to_string(), "/root/x");
  EXPECT_EQ(NodePath::parse(":position:x").to_string(), ":position:x");
  EXPECT_EQ(NodePath::parse("").to_string(), "");
}

TEST(GodotVariant3, EqualityAndHash) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(Variant::real(nan), Variant::real(nan));
  EXPECT_EQ(Variant::real(0.0), Variant::real(-0.0));
  EXPECT_EQ(hash_value(Variant::real(0.0)), hash_value(Variant::real(-0.0)));
  EXPECT_NE(i(1), Variant::real(1.0));  // different types, as Dictionary keys in the engine
  EXPECT_NE(Variant::string("a"), Variant::string_name("a"));
  EXPECT_NE(Variant::array({i(1)}), Variant::array({i(1)}, ContainerType::of(Type::integer)));
  EXPECT_EQ(Variant::vector2(1, 2), *Variant::math(Type::vector2, std::vector<double>{1, 2}, true));
  const auto big = Variant::array(Array(100, i(3)));
  EXPECT_EQ(hash_value(big), hash_value(Variant::array(Array(100, i(3)))));
}

}  // namespace
}  // namespace kettle::godot
