// Writes named seeds for fuzz/handshake.cpp into the directory given as argv[1]
// (normally fuzz/corpus/handshake): valid HELLO / HELLO+cookie / COOKIE /
// WELCOME / VERSION_MISMATCH built from the fuzz fixture, plus garbage.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz/handshake_fixture.hpp"

using namespace kettle;

namespace {

bool write(const std::string& dir, const char* name, Bytes bytes) {
  std::ofstream f(dir + "/" + name, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  std::printf("%-28s %zu bytes\n", name, bytes.size());
  return static_cast<bool>(f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const fuzz::HandshakeFixture f;
  auto init = f.initiator();
  crypto::HandshakeResponder responder(f.responder_id);
  std::vector<std::uint8_t> hello(crypto::kHelloSize), out(crypto::kHelloSize);
  bool ok = init.write_hello(hello).ok() && write(dir, "hello", hello);

  auto welcome = responder.on_hello(hello, f.initiator_addr, fuzz::kResponderConnId, false, fuzz::kNow, out);
  ok = ok && welcome.ok() && write(dir, "welcome", Bytes(out).first(crypto::kWelcomeSize));

  auto cookie = responder.on_hello(hello, f.initiator_addr, fuzz::kResponderConnId, true, fuzz::kNow, out);
  ok = ok && cookie.ok() && write(dir, "cookie", Bytes(out).first(crypto::kCookiePacketSize));

  std::vector<std::uint8_t> mismatch = hello;
  mismatch[1] = 2;
  ok = ok && write(dir, "hello_version2", mismatch);
  const std::uint8_t vm[] = {0x05, 2, 0x0D, 0x0C, 0x0B, 0x0A};
  ok = ok && write(dir, "version_mismatch", vm);

  // HELLO carrying the cookie (the cookie secret is random per run, so to the fuzz
  // target's responder it is just a well-formed HELLO with a stale cookie).
  auto with_cookie = f.initiator();
  ok = ok && with_cookie.on_reply(Bytes(out).first(crypto::kCookiePacketSize), fuzz::kNow).ok();
  std::vector<std::uint8_t> hello2(crypto::kHelloSize);
  ok = ok && with_cookie.write_hello(hello2).ok() && write(dir, "hello_with_cookie", hello2);

  const std::uint8_t garbage[] = {0xff, 0x00, 0x13, 0x37, 0x01, 0x01, 0x01};
  ok = ok && write(dir, "garbage", garbage);
  ok = ok && write(dir, "empty", {});
  std::vector<std::uint8_t> zeros(crypto::kHelloSize, 0);
  zeros[0] = 0x01;
  zeros[1] = 0x01;
  ok = ok && write(dir, "hello_all_zero", zeros);
  return ok ? 0 : 1;
}
