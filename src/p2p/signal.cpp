#include "p2p/signal.hpp"

#include <string>

namespace kettle::p2p {
namespace {

constexpr std::size_t kAddressMax = 1 + 16 + 2;

void put_address(ByteWriter& w, const Address& a) {
  w.u8(static_cast<std::uint8_t>(a.family));
  if (a.family == Address::Family::v4) w.bytes(Bytes(a.ip).first(4));
  if (a.family == Address::Family::v6) w.bytes(Bytes(a.ip));
  if (a.family != Address::Family::none) w.u16(a.port);
}

Error malformed(std::string what) { return make_error(Errc::malformed, "p2p signal: " + what); }

}  // namespace

std::vector<std::uint8_t> encode(const Signal& s) {
  std::vector<std::uint8_t> out(1 + 8 + 1 + 1 + s.candidates.size() * kAddressMax);
  ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(s.kind));
  w.u64(s.session);
  if (s.kind == SignalKind::offer || s.kind == SignalKind::answer) {
    w.u8(s.flags);
    w.varint(s.candidates.size());
    for (const auto& a : s.candidates) put_address(w, a);
  }
  out.resize(w.size());
  return out;
}

Result<Signal> decode_signal(Bytes payload) {
  ByteReader r(payload);
  Signal s;
  const std::uint8_t kind = r.u8();
  s.session = r.u64();
  if (!r.ok()) return make_error(Errc::truncated, "p2p signal: truncated header");
  if (kind < 1 || kind > 4) return malformed("unknown kind " + std::to_string(kind));
  if (s.session == 0) return malformed("session 0");
  s.kind = static_cast<SignalKind>(kind);
  if (s.kind == SignalKind::offer || s.kind == SignalKind::answer) {
    s.flags = r.u8();
    const std::uint64_t n = r.varint();
    if (!r.ok()) return make_error(Errc::truncated, "p2p signal: truncated candidates");
    if (n > kMaxCandidates) return malformed(std::to_string(n) + " candidates (at most 8)");
    for (std::uint64_t i = 0; i < n; ++i) {
      Address a;
      const std::uint8_t family = r.u8();
      if (family == 4) {
        a.family = Address::Family::v4;
        r.copy_to(MutBytes(a.ip).first(4));
      } else if (family == 6) {
        a.family = Address::Family::v6;
        r.copy_to(MutBytes(a.ip));
      } else if (r.ok()) {
        return malformed("candidate address family " + std::to_string(family));
      }
      a.port = r.u16();
      if (!r.ok()) return make_error(Errc::truncated, "p2p signal: truncated candidate");
      if (a.port == 0) return malformed("candidate port 0");
      s.candidates.push_back(a);
    }
  }
  if (!r.empty()) return malformed("trailing bytes");
  return s;
}

std::array<std::uint8_t, kPunchSize> encode(const Punch& p) {
  std::array<std::uint8_t, kPunchSize> out{};
  ByteWriter w(out);
  w.u8(kPunchType);
  w.u8(1);
  w.u64(p.session);
  w.u8(p.pong ? 1 : 0);
  return out;
}

std::optional<Punch> decode_punch(Bytes datagram) {
  if (datagram.size() != kPunchSize || datagram[0] != kPunchType || datagram[1] != 1) return std::nullopt;
  ByteReader r(datagram.subspan(2));
  Punch p;
  p.session = r.u64();
  const std::uint8_t pong = r.u8();
  if (p.session == 0 || pong > 1) return std::nullopt;
  p.pong = pong == 1;
  return p;
}

}  // namespace kettle::p2p
