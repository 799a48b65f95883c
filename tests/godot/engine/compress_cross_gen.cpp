// Writes what Kettle's compress() makes of a set of inputs, for compress_from_cpp.gd to check
// with the real engine's PoolByteArray.decompress() and compress().
//
//   godot_compress_cross_gen OUT_FILE
//
// OUT_FILE is text: a first line "kettle-compress-cross 1 COUNT", then COUNT lines
// "NAME SIZE INPUT_HEX DEFLATE_HEX GZIP_HEX" (lowercase hex; DEFLATE = mode 1, GZIP = mode 3).
// Inputs: every non-empty input of gzip3.json, random bytes of sizes 1..100000, text, zeros.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "godot/compress.hpp"

namespace {

using Buf = std::vector<std::uint8_t>;
using kettle::godot::CompressionMode;

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

Buf from_hex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  Buf out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint8_t>(nibble(hex[2 * i]) * 16 + nibble(hex[2 * i + 1]));
  return out;
}

struct Input {
  std::string name;
  Buf bytes;
};

std::vector<Input> inputs() {
  std::vector<Input> all;
  std::ifstream f(std::string(KETTLE_GODOT_VECTORS) + "/gzip3.json");
  if (!f) return {};
  std::set<std::string> seen;
  int n = 0;
  for (const auto& v : nlohmann::json::parse(f)) {
    const auto hex = v.at("input_hex").get<std::string>();
    if (hex.empty() || !seen.insert(hex).second) continue;  // the engine cannot decompress nothing
    all.push_back({"gzip3_input_" + std::to_string(n++), from_hex(hex)});
  }
  std::mt19937_64 rng(20261127);
  auto random = [&](std::size_t size) {
    Buf b(size);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng() >> 56);
    return b;
  };
  for (std::size_t size : {1, 2, 3, 100, 1000, 4096, 65535, 65536, 65537, 100000}) {
    all.push_back({"random_" + std::to_string(size), random(size)});
  }
  for (int i = 0; i < 6; ++i) {
    const std::size_t size = 1 + rng() % 100000;
    all.push_back({"random_" + std::to_string(size), random(size)});
  }
  static constexpr std::string_view kWords[] = {"lobby ", "player ", "ready\n", "score=", "{\"id\": ", "}, ", "hello "};
  for (std::size_t size : {10, 1000, 50000}) {
    Buf text;
    while (text.size() < size) {
      auto w = kWords[rng() % std::size(kWords)];
      text.insert(text.end(), w.begin(), w.end());
    }
    text.resize(size);
    all.push_back({"text_" + std::to_string(size), std::move(text)});
  }
  all.push_back({"zeros_100000", Buf(100000, 0)});
  all.push_back({"byte_ff_70000", Buf(70000, 0xff)});
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_FILE\n", argv[0]);
    return 2;
  }
  const auto all = inputs();
  if (all.size() < 20) {
    std::fprintf(stderr, "cannot read %s/gzip3.json\n", KETTLE_GODOT_VECTORS);
    return 1;
  }
  std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
  out << "kettle-compress-cross 1 " << all.size() << "\n";
  for (const auto& in : all) {
    auto deflate = kettle::godot::compress(in.bytes, CompressionMode::deflate);
    auto gzip = kettle::godot::compress(in.bytes, CompressionMode::gzip);
    if (!deflate.ok() || !gzip.ok()) {
      std::fprintf(stderr, "compress failed for %s\n", in.name.c_str());
      return 1;
    }
    out << in.name << ' ' << in.bytes.size() << ' ' << to_hex(in.bytes) << ' ' << to_hex(*deflate) << ' '
        << to_hex(*gzip) << '\n';
  }
  out.close();
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", argv[1]);
    return 1;
  }
  std::printf("wrote %zu inputs to %s\n", all.size(), argv[1]);
  return 0;
}
