// The 4.x dialect. No Godot 4 engine is packaged for Debian, so the bytes here come from the
// shared README's hand-derived examples and from Godot 4's marshalls.cpp read by hand; every 4.x
// type also round-trips, and every engine-made 3.x vector survives 3.x -> 4.x -> value.
#include <limits>

#include "godot/variant_test_util.hpp"

namespace kettle::godot {
namespace {

using testing::dec;
using testing::enc_hex;
using testing::from_hex;
constexpr auto G3 = Dialect::godot3;
constexpr auto G4 = Dialect::godot4;

Variant i(std::int64_t v) { return Variant::integer(v); }
Variant str(const char* s) { return Variant::string(s); }

TEST(GodotVariant4, ReadmeExamples) {
  const std::pair<Variant, const char*> cases[] = {
      {Variant::dictionary({{str("a"), i(1)}}), "1b000000010000000400000001000000610000000200000001000000"},
      {Variant::bytes({1, 2, 3}), "1d0000000300000001020300"},
      {Variant::array({i(1)}), "1c000000010000000200000001000000"},
      {Variant::array({i(1)}, ContainerType::of(Type::integer)), "1c00010002000000010000000200000001000000"},
      {Variant::string_array({"a"}), "22000000010000000200000061000000"},
      {i(2147483648LL), "020001000000008000000000"},
  };
  for (const auto& [v, hex] : cases) {
    EXPECT_EQ(enc_hex(v, G4), hex) << to_text(v);
    EXPECT_EQ(dec(hex, G4), v) << hex;
  }
  // The typed array keeps its element type.
  const auto typed = dec("1c00010002000000010000000200000001000000", G4);
  EXPECT_EQ(typed.element_type(), ContainerType::of(Type::integer));
  EXPECT_EQ(to_text(typed), "Array[int]([1])");
}

TEST(GodotVariant4, FourOnlyTypesByteForByte) {
  const std::pair<Variant, const char*> cases[] = {
      {*Variant::int_math(Type::vector2i, std::vector<std::int32_t>{1, -2}), "0600000001000000feffffff"},
      {*Variant::int_math(Type::rect2i, std::vector<std::int32_t>{1, 2, 3, 4}),
       "0800000001000000020000000300000004000000"},
      {*Variant::int_math(Type::vector3i, std::vector<std::int32_t>{1, 2, 3}), "0a000000010000000200000003000000"},
      {*Variant::math(Type::vector4, std::vector<double>{1, 2, 3, 4}), "0c0000000000803f000000400000404000008040"},
      {Variant::string_name("ab"), "150000000200000061620000"},
      {Variant::node_path(NodePath::parse("a:b")),
       "16000000010000800100000000000000010000006100000001000000620000"
       "00"},
      {Variant::rid(5), "170000000500000000000000"},
      {Variant::object_id(7), "180001000700000000000000"},
      {Variant::callable(), "19000000"},
      {Variant::signal({"s", 9}), "1a00000001000000730000000900000000000000"},
      {Variant::int64_array({-1}), "1f00000001000000ffffffffffffffff"},
      {Variant::float64_array({0.1}), "21000000010000009a9999999999b93f"},
      {Variant::float32_array({0.5}), "20000000010000000000003f"},
      {Variant::vector_array(Type::vector4_array, {1, 2, 3, 4}), "26000000010000000000803f000000400000404000008040"},
      {Variant::color(1, 0.5, 0.25), "140000000000803f0000003f0000803e0000803f"},
      {Variant::vector2(1.5, -2), "050000000000c03f000000c0"},
  };
  for (const auto& [v, hex] : cases) {
    EXPECT_EQ(enc_hex(v, G4), hex) << to_text(v);
    EXPECT_EQ(dec(hex, G4), v) << hex;
  }
  // A null object is written as NIL in 4.x (the engine's encode_variant does the same).
  EXPECT_EQ(enc_hex(Variant::object_id(0), G4), "00000000");
  EXPECT_TRUE(dec("180001000000000000000000", G4).is_nil());  // and id 0 reads back as nil
}

// One value of every type; used for the round trips below.
std::vector<Variant> one_of_each() {
  std::vector<Variant> v(kTypeCount);
  for (std::size_t t = 0; t < kTypeCount; ++t) {
    const auto type = static_cast<Type>(t);
    const auto n = field_count(type);
    if (is_real_math(type)) {
      std::vector<double> f(n);
      for (std::size_t k = 0; k < n; ++k) f[k] = 0.25 * static_cast<double>(k) - 1;
      v[t] = *Variant::math(type, f);
    } else if (is_int_math(type)) {
      std::vector<std::int32_t> f(n);
      for (std::size_t k = 0; k < n; ++k) f[k] = static_cast<std::int32_t>(k) * -70000;
      v[t] = *Variant::int_math(type, f);
    }
  }
  v[0] = Variant{};
  v[static_cast<int>(Type::boolean)] = Variant::boolean(true);
  v[static_cast<int>(Type::integer)] = i(-76561198000000000LL);
  v[static_cast<int>(Type::real)] = Variant::real(0.1);
  v[static_cast<int>(Type::string)] = str("h\xc3\xa9llo");
  v[static_cast<int>(Type::string_name)] = Variant::string_name("sn");
  v[static_cast<int>(Type::node_path)] = Variant::node_path(NodePath::parse("/root/P:pos:x"));
  v[static_cast<int>(Type::rid)] = Variant::rid(0x1234567890ULL);
  v[static_cast<int>(Type::object_id)] = Variant::object_id(42);
  v[static_cast<int>(Type::callable)] = Variant::callable();
  v[static_cast<int>(Type::signal)] = Variant::signal({"hit", 77});
  v[static_cast<int>(Type::dictionary)] =
      Variant::dictionary({{str("k"), Variant::array({i(1), str("x")})}, {i(2), Variant{}}});
  v[static_cast<int>(Type::array)] = Variant::array({Variant::bytes({1}), Variant::dictionary({})});
  v[static_cast<int>(Type::byte_array)] = Variant::bytes({1, 2, 3, 4, 5});
  v[static_cast<int>(Type::int32_array)] = Variant::int_array({-1, 2147483647});
  v[static_cast<int>(Type::int64_array)] = Variant::int64_array({std::numeric_limits<std::int64_t>::min(), 3});
  v[static_cast<int>(Type::float32_array)] = Variant::float32_array({0.5, -2});
  v[static_cast<int>(Type::float64_array)] = Variant::float64_array({0.1, -1e300});
  v[static_cast<int>(Type::string_array)] = Variant::string_array({"", "abc", "\xe6\x97\xa5"});
  v[static_cast<int>(Type::vector2_array)] = Variant::vector_array(Type::vector2_array, {1, 2, 3, 4});
  v[static_cast<int>(Type::vector3_array)] = Variant::vector_array(Type::vector3_array, {1, 2, 3});
  v[static_cast<int>(Type::color_array)] = Variant::vector_array(Type::color_array, {1, 0, 0, 1});
  v[static_cast<int>(Type::vector4_array)] = Variant::vector_array(Type::vector4_array, {1, 2, 3, 4, 5, 6, 7, 8});
  return v;
}

TEST(GodotVariant4, EveryTypeRoundTrips) {
  const auto values = one_of_each();
  for (std::size_t t = 0; t < kTypeCount; ++t) {
    const auto& v = values[t];
    ASSERT_EQ(v.type(), static_cast<Type>(t)) << "no sample for " << type_name(static_cast<Type>(t));
    auto bytes = encode(v, G4);
    ASSERT_TRUE(bytes.ok()) << type_name(v.type()) << ": " << bytes.error().message;
    EXPECT_EQ((*bytes)[0], t) << "4.x type id of " << type_name(v.type());
    std::size_t used = 0;
    auto back = decode(*bytes, G4, {}, &used);
    ASSERT_TRUE(back.ok()) << type_name(v.type()) << ": " << back.error().message;
    EXPECT_EQ(*back, v) << to_text(*back) << " vs " << to_text(v);
    EXPECT_EQ(used, bytes->size());
    EXPECT_EQ(encode(*back, G4)->size(), bytes->size());
    // Types of both tables also round-trip in 3.x; the others are refused there.
    auto b3 = encode(v, G3);
    EXPECT_EQ(b3.ok(), exists_in(v.type(), G3) && v.type() != Type::rid) << type_name(v.type());
    if (b3.ok()) {
      EXPECT_EQ(dec(testing::to_hex(*b3), G3), v) << type_name(v.type());
    }
  }
  EXPECT_EQ(enc_hex(Variant::rid(0), G3), "10000000");
}

TEST(GodotVariant4, DoublePrecisionFlagOnMathTypes) {
  // Vector2(1.5, -2) from a precision=double build: bit 16 and two doubles.
  const char* hex = "05000100000000000000f83f00000000000000c0";
  const auto v = dec(hex, G4);
  EXPECT_TRUE(v.wide());
  EXPECT_EQ(v, Variant::vector2(1.5, -2));
  EXPECT_EQ(enc_hex(v, G4), hex);
  EXPECT_EQ(enc_hex(v, G3), "050000000000c03f000000c0");  // 3.x has no such form
  // Full double precision survives.
  const auto precise = *Variant::math(Type::vector3, std::vector<double>{0.1, 16777217, -1e300}, true);
  EXPECT_EQ(dec(enc_hex(precise, G4), G4), precise);
  EXPECT_EQ((*dec(enc_hex(precise, G4), G4).as_reals())[1], 16777217.0);
  // Every real math type but Color takes the flag; the field count doubles.
  for (std::size_t t = 0; t < kTypeCount; ++t) {
    const auto type = static_cast<Type>(t);
    if (!is_real_math(type)) continue;
    std::vector<double> f(field_count(type), type == Type::color ? 0.5 : 0.1);  // Color: float32
    const auto w = *Variant::math(type, f, true);
    const auto bytes = *encode(w, G4);
    const bool flag = bytes[2] & 1;
    EXPECT_EQ(flag, type != Type::color) << type_name(type);
    EXPECT_EQ(bytes.size(), 4 + f.size() * (flag ? 8 : 4)) << type_name(type);
    EXPECT_EQ(dec(testing::to_hex(bytes), G4), w) << type_name(type);
  }
  // Packed Vector arrays take it too; PackedColorArray never does.
  const auto pv2 = Variant::vector_array(Type::vector2_array, {0.1, 0.2}, true);
  EXPECT_EQ(enc_hex(pv2, G4), "23000100010000009a9999999999b93f9a9999999999c93f");
  EXPECT_EQ(dec(enc_hex(pv2, G4), G4), pv2);
  EXPECT_EQ(enc_hex(Variant::vector_array(Type::color_array, {1, 1, 1, 1}, true), G4).substr(0, 8), "25000000");
  // A Color with the flag set is still read as float32 (the engine ignores it there).
  EXPECT_EQ(dec("140001000000803f0000003f0000803e0000803f", G4), Variant::color(1, 0.5, 0.25));
  // Truncated wide payloads fail.
  EXPECT_EQ(decode(from_hex("05000100000000000000f83f"), G4).code(), Errc::truncated);
}

TEST(GodotVariant4, TypedArraysAndDictionaries) {
  // Array[Node] (class name) and Array[MyScript] (script path): the info is kept.
  const auto by_class = dec("1c000200040000004e6f646500000000", G4);
  EXPECT_EQ(by_class.element_type().kind, ContainerType::Kind::class_name);
  EXPECT_EQ(by_class.element_type().name, "Node");
  EXPECT_EQ(enc_hex(by_class, G4), "1c000200040000004e6f646500000000");
  const auto by_script = dec("1c0003000a0000007265733a2f2f612e6764000000000000", G4);
  EXPECT_EQ(by_script.element_type().kind, ContainerType::Kind::script);
  EXPECT_EQ(by_script.element_type().name, "res://a.gd");
  EXPECT_EQ(enc_hex(by_script, G4), "1c0003000a0000007265733a2f2f612e6764000000000000");
  // Dictionary[String, int]({"a": 1}) (4.4+): key kind in bits 16-17, value kind in 18-19.
  const std::string typed_dict = "1b0005000400000002000000010000000400000001000000610000000200000001000000";
  const auto d = dec(typed_dict, G4);
  EXPECT_EQ(d.key_type(), ContainerType::of(Type::string));
  EXPECT_EQ(d.value_type(), ContainerType::of(Type::integer));
  EXPECT_EQ(*d.find("a")->as_int(), 1);
  EXPECT_EQ(enc_hex(d, G4), typed_dict);
  EXPECT_EQ(to_text(d), "Dictionary[String, int]({\"a\": 1})");
  // Only the value typed: Dictionary[Variant, float].
  const auto vt = Variant::dictionary({}, {}, ContainerType::of(Type::real));
  EXPECT_EQ(enc_hex(vt, G4), "1b0004000300000000000000");
  EXPECT_EQ(dec("1b0004000300000000000000", G4), vt);
  // Bad element type ids and cut type info fail.
  EXPECT_EQ(decode(from_hex("1c0001002700000000000000"), G4).code(), Errc::malformed);  // id 39
  EXPECT_EQ(decode(from_hex("1c000100"), G4).code(), Errc::truncated);
  EXPECT_EQ(decode(from_hex("1c00020010000000"), G4).code(), Errc::truncated);
  // 3.x ignores those header bits: an Array header with bit 16 is a plain array there.
  EXPECT_EQ(dec("1300010000000000", G3), Variant::array({}));
}

TEST(GodotVariant4, DialectDecidesTheTypeIds) {
  // Every 3.x vector re-encoded as 4.x decodes back to the same value.
  int n = 0;
  for (const auto& c : testing::load_vectors("variant3.json")) {
    if (c["full_objects"].get<bool>()) continue;
    const auto v = dec(c["bytes_hex"], G3);
    auto b4 = encode(v, G4);
    ASSERT_TRUE(b4.ok()) << c["name"] << ": " << b4.error().message;
    EXPECT_EQ(dec(testing::to_hex(*b4), G4), v) << c["name"];
    ++n;
  }
  EXPECT_GT(n, 100);
  // {"a": 1} from 3.x, written for 4.x, is the README's 4.x example.
  EXPECT_EQ(enc_hex(dec("12000000010000000400000001000000610000000200000001000000", G3), G4),
            "1b000000010000000400000001000000610000000200000001000000");
  // Ids past each table are refused with the engine's error name.
  EXPECT_EQ(decode(from_hex("1b000000"), G3).code(), Errc::malformed);
  auto past = decode(from_hex("27000000"), G4);
  EXPECT_EQ(past.code(), Errc::malformed);
  EXPECT_NE(past.error().message.find("ERR_INVALID_DATA"), std::string::npos);
  EXPECT_EQ(decode(from_hex("1700000005000000"), G4).code(), Errc::truncated);  // 4.x RID needs 8 bytes
}

}  // namespace
}  // namespace kettle::godot
