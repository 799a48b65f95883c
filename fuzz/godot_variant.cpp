// libFuzzer target for the Godot binary Variant codec (src/godot/variant.hpp): kettle-agent and
// C++ games decode these bytes straight from other players, in both dialects.
//  1. decode() never crashes, never over-allocates (ASan would report it) and fails only with
//     truncated / malformed / unsupported / too_large; `used` never exceeds the input.
//  2. Whatever decodes re-encodes in the same dialect, and that encoding is a fixed point: it
//     decodes to an equal value (all of it used) and encodes to the same bytes again.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "godot/variant.hpp"

using namespace kettle;
using namespace kettle::godot;

namespace {

// assert() vanishes under NDEBUG; fuzz builds must still trap.
void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

void fuzz_dialect(std::span<const std::uint8_t> in, Dialect d) {
  DecodeLimits lim;
  lim.max_depth = 16;
  lim.max_values = 1u << 16;
  std::size_t used = 0;
  auto v = decode(in, d, lim, &used);
  if (!v.ok()) {
    const auto c = v.code();
    check(c == Errc::truncated || c == Errc::malformed || c == Errc::unsupported || c == Errc::too_large,
          "decode fails with a decoding error code");
    check(!v.error().message.empty(), "a decode error says what is wrong");
    return;
  }
  check(used >= 4 && used <= in.size(), "used is within the input");
  auto bytes = encode(*v, d);
  check(bytes.ok(), "a decoded value encodes in its own dialect");
  std::size_t used2 = 0;
  auto back = decode(*bytes, d, lim, &used2);
  check(back.ok(), "the re-encoding decodes");
  check(used2 == bytes->size(), "the re-encoding is used entirely");
  check(*back == *v, "the re-encoding decodes to an equal value");
  auto again = encode(*back, d);
  check(again.ok() && *again == *bytes, "encoding is a fixed point");
  (void)to_text(*v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  fuzz_dialect(in, Dialect::godot3);
  fuzz_dialect(in, Dialect::godot4);
  return 0;
}
