// Decoding hostile bytes: every bytes2var() run recorded from Godot 3.2.3 on hand-made input
// (variant3_decode.json) gives the engine's verdict, and the limits the engine lacks hold:
// counts larger than the input, nesting, value counts, byte limits, truncation at every offset.
#include <chrono>
#include <unordered_set>

#include "godot/variant_test_util.hpp"

namespace kettle::godot {
namespace {

using testing::enc_hex;
using testing::from_hex;
constexpr auto G3 = Dialect::godot3;
constexpr auto G4 = Dialect::godot4;

TEST(GodotVariantDecode, EveryEngineDecodeCaseGivesTheEnginesVerdict) {
  const auto cases = testing::load_vectors("variant3_decode.json");
  ASSERT_GE(cases.size(), 30u);
  int ok_cases = 0, failing_cases = 0;
  for (const auto& c : cases) {
    const std::string name = c["name"];
    const auto in = from_hex(c["input_hex"]);
    std::size_t used = 0;
    auto v = decode(in, G3, {}, &used);
    if (c["allow_objects"].get<bool>()) {
      // bytes2var(b, true) would build the object; we never do, whatever the class.
      ASSERT_FALSE(v.ok()) << name;
      EXPECT_EQ(v.code(), Errc::unsupported) << name;
      EXPECT_NE(v.error().message.find("ERR_UNAUTHORIZED"), std::string::npos) << v.error().message;
      continue;
    }
    if (c["ok"].get<bool>()) {
      ++ok_cases;
      ASSERT_TRUE(v.ok()) << name << ": " << v.error().message;
      EXPECT_LE(used, in.size()) << name;
      const std::string want = c["result_bytes_hex"];
      if (c["result_type"].get<std::string>().rfind("Object", 0) == 0) {
        // The engine gives null or an EncodedObjectAsID; we give the id, never an object.
        EXPECT_EQ(v->type(), Type::object_id) << name;
        EXPECT_EQ(v->id(), name == "object_as_id_zero" ? 0u : 12345u) << name;
        EXPECT_EQ(used, 12u);
        continue;
      }
      EXPECT_EQ(enc_hex(*v, G3), want) << name << " decoded as " << to_text(*v);
    } else {
      ++failing_cases;
      ASSERT_FALSE(v.ok()) << name << " decoded as " << to_text(*v);
      const std::string code = c["error"];
      EXPECT_NE(v.error().message.find(code), std::string::npos) << name << ": " << v.error().message;
      EXPECT_NE(v.code(), Errc::too_large) << name;
    }
  }
  EXPECT_GE(ok_cases, 15);
  EXPECT_GE(failing_cases, 15);
}

TEST(GodotVariantDecode, TrailingBytesAreIgnoredAndUsedIsReported) {
  const auto in = from_hex("040000000100000061000000ffffffff02");
  std::size_t used = 99;
  auto v = decode(in, G3, {}, &used);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v->as_string(), "a");
  EXPECT_EQ(used, 12u);
  EXPECT_TRUE(decode(in, G3).ok());  // used is optional
  // A failed decode leaves *used alone.
  used = 99;
  EXPECT_FALSE(decode(from_hex("0400"), G3, {}, &used).ok());
  EXPECT_EQ(used, 99u);
}

// A count of 2^31-1 in a 12-byte input must fail at once: no reservation on the header's word.
TEST(GodotVariantDecode, HugeCountsFailBeforeAnyAllocation) {
  const char* g3[] = {"13000000ffffff7f00000000",  // Array
                      "12000000ffffff7f00000000",  // Dictionary
                      "14000000ffffff7f00000000",  // PoolByteArray
                      "15000000ffffff7f00000000",         "16000000ffffff7f00000000", "17000000ffffff7f00000000",
                      "18000000ffffff7f00000000",         "19000000ffffff7f00000000", "1a000000ffffff7f00000000",
                      "0f000000ffffffffffffffff00000000",  // NodePath: 2^31-1 names, 2^32-1 subnames
                      "0f000000ffffffffffffffff02000000"};
  const char* g4[] = {
      "1c000000ffffff7f00000000", "1b000000ffffff7f00000000", "1e000000ffffff7f00000000",
      "1f000000ffffff7f00000000", "21000000ffffff7f00000000", "22000000ffffff7f00000000",
      "23000100ffffff7f00000000", "26000100ffffff7f00000000", "1c000100020000007fffffff"};  // typed Array[int]
  const auto start = std::chrono::steady_clock::now();
  for (const char* h : g3) {
    auto v = decode(from_hex(h), G3);
    ASSERT_FALSE(v.ok()) << h;
    EXPECT_EQ(v.code(), Errc::truncated) << h << ": " << v.error().message;
  }
  for (const char* h : g4) {
    auto v = decode(from_hex(h), G4);
    ASSERT_FALSE(v.ok()) << h;
    EXPECT_EQ(v.code(), Errc::truncated) << h << ": " << v.error().message;
  }
  // A count with bit 31 set (negative in the engine) in a packed array is malformed.
  EXPECT_EQ(decode(from_hex("15000000ffffffff"), G3).code(), Errc::malformed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

std::string nested_arrays(int levels) {
  std::string h;
  for (int i = 0; i < levels; ++i) h += "1300000001000000";
  return h + "00000000";  // innermost element: nil
}

TEST(GodotVariantDecode, NestingDepthIsLimited) {
  EXPECT_TRUE(decode(from_hex(nested_arrays(64)), G3).ok());
  auto deep = decode(from_hex(nested_arrays(65)), G3);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.code(), Errc::too_large);
  EXPECT_NE(deep.error().message.find("max_depth"), std::string::npos);
  DecodeLimits lim;
  lim.max_depth = 3;
  EXPECT_TRUE(decode(from_hex(nested_arrays(3)), G3, lim).ok());
  EXPECT_EQ(decode(from_hex(nested_arrays(4)), G3, lim).code(), Errc::too_large);
  // Dictionaries count too: {"a": {"a": nil}} is 2 levels.
  const auto dicts = from_hex(
      "12000000010000000400000001000000610000001200000001000000040000000100000061000000"
      "00000000");
  lim.max_depth = 1;
  EXPECT_EQ(decode(dicts, G3, lim).code(), Errc::too_large);
  lim.max_depth = 2;
  EXPECT_TRUE(decode(dicts, G3, lim).ok());
  // 100,000 levels: refused quickly, no stack overflow.
  EXPECT_EQ(decode(from_hex(nested_arrays(100000)), G3).code(), Errc::too_large);
}

TEST(GodotVariantDecode, ValueCountIsLimited) {
  // [1, 2, 3]: 4 values.
  const auto in = from_hex("1300000003000000020000000100000002000000020000000200000003000000");
  DecodeLimits lim;
  lim.max_values = 4;
  EXPECT_TRUE(decode(in, G3, lim).ok());
  lim.max_values = 3;
  auto v = decode(in, G3, lim);
  EXPECT_EQ(v.code(), Errc::too_large);
  EXPECT_NE(v.error().message.find("max_values"), std::string::npos);
  // PoolStringArray strings count as values.
  lim.max_values = 4;
  EXPECT_EQ(
      decode(from_hex("17000000040000000200000061000000030000006263000001000000000000000400000061626300"), G3, lim)
          .code(),
      Errc::too_large);
}

TEST(GodotVariantDecode, ByteLimit) {
  const auto in = from_hex("140000000500000000010203ff000000eeee");  // PoolByteArray(5) + 2 trailing
  DecodeLimits lim;
  lim.max_bytes = 16;  // the value fits; the trailing bytes are not looked at
  std::size_t used = 0;
  EXPECT_TRUE(decode(in, G3, lim, &used).ok());
  EXPECT_EQ(used, 16u);
  lim.max_bytes = 12;
  auto v = decode(in, G3, lim);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.code(), Errc::too_large);
  EXPECT_NE(v.error().message.find("max_bytes"), std::string::npos);
  // A short input under the limit is still just truncated.
  EXPECT_EQ(decode(from_hex("1400000005000000"), G3, lim).code(), Errc::truncated);
}

TEST(GodotVariantDecode, EveryTruncationOfEveryVectorFailsOrMeansTheSame) {
  int prefixes = 0, accepted = 0;
  for (const auto& c : testing::load_vectors("variant3.json")) {
    if (c["full_objects"].get<bool>()) continue;
    const auto full = from_hex(c["bytes_hex"]);
    const auto whole = decode(full, G3);
    ASSERT_TRUE(whole.ok());
    for (std::size_t n = 0; n < full.size(); ++n) {
      ++prefixes;
      std::size_t used = 0;
      auto v = decode(std::span(full).first(n), G3, {}, &used);
      if (v.ok()) {
        // Only a PoolByteArray's last pad bytes may be missing: same value, all bytes used.
        ++accepted;
        EXPECT_EQ(*v, *whole) << c["name"] << " cut at " << n;
        EXPECT_EQ(used, n);
      } else {
        EXPECT_EQ(v.code(), Errc::truncated) << c["name"] << " cut at " << n << ": " << v.error().message;
      }
    }
  }
  EXPECT_GT(prefixes, 2500);
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, 30);
}

TEST(GodotVariantDecode, PoolByteArrayPadMayOnlyBeMissingAtTheEnd) {
  // [PoolByteArray([1]) without pad, nil]: the engine counts the pad, so nil's header is cut.
  EXPECT_EQ(decode(from_hex("130000000200000014000000010000000100000000"), G3).code(), Errc::truncated);
  auto v = decode(from_hex("1300000001000000140000000100000001"), G3);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(enc_hex(*v, G3), "1300000001000000140000000100000001000000");
}

TEST(GodotVariantDecode, DuplicateDictionaryKeysBehaveLikeTheEngine) {
  // {"a": 1, "b": 2, "a": 3}: the engine's d[key] = value keeps "a" first with the last value.
  const auto in = from_hex(
      "12000000030000000400000001000000610000000200000001000000040000000100000062000000020000000200000004000000"
      "01000000610000000200000003000000");
  auto v = decode(in, G3);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->as_dictionary()->size(), 2u);
  EXPECT_EQ(*v->find("a")->as_int(), 3);
  EXPECT_EQ(to_text(*v), "{\"a\": 3, \"b\": 2}");
  // 1 and 1.0 are different keys; 0.0 and -0.0 are the same one. (The encoder writes duplicate
  // keys as given, which is how this input is made.)
  const auto dup = Variant::dictionary({{Variant::integer(1), Variant{}},
                                        {Variant::real(1.0), Variant{}},
                                        {Variant::real(0.0), Variant::integer(1)},
                                        {Variant::real(-0.0), Variant::integer(2)}});
  auto mixed = decode(*encode(dup, G3), G3);
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(to_text(*mixed), "{1: null, 1.0: null, 0.0: 2}");
}

// Keys that differ only in their last element must not collide in the duplicate-key index
// (that would make decoding quadratic: an 8 MB message could cost minutes).
TEST(GodotVariantDecode, KeysThatDifferLateHashApart) {
  Dictionary d;
  std::unordered_set<std::size_t> hashes;
  for (int k = 0; k < 5000; ++k) {
    Array key(12, Variant::integer(0));
    key.back() = Variant::integer(k);
    hashes.insert(hash_value(Variant::array(key)));
    d.emplace_back(Variant::array(std::move(key)), Variant{});
  }
  EXPECT_GE(hashes.size(), 4995u);
  auto v = decode(*encode(Variant::dictionary(std::move(d)), G3), G3);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->as_dictionary()->size(), 5000u);
}

TEST(GodotVariantDecode, StringsAreCheckedUtf8AndEndAtNul) {
  EXPECT_EQ(*testing::dec("040000000300000061006200", G3).as_string(), "a");  // "a\0b" -> "a"
  EXPECT_EQ(*testing::dec("0400000004000000f09f9880", G3).as_string(), "\xf0\x9f\x98\x80");
  const char* bad[] = {"0400000002000000c0af0000",           // overlong '/'
                       "0400000003000000eda08000",           // UTF-16 surrogate
                       "0400000004000000f4908080",           // past U+10FFFF
                       "0400000002000000e2820000",           // cut sequence
                       "040000000100000080000000",           // lone continuation byte
                       "17000000010000000200000080000000"};  // inside a PoolStringArray
  for (const char* h : bad) {
    auto v = decode(from_hex(h), G3);
    ASSERT_FALSE(v.ok()) << h;
    EXPECT_EQ(v.code(), Errc::malformed) << h;
    EXPECT_NE(v.error().message.find("UTF-8"), std::string::npos) << v.error().message;
  }
}

TEST(GodotVariantDecode, ObjectsAndIds) {
  DecodeLimits no_ids;
  no_ids.allow_object_ids = false;
  EXPECT_EQ(decode(from_hex("110001003930000000000000"), G3, no_ids).code(), Errc::unsupported);
  EXPECT_EQ(decode(from_hex("11000000"), G3).code(), Errc::unsupported);  // full object, even empty
  EXPECT_EQ(decode(from_hex("18000000"), G4).code(), Errc::unsupported);
  EXPECT_EQ(decode(from_hex("1100010039300000"), G3).code(), Errc::truncated);
}

TEST(GodotVariantDecode, NodePathObsoletePropertyFlagAddsASubname) {
  // flags bit 1 (pre-3.1 "property" layout): one extra subname follows.
  auto v = decode(from_hex("0f0000000100008000000000020000000100000061000000010000007800000000"), G3);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->as_node_path()->to_string(), "a:x");
}

TEST(GodotVariantDecode, UnknownDialectIsAnError) {
  EXPECT_EQ(decode(from_hex("00000000"), static_cast<Dialect>(5)).code(), Errc::invalid_argument);
  EXPECT_EQ(encode(Variant{}, static_cast<Dialect>(2)).code(), Errc::invalid_argument);
}

}  // namespace
}  // namespace kettle::godot
