// libFuzzer target for the control protocol codec (docs/protocol.md §12, lobbies §15), whose
// input comes from the network on both sides (server: requests from any client; client: the
// server's replies).
//  1. decode() never crashes, and whatever it accepts is canonical: encode() of the decoded
//     message gives back exactly the input bytes, and those decode to an equal message.
//  2. validate_name() on the raw input never crashes, and a name it accepts has no byte a
//     control character could hide in and fits the limit.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "control/messages.hpp"

using namespace kettle;

namespace {

// assert() vanishes under NDEBUG; fuzz builds must still trap.
void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

void fuzz_decode(Bytes in) {
  auto m = control::decode(in);
  if (!m.ok()) {
    check(m.code() == Errc::truncated || m.code() == Errc::malformed, "decode fails as truncated or malformed");
    return;
  }
  check(control::kind_name(in[0]) != "unknown", "accepted kind has a name");
  check(control::kind_of(m->body) == in[0], "decoded body matches the kind byte");
  const auto again = control::encode(*m);
  check(again.size() == in.size() && std::memcmp(again.data(), in.data(), in.size()) == 0,
        "re-encoding reproduces the input (the encoding is canonical)");
  auto back = control::decode(again);
  check(back.ok(), "re-encoded message decodes");
  check(*back == *m, "re-encoded message decodes to an equal message");
}

void fuzz_name(Bytes in) {
  const std::string_view name(reinterpret_cast<const char*>(in.data()), in.size());
  if (!control::validate_name(name, control::kMaxPersonaNameBytes).ok()) return;
  check(!name.empty() && name.size() <= control::kMaxPersonaNameBytes, "accepted name within limits");
  for (char c : name) {
    const auto b = static_cast<std::uint8_t>(c);
    check(b >= 0x20 && b != 0x7f, "accepted name has no C0 control or DEL byte");
    check(b != 0xc0 && b != 0xc1 && b < 0xf5, "accepted name has no byte that never occurs in UTF-8");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in(data, size);
  fuzz_decode(in);
  fuzz_name(in);
  return 0;
}
