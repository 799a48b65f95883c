// libFuzzer target for src/godot/compress: decompress() and decompress_dynamic() take bytes a peer
// sent (a Godot game's compress() output, or anything else), in both modes.
//  1. Neither crashes; an error is one of malformed / truncated / unsupported / too_large.
//  2. The two agree: decompress(in, L) and decompress_dynamic(in, L) give the same result or the
//     same error code for every positive L; no result is longer than its limit.
//  3. The limit is exact: data of n bytes is accepted with limit n and refused (too_large) with n - 1.
//  4. Whatever decompresses, compress() turns back into a stream that decompresses to it; and the
//     raw input itself survives a compress/decompress round trip.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "godot/compress.hpp"

using namespace kettle;
using kettle::godot::CompressionMode;

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

bool expected_error(Errc c) {
  return c == Errc::malformed || c == Errc::truncated || c == Errc::unsupported || c == Errc::too_large;
}

using Out = Result<std::vector<std::uint8_t>>;

void same(const Out& a, const Out& b, const char* what) {
  check(a.ok() == b.ok(), what);
  if (a.ok()) {
    check(*a == *b, what);
  } else {
    check(a.code() == b.code(), what);
  }
}

void fuzz_mode(std::span<const std::uint8_t> in, CompressionMode mode) {
  // 256 KiB is far above what most inputs expand to, yet keeps bombs cheap to refuse.
  constexpr std::int64_t kLimit = 256 << 10;
  const Out plain = godot::decompress(in, kLimit, mode);
  if (!plain.ok()) check(expected_error(plain.code()), "decompress fails with a documented code");
  if (plain.ok()) check(plain->size() <= static_cast<std::size_t>(kLimit), "result within buffer_size");
  same(plain, godot::decompress_dynamic(in, kLimit, mode), "decompress and decompress_dynamic agree at 256 KiB");
  for (std::int64_t small : {1, 17, 4096}) {
    const Out a = godot::decompress(in, small, mode);
    same(a, godot::decompress_dynamic(in, small, mode), "decompress and decompress_dynamic agree");
    if (a.ok()) check(a->size() <= static_cast<std::size_t>(small), "result within a small buffer_size");
  }
  if (!plain.ok()) return;

  const auto n = static_cast<std::int64_t>(plain->size());
  same(plain, godot::decompress(in, n > 0 ? n : 1, mode), "the real size is enough");
  if (n > 1) check(godot::decompress(in, n - 1, mode).code() == Errc::too_large, "one byte less is too_large");
  if (n > 0) check(godot::decompress_dynamic(in, n - 1, mode).code() == Errc::too_large, "dynamic: n-1 too_large");
  // The expensive checks only where they stay cheap, so the fuzzer keeps its pace.
  if (n > 0 && n <= (64 << 10)) {
    same(plain, godot::decompress_dynamic(in, -1, mode), "decompress_dynamic(-1) agrees");
    auto again = godot::compress(*plain, mode);
    check(again.ok(), "what decompressed compresses");
    auto back = godot::decompress(*again, n, mode);
    check(back.ok() && *back == *plain, "compress then decompress gives the data back");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  fuzz_mode(in, CompressionMode::gzip);
  fuzz_mode(in, CompressionMode::deflate);

  if (size > 0) {
    // The input as plain data: both modes round-trip it exactly.
    for (auto mode : {CompressionMode::gzip, CompressionMode::deflate}) {
      auto packed = godot::compress(in, mode);
      check(packed.ok(), "compress accepts any bytes");
      auto back = godot::decompress(*packed, static_cast<std::int64_t>(size), mode);
      check(back.ok() && back->size() == size && std::equal(back->begin(), back->end(), data), "round trip");
    }
  }
  return 0;
}
