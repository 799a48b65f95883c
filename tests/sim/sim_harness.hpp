// Shared pieces for simulator tests: identities, endpoint creation, and
// self-checking message streams (content and size are functions of
// (seed, channel, index), so the receiver verifies order, exactness and
// exactly-once delivery without storing what was sent).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/bytes.hpp"
#include "core/rng.hpp"
#include "core/time.hpp"
#include "crypto/certificate.hpp"
#include "crypto/keys.hpp"
#include "sim/network.hpp"
#include "transport/endpoint.hpp"

namespace kettle::sim::testing {

inline const crypto::SigningKeyPair& test_root() {
  static const crypto::SigningKeyPair root = [] {
    EXPECT_TRUE(crypto::init().ok());
    std::array<std::uint8_t, 32> seed{};
    seed[0] = 0x5e;
    return crypto::SigningKeyPair::from_seed(seed);
  }();
  return root;
}

inline std::unique_ptr<transport::Endpoint> make_endpoint(std::uint32_t account, std::uint64_t seed,
                                                          const transport::Config& cfg = {}) {
  const auto id = crypto::Identity::make(test_root(), SteamID::individual(account), 480, unix_now_s() + 3600);
  auto ep = transport::Endpoint::create(cfg, id, seed);
  EXPECT_TRUE(ep.ok()) << (ep.ok() ? "" : ep.error().to_string());
  return std::move(*ep);
}

// Two endpoints joined by default links: sender at 10.0.0.1, receiver at 10.0.0.2.
struct TwoNodes {
  Network net;
  Address a = Address::v4(0x0A000001, 1000), b = Address::v4(0x0A000002, 2000);
  transport::Endpoint& sender;
  transport::Endpoint& receiver;

  TwoNodes(std::uint64_t net_seed, std::uint64_t endpoint_seed, const transport::Config& cfg = {})
      : net(net_seed),
        sender(net.add_node(a, make_endpoint(1, endpoint_seed * 2 + 1, cfg))),
        receiver(net.add_node(b, make_endpoint(2, endpoint_seed * 2 + 2, cfg))) {}
};

// Message sizes: mostly small, some medium, a few large, always including the
// boundaries 1 B and 1 MiB (see the note in soak_test.cpp).
inline std::size_t message_size(std::uint64_t seed, int channel, std::uint64_t index) {
  if (index == 0) return 1;
  if (index == 1) return transport::kMaxReliableSize;
  Rng r(seed * 1000003 + static_cast<std::uint64_t>(channel) * 7919 + index);
  const auto bucket = r.below(100);
  if (bucket < 1) return r.range(64 * 1024, transport::kMaxReliableSize);
  if (bucket < 11) return r.range(1201, 64 * 1024);
  return r.range(1, 1200);
}

inline void fill_message(std::uint64_t seed, int channel, std::uint64_t index, std::vector<std::uint8_t>& out) {
  out.resize(message_size(seed, channel, index));
  Rng r(seed ^ (static_cast<std::uint64_t>(channel) << 56) ^ (index * 0x9e3779b97f4a7c15ULL));
  std::size_t i = 0;
  for (; i + 8 <= out.size(); i += 8) store_le64(out.data() + i, r.next());
  const auto v = r.next();
  for (int b = 0; i < out.size(); ++b) out[i++] = static_cast<std::uint8_t>(v >> (8 * b));
}

// Receiver-side checker for one channel's reliable stream.
struct StreamChecker {
  std::uint64_t seed;
  int channel;
  std::uint64_t next_index = 0;
  std::uint64_t failures = 0;
  std::vector<std::uint8_t> expected;

  void on_message(const std::vector<std::uint8_t>& data) {
    fill_message(seed, channel, next_index, expected);
    if (data != expected) {
      if (failures++ < 5)
        ADD_FAILURE() << "channel " << channel << " message " << next_index << ": got " << data.size()
                      << " bytes, expected " << expected.size() << " (seed " << seed << ")";
    }
    ++next_index;
  }
};

}  // namespace kettle::sim::testing
