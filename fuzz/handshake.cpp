// libFuzzer target: untrusted bytes into both handshake roles.
//   - HandshakeResponder::on_hello (with and without cookies): never crashes, and
//     every reply is strictly smaller than the datagram (anti-amplification).
//   - HandshakeInitiator::on_reply from a fresh initiator: never crashes; on an
//     error its HELLO is unchanged; a Retry changes it.
//   - When the responder accepts the fixture initiator's own HELLO, the WELCOME
//     must complete that initiator's handshake with matching keys.
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "handshake_fixture.hpp"  // same directory

using namespace kettle;

namespace {

const fuzz::HandshakeFixture& fixture() {
  static const fuzz::HandshakeFixture f;
  return f;
}

// assert() vanishes under NDEBUG; fuzz builds must still trap.
void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

std::vector<std::uint8_t> hello_bytes(const crypto::HandshakeInitiator& init) {
  std::vector<std::uint8_t> h(crypto::kHelloSize);
  auto n = init.write_hello(h);
  require(n.ok() && *n == crypto::kHelloSize, "write_hello writes exactly 1200 bytes");
  return h;
}

void keys_match(crypto::Established& a, crypto::Established& b) {
  std::uint8_t buf[4 + crypto::PacketKey::kTagSize] = {1, 2, 3, 4};
  a.keys.tx.seal(9, {}, buf, 4);
  require(b.keys.rx.open(9, {}, buf).ok(), "initiator tx opens with responder rx");
  b.keys.tx.seal(9, {}, buf, 4);
  require(a.keys.rx.open(9, {}, buf).ok(), "responder tx opens with initiator rx");
}

void fuzz_responder(Bytes data, bool require_cookie) {
  const auto& f = fixture();
  static crypto::HandshakeResponder responder(f.responder_id);
  std::vector<std::uint8_t> out(crypto::kHelloSize);
  auto r = responder.on_hello(data, f.initiator_addr, fuzz::kResponderConnId, require_cookie, fuzz::kNow, out);
  if (!r.ok()) return;
  const std::size_t size = std::visit([](const auto& v) { return v.size; }, *r);
  require(size < data.size(), "responder reply smaller than the HELLO");
  require(size > 0 && size <= out.size(), "reply size within the buffer");
  auto* accept = std::get_if<crypto::HandshakeResponder::Accept>(&*r);
  if (accept == nullptr) return;
  require(size == crypto::kWelcomeSize, "WELCOME has its fixed size");
  auto init = f.initiator();
  const auto hello = hello_bytes(init);
  if (data.size() == hello.size() && std::memcmp(data.data(), hello.data(), hello.size()) == 0) {
    auto done = init.on_reply(Bytes(out).first(size), fuzz::kNow);
    require(done.ok(), "WELCOME to our own HELLO completes the handshake");
    auto* est = std::get_if<crypto::Established>(&*done);
    require(est != nullptr, "WELCOME yields Established");
    keys_match(*est, accept->session);
  }
}

void fuzz_initiator(Bytes data) {
  static const crypto::HandshakeInitiator pristine = fixture().initiator();
  static const std::vector<std::uint8_t> pristine_hello = hello_bytes(pristine);
  crypto::HandshakeInitiator init = pristine;  // same ephemeral key every run: deterministic
  auto r = init.on_reply(data, fuzz::kNow);
  const auto after = hello_bytes(init);
  if (!r.ok()) {
    require(after == pristine_hello, "a rejected reply leaves the initiator unchanged");
    return;
  }
  if (std::holds_alternative<crypto::HandshakeInitiator::Retry>(*r)) {
    require(after != pristine_hello, "a COOKIE changes the HELLO");
    require(after.size() == crypto::kHelloSize, "HELLO stays 1200 bytes");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in(data, size);
  fuzz_responder(in, false);
  fuzz_responder(in, true);
  fuzz_initiator(in);
  return 0;
}
