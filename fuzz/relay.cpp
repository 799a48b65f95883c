// libFuzzer target for kettle-server's relay (docs/protocol.md §13.2): every datagram to the
// relay port comes from the network. A table holds two allocations; the input is a sequence of
// records, each a datagram from one of four source addresses, optionally with a real allocation
// id and token spliced in (a fuzzer cannot guess 16 random bytes). A model of the rule checks:
//  1. a datagram is accepted only with a member's token, and then records its source address;
//  2. what is forwarded is exactly 0x11 | 1 | id | payload, goes to the other member's last
//     recorded address, and only for an accepted datagram with a payload;
//  3. an accepted datagram with a payload and a bound peer that is not forwarded is counted
//     as rate-limited; nothing else is.
//
// Record: ctl u8 | len u8 | len bytes. ctl bits 0-2: splice (0 none, 1-4 allocation A/B ×
// member 0/1, 5 A's id with B's token); bits 3-4: source address; bits 5-6: advance the clock by
// 0, 1 ms, 100 ms or 1 s; ctl 0xff: A's member 0 session ends (drop_owner).
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "crypto/keys.hpp"
#include "server/relay/relay_table.hpp"

using namespace kettle;
using namespace kettle::server::relay;

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

struct ModelAllocation {
  std::uint64_t id = 0;
  std::array<control::RelayToken, 2> token{};
  std::array<Address, 2> addr{};
  bool live = true;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool sodium_ok = crypto::init().ok();
  check(sodium_ok, "libsodium init");
  RelayTable table(RelayLimits{20'000, secs(3600), 4});
  Instant now = Instant{} + secs(10);
  std::array<ModelAllocation, 2> model;
  for (std::size_t i = 0; i < 2; ++i) {
    auto g = table.allocate(10 * (i + 1), 10 * (i + 1) + 1, now);
    check(g.ok(), "allocate");
    model[i].id = g->allocation;
    model[i].token = {g->token0, g->token1};
  }
  const std::array<Address, 4> sources = {Address::v4(0x0A000001, 1), Address::v4(0x0A000002, 2),
                                          Address::v4(0x0A000003, 3), Address::v4(0x0A000004, 4)};
  std::array<std::uint8_t, kMaxForwardBytes> out{};
  std::vector<std::uint8_t> d;

  std::size_t pos = 0;
  while (pos + 2 <= size) {
    const std::uint8_t ctl = data[pos];
    const std::size_t len = std::min<std::size_t>(data[pos + 1], size - pos - 2);
    d.assign(data + pos + 2, data + pos + 2 + len);
    pos += 2 + len;
    if (ctl == 0xff) {
      table.drop_owner(10);
      model[0].live = false;
      continue;
    }
    static constexpr Duration kSteps[] = {Duration::zero(), ms(1), ms(100), secs(1)};
    now += kSteps[(ctl >> 5) & 3];
    const Address& from = sources[(ctl >> 3) & 3];
    // Splice a real id and token: the payload is what follows a 26-byte header.
    const int splice = ctl & 7;
    if (splice >= 1 && splice <= 5 && d.size() >= kToRelayHeaderBytes) {
      const ModelAllocation& id_of = model[splice == 5 ? 0 : (splice - 1) / 2];
      const ModelAllocation& token_of = model[splice == 5 ? 1 : (splice - 1) / 2];
      const int member = splice == 5 ? 0 : (splice - 1) % 2;
      d[0] = kToRelay;
      d[1] = kRelayVersion;
      store_le64(d.data() + 2, id_of.id);
      std::memcpy(d.data() + 10, token_of.token[member].data(), control::kRelayTokenBytes);
    }

    // What the model expects.
    ModelAllocation* a = nullptr;
    int member = -1;
    if (d.size() >= kToRelayHeaderBytes && d[0] == kToRelay && d[1] == kRelayVersion &&
        d.size() - kToRelayHeaderBytes <= kMaxRelayPayload) {
      const std::uint64_t id = load_le64(d.data() + 2);
      for (auto& m : model) {
        if (m.live && m.id == id) a = &m;
      }
      for (int i = 0; a != nullptr && i < 2; ++i) {
        if (std::memcmp(d.data() + 10, a->token[i].data(), control::kRelayTokenBytes) == 0) member = i;
      }
    }
    const std::uint64_t limited_before = table.counters().dropped[static_cast<std::size_t>(Drop::rate_limited)];
    const auto f = table.on_datagram(d, from, now, out);
    const std::uint64_t limited_after = table.counters().dropped[static_cast<std::size_t>(Drop::rate_limited)];
    const bool accepted = member >= 0;
    if (accepted) a->addr[member] = from;
    const bool wants_forward = accepted && d.size() > kToRelayHeaderBytes && a->addr[1 - member].is_set();
    if (f) {
      check(wants_forward, "forwarded only an accepted datagram with a payload to a bound peer");
      check(f->to == a->addr[1 - member], "forwarded to the other member's last address");
      check(f->size == kFromRelayHeaderBytes + d.size() - kToRelayHeaderBytes, "forwarded size");
      check(out[0] == kFromRelay && out[1] == kRelayVersion && load_le64(out.data() + 2) == a->id, "0x11 header");
      check(std::memcmp(out.data() + kFromRelayHeaderBytes, d.data() + kToRelayHeaderBytes,
                        d.size() - kToRelayHeaderBytes) == 0,
            "payload forwarded unchanged");
      check(limited_after == limited_before, "a forward is not counted as rate-limited");
    } else {
      check(limited_after == limited_before + (wants_forward ? 1 : 0), "a withheld forward is rate-limited");
    }
  }
  check(table.live() == (model[0].live ? 2u : 1u), "live allocations");
  return 0;
}
