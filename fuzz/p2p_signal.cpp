// libFuzzer target for what one player's client accepts from another before any transport
// connection exists: P2P signaling payloads (relayed by the server, but written by the peer)
// and punch datagrams (from anyone on the network). docs/protocol.md §14.
//  1. decode_signal() never crashes, fails only as truncated/malformed, and whatever it accepts
//     is canonical: encode() gives back exactly the input, and that decodes to an equal signal.
//  2. decode_punch() accepts only exact 11-byte punches, and re-encoding reproduces them.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "p2p/signal.hpp"

using namespace kettle;

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in(data, size);
  auto s = p2p::decode_signal(in);
  if (!s.ok()) {
    check(s.code() == Errc::truncated || s.code() == Errc::malformed, "decode fails as truncated or malformed");
  } else {
    check(s->session != 0, "accepted signals have a session");
    check(s->candidates.size() <= p2p::kMaxCandidates, "candidate limit holds");
    const auto again = p2p::encode(*s);
    check(again.size() == in.size() && std::memcmp(again.data(), in.data(), in.size()) == 0,
          "re-encoding reproduces the input");
    auto back = p2p::decode_signal(again);
    check(back.ok() && *back == *s, "re-encoded signal decodes to an equal signal");
  }
  if (auto p = p2p::decode_punch(in)) {
    check(size == p2p::kPunchSize, "punches have one size");
    const auto again = p2p::encode(*p);
    check(std::memcmp(again.data(), in.data(), size) == 0, "re-encoding a punch reproduces it");
  }
  return 0;
}
