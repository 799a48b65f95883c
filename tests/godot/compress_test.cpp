// src/godot/compress against the Godot 3.2.3 vectors (gzip3.json, decompress3.json), zlib itself as
// an independent reference, zip bombs and corrupt input.
#include "godot/compress.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using kettle::Errc;
using kettle::godot::CompressionMode;
using kettle::godot::decompress;
using kettle::godot::decompress_dynamic;
using kettle::godot::kMaxDynamicOutput;
using Buf = std::vector<std::uint8_t>;
using json = nlohmann::json;

Buf from_hex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    ADD_FAILURE() << "bad hex digit " << c;
    return 0;
  };
  Buf out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(nibble(hex[2 * i]) * 16 + nibble(hex[2 * i + 1]));
  }
  return out;
}

std::string to_hex(std::span<const std::uint8_t> b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (auto x : b) {
    s += kDigits[x >> 4];
    s += kDigits[x & 15];
  }
  return s;
}

json load_vectors(const std::string& name) {
  std::ifstream f(std::string(KETTLE_GODOT_VECTORS) + "/" + name);
  EXPECT_TRUE(f.good()) << "cannot open " << KETTLE_GODOT_VECTORS << "/" << name;
  if (!f.good()) return json::array();
  return json::parse(f);
}

CompressionMode mode_of(const json& v) { return static_cast<CompressionMode>(v.at("mode_id").get<int>()); }

Buf random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Buf out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng() >> 56);
  return out;
}

// Text-like data: words from a small vocabulary, so it compresses like chat and JSON do.
Buf text_bytes(std::size_t n, std::uint64_t seed) {
  static constexpr std::string_view kWords[] = {"lobby ",    "player ", "ready\n", "score=", "42 ",
                                                "{\"id\": ", "}, ",     "hello ",  "the ",   "ping "};
  std::mt19937_64 rng(seed);
  Buf out;
  while (out.size() < n) {
    auto w = kWords[rng() % std::size(kWords)];
    out.insert(out.end(), w.begin(), w.end());
  }
  out.resize(n);
  return out;
}

// n zero bytes as a GZIP/DEFLATE stream, streamed so the test never holds the n bytes. Level 1
// (not Godot's 6) because it is 2.5x faster here; the bomb is still ~230:1 and any level decodes alike.
Buf zeros_stream(std::size_t n, CompressionMode mode) {
  z_stream s{};
  const int bits = mode == CompressionMode::gzip ? 31 : 15;
  EXPECT_EQ(deflateInit2(&s, Z_BEST_SPEED, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  const Buf zeros(1 << 20, 0);
  Buf out;
  std::uint8_t chunk[1 << 16];
  std::size_t left = n;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (s.avail_in == 0 && left > 0) {
      const std::size_t piece = std::min(left, zeros.size());
      s.next_in = const_cast<Bytef*>(zeros.data());
      s.avail_in = static_cast<uInt>(piece);
      left -= piece;
    }
    s.next_out = chunk;
    s.avail_out = sizeof chunk;
    rc = deflate(&s, left == 0 ? Z_FINISH : Z_NO_FLUSH);
    EXPECT_TRUE(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR) << rc;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) break;
    out.insert(out.end(), chunk, chunk + (sizeof chunk - s.avail_out));
  }
  deflateEnd(&s);
  return out;
}

std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}

// --- gzip3.json: compress() byte for byte ---------------------------------------------------------

TEST(GodotCompressVectors, CompressIsByteExactWithTheEngine) {
  const json vectors = load_vectors("gzip3.json");
  ASSERT_EQ(vectors.size(), 16u);
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.at("mode").get<std::string>() + " " + v.at("input_desc").get<std::string>());
    const Buf in = from_hex(v.at("input_hex").get<std::string>());
    ASSERT_EQ(in.size(), v.at("input_size").get<std::size_t>());
    auto c = kettle::godot::compress(in, mode_of(v));
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    // All bytes, the gzip OS byte (offset 9) included: the engine wrote 03 (Unix) and so does zlib
    // on Linux. A Windows/macOS zlib writes another value there; compare bytes 0-8 and 10.. then.
    EXPECT_EQ(to_hex(*c), v.at("compressed_hex").get<std::string>());
    EXPECT_EQ(c->size(), v.at("compressed_size").get<std::size_t>());
  }
}

TEST(GodotCompressVectors, EveryVectorDecompressesToItsInput) {
  const json vectors = load_vectors("gzip3.json");
  std::size_t checked = 0;
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.at("mode").get<std::string>() + " " + v.at("input_desc").get<std::string>());
    const Buf in = from_hex(v.at("input_hex").get<std::string>());
    const Buf packed = from_hex(v.at("compressed_hex").get<std::string>());
    if (in.empty()) continue;  // compress() of nothing is nothing, and nothing does not decompress
    const auto size = static_cast<std::int64_t>(in.size());
    auto d = decompress(packed, size, mode_of(v));
    ASSERT_TRUE(d.ok()) << d.error().to_string();
    EXPECT_EQ(*d, in);
    auto dyn = decompress_dynamic(packed, -1, mode_of(v));
    ASSERT_TRUE(dyn.ok()) << dyn.error().to_string();
    EXPECT_EQ(*dyn, in);
    auto exact = decompress_dynamic(packed, size, mode_of(v));
    ASSERT_TRUE(exact.ok()) << exact.error().to_string();
    EXPECT_EQ(*exact, in);
    EXPECT_EQ(decompress(packed, size - 1, mode_of(v)).code(), size > 1 ? Errc::too_large : Errc::invalid_argument);
    EXPECT_EQ(decompress_dynamic(packed, size - 1, mode_of(v)).code(), Errc::too_large);
    ++checked;
  }
  EXPECT_EQ(checked, 14u);
}

TEST(GodotCompressVectors, RandomInputIsTheDocumentedLcg) {
  // The README documents how random_64k was made; regenerating it shows the vector is what it says.
  Buf lcg(65536);
  std::uint64_t x = 12345;
  for (auto& b : lcg) {
    x = (x * 1103515245 + 12345) % (std::uint64_t{1} << 31);
    b = static_cast<std::uint8_t>((x >> 16) & 0xff);
  }
  std::size_t found = 0;
  for (const auto& v : load_vectors("gzip3.json")) {
    if (v.at("input_desc").get<std::string>().rfind("65536 bytes: x = 12345", 0) != 0) continue;
    EXPECT_EQ(from_hex(v.at("input_hex").get<std::string>()), lcg);
    ++found;
  }
  EXPECT_EQ(found, 2u);
}

// --- decompress3.json: the engine's decompress(buffer_size, mode) -------------------------------

// What Kettle reports where the engine returned an empty array (the engine has no error codes).
const std::map<std::string, Errc>& expected_errors() {
  static const std::map<std::string, Errc> m = {
      {"gzip_buffer_one_short", Errc::too_large}, {"gzip_buffer_1", Errc::too_large},
      {"gzip_buffer_0", Errc::invalid_argument},  {"gzip_buffer_negative", Errc::invalid_argument},
      {"gzip_bad_crc", Errc::malformed},          {"gzip_truncated_trailer", Errc::truncated},
      {"gzip_data_as_deflate", Errc::malformed},  {"deflate_buffer_one_short", Errc::too_large},
      {"deflate_data_as_gzip", Errc::malformed},  {"gzip_empty_input", Errc::truncated},
      {"gzip_not_compressed", Errc::malformed},
  };
  return m;
}

TEST(GodotDecompressVectors, EveryCaseAsTheEngine) {
  const json cases = load_vectors("decompress3.json");
  ASSERT_EQ(cases.size(), 20u);
  std::size_t oks = 0;
  std::size_t errors = 0;
  for (const auto& c : cases) {
    const auto name = c.at("name").get<std::string>();
    SCOPED_TRACE(name);
    const Buf in = from_hex(c.at("input_hex").get<std::string>());
    auto r = decompress(in, c.at("buffer_size").get<std::int64_t>(), mode_of(c));
    if (c.at("ok").get<bool>()) {
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      EXPECT_EQ(to_hex(*r), c.at("result_hex").get<std::string>());
      EXPECT_EQ(r->size(), c.at("result_size").get<std::size_t>());
      ++oks;
    } else {
      ASSERT_FALSE(r.ok());
      ASSERT_TRUE(expected_errors().count(name)) << "no expected error code for this case";
      EXPECT_EQ(r.code(), expected_errors().at(name)) << r.error().to_string();
      EXPECT_FALSE(r.error().message.empty());
      ++errors;
    }
  }
  EXPECT_EQ(oks, 9u);
  EXPECT_EQ(errors, expected_errors().size());
}

TEST(GodotDecompressVectors, DynamicAgreesWhereTheLimitIsValid) {
  // decompress_dynamic(max) with max = buffer_size decides every case with a positive size as
  // Godot 3's decompress does (Godot 4's decompress_dynamic enforces total_out > max the same way).
  std::size_t checked = 0;
  for (const auto& c : load_vectors("decompress3.json")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const auto size = c.at("buffer_size").get<std::int64_t>();
    if (size <= 0) continue;
    const Buf in = from_hex(c.at("input_hex").get<std::string>());
    auto r = decompress_dynamic(in, size, mode_of(c));
    ASSERT_EQ(r.ok(), c.at("ok").get<bool>()) << (r.ok() ? "" : r.error().to_string());
    if (r.ok()) {
      EXPECT_EQ(to_hex(*r), c.at("result_hex").get<std::string>());
    }
    ++checked;
  }
  EXPECT_EQ(checked, 18u);
}

// --- limits and zip bombs -------------------------------------------------------------------------

TEST(GodotDecompressLimits, ZipBombIsRefusedAtTheCapWithoutAllocatingPastIt) {
  // Each run up to the cap inflates 64 MiB, so each mode gets one public call: -1 (no limit) for
  // GZIP, a limit far above the cap for DEFLATE; both are held to kMaxDynamicOutput.
  constexpr std::size_t kBomb = std::size_t{100} << 20;
  for (auto [mode, max] : {std::pair{CompressionMode::gzip, std::int64_t{-1}},
                           std::pair{CompressionMode::deflate, std::int64_t{1} << 40}}) {
    SCOPED_TRACE(static_cast<int>(mode));
    const Buf bomb = zeros_stream(kBomb, mode);
    ASSERT_LT(bomb.size(), 600'000u);  // > 150:1, the point of a bomb
    auto r = decompress_dynamic(bomb, max, mode);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), Errc::too_large);
    EXPECT_NE(r.error().message.find("kMaxDynamicOutput"), std::string::npos) << r.error().message;
    if (mode == CompressionMode::gzip) {
      // The same loop with the buffer in view: its capacity never went past the cap.
      Buf out;
      auto st = kettle::godot::detail::inflate_limited(bomb, kMaxDynamicOutput, mode, out);
      EXPECT_EQ(st.code(), Errc::too_large);
      EXPECT_LE(out.capacity(), kMaxDynamicOutput);
      EXPECT_GT(out.capacity(), kMaxDynamicOutput / 2);  // it did fill up to the cap before refusing
      EXPECT_TRUE(out.empty());
    }
    // A caller's small limit stops it early, again without allocating past that limit.
    Buf out;
    auto st = kettle::godot::detail::inflate_limited(bomb, 1000, mode, out);
    EXPECT_EQ(st.code(), Errc::too_large);
    EXPECT_LE(out.capacity(), 1000u);
    EXPECT_EQ(decompress_dynamic(bomb, 1000, mode).code(), Errc::too_large);
    EXPECT_EQ(decompress(bomb, 4096, mode).code(), Errc::too_large);
  }
}

TEST(GodotDecompressLimits, OutputOfExactlyTheCapIsAccepted) {
  const Buf at_cap = zeros_stream(kMaxDynamicOutput, CompressionMode::gzip);
  auto r = decompress_dynamic(at_cap, -1, CompressionMode::gzip);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), kMaxDynamicOutput);
  EXPECT_TRUE(std::all_of(r->begin(), r->end(), [](std::uint8_t b) { return b == 0; }));
  EXPECT_LE(r->capacity(), kMaxDynamicOutput);
  // One byte more is refused: the bomb test above, and ExactLimitBoundaries for the same check at
  // a limit small enough to run cheaply.
}

TEST(GodotDecompressLimits, ExactLimitBoundaries) {
  const Buf data = random_bytes(100'000, 7);
  for (auto mode : {CompressionMode::gzip, CompressionMode::deflate}) {
    auto packed = kettle::godot::compress(data, mode);
    ASSERT_TRUE(packed.ok());
    Buf out;
    EXPECT_TRUE(kettle::godot::detail::inflate_limited(*packed, 100'000, mode, out).ok());
    EXPECT_EQ(out, data);
    EXPECT_LE(out.capacity(), 100'000u);
    EXPECT_EQ(kettle::godot::detail::inflate_limited(*packed, 99'999, mode, out).code(), Errc::too_large);
    EXPECT_LE(out.capacity(), 100'000u);  // capacity from before is kept, nothing new past the limit
    Buf fresh;
    EXPECT_EQ(kettle::godot::detail::inflate_limited(*packed, 99'999, mode, fresh).code(), Errc::too_large);
    EXPECT_LE(fresh.capacity(), 99'999u);
  }
}

TEST(GodotDecompressLimits, HugeBufferSizeAllocatesOnlyWhatTheDataNeeds) {
  const Buf small = {'h', 'i'};
  auto packed = kettle::godot::compress(small, CompressionMode::gzip);
  ASSERT_TRUE(packed.ok());
  ASSERT_EQ(packed->size(), 22u);
  for (std::int64_t size : {std::int64_t{1} << 40, std::int64_t{0x7fffffff}, INT64_MAX}) {
    auto r = decompress(*packed, size, CompressionMode::gzip);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r, small);
    EXPECT_LT(r->capacity(), 64u << 10);
  }
  Buf out;
  ASSERT_TRUE(kettle::godot::detail::inflate_limited(*packed, std::size_t{1} << 40, CompressionMode::gzip, out).ok());
  EXPECT_LT(out.capacity(), 64u << 10);
}

TEST(GodotDecompressLimits, NegativeMaxMeansNoLimitAndZeroAllowsOnlyEmpty) {
  const Buf data = text_bytes(5000, 3);
  auto packed = kettle::godot::compress(data, CompressionMode::deflate);
  ASSERT_TRUE(packed.ok());
  for (std::int64_t max : {std::int64_t{-1}, std::int64_t{-2}, INT64_MIN}) {
    auto r = decompress_dynamic(*packed, max, CompressionMode::deflate);
    ASSERT_TRUE(r.ok()) << max;
    EXPECT_EQ(*r, data);
  }
  EXPECT_EQ(decompress_dynamic(*packed, 0, CompressionMode::deflate).code(), Errc::too_large);
  // A stream of no bytes (not what compress() makes of nothing, but a valid stream) fits 0.
  const Buf empty_gzip = from_hex(
      "1f8b0800000000000003"
      "0300"
      "0000000000000000");
  auto e = decompress_dynamic(empty_gzip, 0, CompressionMode::gzip);
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  EXPECT_TRUE(e->empty());
  auto e3 = decompress(empty_gzip, 16, CompressionMode::gzip);  // the engine: empty array, no error
  ASSERT_TRUE(e3.ok()) << e3.error().to_string();
  EXPECT_TRUE(e3->empty());
}

// --- round trips, with zlib itself as the reference ------------------------------------------------

void check_round_trip(const Buf& data) {
  SCOPED_TRACE("size " + std::to_string(data.size()));
  auto gz = kettle::godot::compress(data, CompressionMode::gzip);
  auto zl = kettle::godot::compress(data, CompressionMode::deflate);
  ASSERT_TRUE(gz.ok() && zl.ok());
  // DEFLATE mode is exactly zlib's compress2 at level 6 (789c header, Adler-32 trailer).
  Buf ref(compressBound(data.size()));
  uLongf ref_len = ref.size();
  ASSERT_EQ(compress2(ref.data(), &ref_len, data.data(), data.size(), 6), Z_OK);
  ref.resize(ref_len);
  EXPECT_EQ(*zl, ref);
  // GZIP mode: Godot's fixed header, the same deflate data, CRC-32 and size trailer.
  ASSERT_GE(gz->size(), 18u);
  EXPECT_EQ(to_hex(std::span(*gz).first(10)), "1f8b0800000000000003");
  EXPECT_TRUE(std::equal(gz->begin() + 10, gz->end() - 8, zl->begin() + 2, zl->end() - 4));
  const auto crc = static_cast<std::uint32_t>(crc32(0, data.data(), static_cast<uInt>(data.size())));
  EXPECT_EQ(le32(gz->data() + gz->size() - 8), crc);
  EXPECT_EQ(le32(gz->data() + gz->size() - 4), static_cast<std::uint32_t>(data.size()));

  const auto size = static_cast<std::int64_t>(data.size());
  for (auto [mode, packed] : {std::pair{CompressionMode::gzip, &*gz}, std::pair{CompressionMode::deflate, &*zl}}) {
    SCOPED_TRACE(static_cast<int>(mode));
    auto exact = decompress(*packed, size, mode);
    ASSERT_TRUE(exact.ok()) << exact.error().to_string();
    EXPECT_EQ(*exact, data);
    auto larger = decompress(*packed, size * 3 + 10, mode);
    ASSERT_TRUE(larger.ok());
    EXPECT_EQ(*larger, data);
    EXPECT_EQ(decompress(*packed, size - 1, mode).code(), size > 1 ? Errc::too_large : Errc::invalid_argument);
    auto dyn = decompress_dynamic(*packed, -1, mode);
    ASSERT_TRUE(dyn.ok());
    EXPECT_EQ(*dyn, data);
    EXPECT_EQ(decompress_dynamic(*packed, size - 1, mode).code(), Errc::too_large);
  }
}

TEST(GodotCompressRoundTrip, RandomDataOfManySizes) {
  std::size_t n = 0;
  for (std::size_t size : {1,    2,    3,     4,     7,     16,    100,   255,   256,   1000,    1023,    4095,
                           4096, 4097, 16383, 16384, 16385, 32768, 65535, 65536, 65537, 100'000, 262'144, 1'000'000}) {
    check_round_trip(random_bytes(size, size));
    ++n;
  }
  std::mt19937_64 rng(99);
  for (int i = 0; i < 20; ++i) {
    const std::size_t size = 1 + rng() % 100'000;
    check_round_trip(random_bytes(size, rng()));
    ++n;
  }
  EXPECT_EQ(n, 44u);
}

TEST(GodotCompressRoundTrip, TextAndRepetitiveData) {
  for (std::size_t size : {1, 10, 500, 4096, 70'000, 1'000'000}) {
    check_round_trip(text_bytes(size, size));
    check_round_trip(Buf(size, 0));
    check_round_trip(Buf(size, 0xab));
  }
}

// --- bad input --------------------------------------------------------------------------------------

TEST(GodotCompressBadInput, FastlzZstdBrotliAreUnsupportedUnknownModesInvalid) {
  const Buf data = text_bytes(100, 1);
  auto packed = kettle::godot::compress(data, CompressionMode::gzip);
  ASSERT_TRUE(packed.ok());
  for (auto mode : {CompressionMode::fastlz, CompressionMode::zstd, CompressionMode::brotli}) {
    EXPECT_EQ(kettle::godot::compress(data, mode).code(), Errc::unsupported);
    EXPECT_EQ(decompress(*packed, 100, mode).code(), Errc::unsupported);
    EXPECT_EQ(decompress_dynamic(*packed, -1, mode).code(), Errc::unsupported);
  }
  auto r = kettle::godot::compress(data, CompressionMode::zstd);
  EXPECT_NE(r.error().message.find("ZSTD"), std::string::npos) << r.error().message;
  for (int bad : {-1, 5, 7, 1000}) {
    const auto mode = static_cast<CompressionMode>(bad);
    EXPECT_EQ(kettle::godot::compress(data, mode).code(), Errc::invalid_argument);
    EXPECT_EQ(decompress(*packed, 100, mode).code(), Errc::invalid_argument);
    EXPECT_EQ(decompress_dynamic(*packed, -1, mode).code(), Errc::invalid_argument);
  }
}

TEST(GodotCompressBadInput, EmptyInput) {
  for (auto mode : {CompressionMode::gzip, CompressionMode::deflate}) {
    auto c = kettle::godot::compress({}, mode);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c->empty());
    EXPECT_EQ(decompress({}, 16, mode).code(), Errc::truncated);
    EXPECT_EQ(decompress_dynamic({}, -1, mode).code(), Errc::truncated);
    EXPECT_EQ(decompress({}, 0, mode).code(), Errc::invalid_argument);  // the engine checks the size first
  }
}

TEST(GodotCompressBadInput, PresetDictionaryIsRefused) {
  z_stream s{};
  ASSERT_EQ(deflateInit(&s, 6), Z_OK);
  const Buf dict = text_bytes(64, 5);
  ASSERT_EQ(deflateSetDictionary(&s, dict.data(), static_cast<uInt>(dict.size())), Z_OK);
  Buf data = text_bytes(300, 5);
  Buf out(1000);
  s.next_in = data.data();
  s.avail_in = static_cast<uInt>(data.size());
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  ASSERT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(out.size() - s.avail_out);
  deflateEnd(&s);
  EXPECT_EQ(decompress(out, 300, CompressionMode::deflate).code(), Errc::unsupported);
  EXPECT_EQ(decompress_dynamic(out, -1, CompressionMode::deflate).code(), Errc::unsupported);
}

TEST(GodotCompressBadInput, EveryProperPrefixIsTruncated) {
  const Buf data = text_bytes(3000, 11);
  for (auto mode : {CompressionMode::gzip, CompressionMode::deflate}) {
    auto packed = kettle::godot::compress(data, mode);
    ASSERT_TRUE(packed.ok());
    for (std::size_t n = 1; n < packed->size(); ++n) {
      const std::span<const std::uint8_t> prefix(packed->data(), n);
      EXPECT_EQ(decompress(prefix, 3000, mode).code(), Errc::truncated) << n;
      EXPECT_EQ(decompress_dynamic(prefix, -1, mode).code(), Errc::truncated) << n;
    }
  }
}

TEST(GodotCompressBadInput, DamagedBytesGiveAnErrorOrTheOriginalNeverOtherData) {
  const Buf data = text_bytes(268, 13);
  std::size_t errors = 0;
  std::size_t accepted = 0;
  for (auto mode : {CompressionMode::gzip, CompressionMode::deflate}) {
    auto packed = kettle::godot::compress(data, mode);
    ASSERT_TRUE(packed.ok());
    for (std::size_t i = 0; i < packed->size(); ++i) {
      for (std::uint8_t flip : {0x01, 0x10, 0x80, 0xff}) {
        Buf bad = *packed;
        bad[i] ^= flip;
        for (auto r : {decompress(bad, 100'000, mode), decompress_dynamic(bad, -1, mode)}) {
          if (r.ok()) {
            EXPECT_EQ(*r, data) << "byte " << i << " ^ " << int(flip);
            ++accepted;
          } else {
            EXPECT_TRUE(r.code() == Errc::malformed || r.code() == Errc::truncated || r.code() == Errc::unsupported ||
                        r.code() == Errc::too_large)
                << r.error().to_string();
            ++errors;
          }
        }
      }
    }
  }
  EXPECT_GT(errors, 1000u);
  // At least the gzip header bytes the decoder ignores (MTIME, XFL, OS: bytes 4-9) change freely;
  // so may FLG's FTEXT hint and padding bits after the last deflate block.
  EXPECT_GE(accepted, 6u * 4 * 2);
  EXPECT_LT(accepted, 100u);
}

TEST(GodotCompressBadInput, TrailingBytesAfterTheStreamAreIgnored) {
  const Buf data = text_bytes(1000, 17);
  for (auto mode : {CompressionMode::gzip, CompressionMode::deflate}) {
    auto packed = kettle::godot::compress(data, mode);
    ASSERT_TRUE(packed.ok());
    Buf with_tail = *packed;
    with_tail.insert(with_tail.end(), {0xde, 0xad, 0xbe, 0xef});
    with_tail.insert(with_tail.end(), packed->begin(), packed->end());  // a second stream is not decoded
    auto r = decompress(with_tail, 1000, mode);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r, data);
    auto dyn = decompress_dynamic(with_tail, -1, mode);
    ASSERT_TRUE(dyn.ok());
    EXPECT_EQ(*dyn, data);
  }
}

}  // namespace
