// libFuzzer target for the transport's untrusted-input paths (docs/protocol.md §6, §10):
//  1. frame decoding, with the round-trip invariant: every frame that decodes
//     re-encodes to exactly the bytes it was decoded from;
//  2. stream reassembly: the input cut into (offset, bytes) segments fed to a
//     RecvStream must never crash or deliver more bytes than it was given;
//  3. the whole input, split into datagrams, fed to an Endpoint with a live
//     connection (DATA datagrams get the real connection id patched in so they
//     reach the replay and AEAD checks); the connection must survive.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "crypto/certificate.hpp"
#include "crypto/keys.hpp"
#include "transport/endpoint.hpp"
#include "transport/frames/frame.hpp"
#include "transport/recv_stream.hpp"

using namespace kettle;
using namespace kettle::transport;

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

void fuzz_frames(Bytes data) {
  ByteReader r(data);
  while (!r.empty()) {
    const std::size_t start = r.position();
    auto f = decode_frame(r);
    if (!f) return;
    const std::size_t used = r.position() - start;
    check(encoded_size(*f) == used, "encoded_size == consumed bytes");
    std::vector<std::uint8_t> out(used);
    ByteWriter w(out);
    encode(*f, w);
    check(w.ok() && w.size() == used, "re-encode fits");
    check(std::memcmp(out.data(), data.data() + start, used) == 0, "re-encode is byte-identical");
  }
}

struct CountingSink final : MessageSink {
  std::uint64_t bytes = 0;
  void deliver(int, Bytes m) override { bytes += m.size(); }
  void deliver_owned(int, std::vector<std::uint8_t>& m) override { bytes += m.size(); }
};

void fuzz_reassembly(Bytes data) {
  constexpr std::size_t kMaxGaps = 8;
  RecvStream rs(0);
  CountingSink sink;
  ByteReader r(data);
  std::uint64_t fed = 0;
  while (r.remaining() >= 3) {
    const std::uint64_t offset = r.u16();
    const std::size_t len = r.u8();
    const Bytes seg = r.take(std::min<std::size_t>(len, r.remaining()));
    fed += seg.size();
    // A small gap allowance so the fuzzer also drives the out-of-order range bound.
    const std::size_t gap_allowance = kMaxGaps - std::min(kMaxGaps, rs.gap_count());
    if (!rs.on_data(offset, seg, 1 << 16, gap_allowance, sink).ok()) return;  // malformed header: clean error
    check(rs.gap_count() <= kMaxGaps, "out-of-order ranges stay within the allowance");
  }
  check(sink.bytes <= fed, "never delivers more than received");
}

struct Fixture {
  Fixture() {
    (void)crypto::init();
    const auto root = crypto::SigningKeyPair::generate();
    id_a = crypto::Identity::make(root, SteamID::individual(1), 1, unix_now_s() + 3600);
    id_b = crypto::Identity::make(root, SteamID::individual(2), 1, unix_now_s() + 3600);
    Config c;
    c.cookie_policy = CookiePolicy::never;
    a = Endpoint::create(c, id_a, 1).value();
    b = Endpoint::create(c, id_b, 2).value();
    conn_a = *a->connect(addr_b, now);
    for (int i = 0; i < 8; ++i) pump();
    while (auto e = b->poll_event()) {
      if (auto* cn = std::get_if<Connected>(&*e)) conn_b = cn->conn;
    }
    while (a->poll_event()) {
    }
  }
  void pump() {
    std::vector<std::uint8_t> buf(2048);
    while (auto t = a->poll_transmit(now, buf)) b->on_datagram(Bytes(buf).first(t->size), addr_a, now);
    while (auto t = b->poll_transmit(now, buf)) a->on_datagram(Bytes(buf).first(t->size), addr_b, now);
    now += ms(1);
    a->on_timer(now);
    b->on_timer(now);
  }
  crypto::Identity id_a, id_b;
  std::unique_ptr<Endpoint> a, b;
  Address addr_a = Address::loopback_v4(1), addr_b = Address::loopback_v4(2);
  Instant now = Instant{} + secs(1);
  ConnectionId conn_a = 0, conn_b = 0;
};

void fuzz_endpoint(Bytes data) {
  static Fixture fx;
  if (fx.conn_b == 0) return;  // handshake failed to set up: nothing to test
  ByteReader r(data);
  while (r.remaining() >= 2) {
    const std::size_t len = r.u16() % 1400;
    const Bytes chunk = r.take(std::min<std::size_t>(len, r.remaining()));
    std::vector<std::uint8_t> d(chunk.begin(), chunk.end());
    if (d.size() >= 5 && d[0] == 0x04) std::memcpy(d.data() + 1, &fx.conn_b, 4);  // little-endian hosts
    fx.b->on_datagram(d, fx.addr_a, fx.now);
  }
  std::vector<std::uint8_t> buf(2048);
  while (fx.b->poll_transmit(fx.now, buf)) {
  }
  while (auto e = fx.b->poll_event()) check(!std::holds_alternative<Closed>(*e), "garbage never closes the connection");
  Message m;
  while (fx.b->poll_message(m)) {
  }
  check(fx.b->connection_stats(fx.conn_b).ok(), "connection still alive");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in(data, size);
  fuzz_frames(in);
  fuzz_reassembly(in);
  fuzz_endpoint(in);
  return 0;
}
