// kettle-demo's traffic: every send type (0-3) on two channels, each message self-checking
// (bench/payload.hpp), so the receiving process verifies it without a copy from the sender.
//
// Streams. Per sender and channel there are three streams: unreliable (type 0), unreliable
// no-delay (type 1) and reliable (types 2 and 3 share one ordered sequence per channel, as
// they share the channel's ordering). A payload's seq field is (type << 56) | n, so the
// receiver learns the type from the message itself. Sizes are a function of (stream, n):
// unreliable 8..1200 B, type 3 small (8..256 B, Nagle coalesces them), type 2 8..4096 B with
// every 64th a 64-256 KiB message to exercise fragmentation under loss.
//
// After the send phase each channel gets a summary message (reliable, so it arrives after
// every reliable message of that channel) with the counts the receiver checks against.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "transport/endpoint.hpp"

namespace kettle::demo {

inline constexpr int kChannels = 2;
inline constexpr std::size_t kSummarySize = 32;

// Stream index for a send type: 0 = type 0, 1 = type 1, 2 = types 2 and 3.
constexpr int stream_of(transport::SendType t) noexcept {
  return t >= transport::SendType::reliable ? 2 : static_cast<int>(t);
}

std::uint64_t stream_seed(std::uint64_t run_seed, std::uint32_t sender, int channel, int stream) noexcept;
std::size_t message_size(transport::SendType type, std::uint64_t seed, std::uint64_t n) noexcept;

// Builds message n of (sender, channel, type) into `out` (resized).
void make_message(std::uint64_t run_seed, std::uint32_t sender, int channel, transport::SendType type, std::uint64_t n,
                  std::vector<std::uint8_t>& out);

struct Summary {
  std::uint64_t reliable = 0;                 // reliable messages (types 2+3) sent on the channel
  std::uint64_t unreliable_sent[2] = {0, 0};  // accepted sends of type 0 and type 1
};
void make_summary(const Summary& s, std::vector<std::uint8_t>& out);
std::optional<Summary> parse_summary(Bytes data) noexcept;

struct ChannelReport {
  std::uint64_t reliable_delivered = 0;
  std::uint64_t unreliable_delivered[2] = {0, 0};
  std::uint64_t failures = 0;  // corrupt, out of order, duplicated, unexpected, or after the summary
  std::optional<Summary> summary;

  // All reliable messages arrived in order and exactly; no unreliable duplicate or excess.
  bool verified() const noexcept;
};

// Verifies everything one peer receives from the other.
class TrafficVerifier {
 public:
  TrafficVerifier(std::uint64_t run_seed, std::uint32_t sender) noexcept : run_seed_(run_seed), sender_(sender) {}

  void on_message(int channel, bool reliable, Bytes data);
  bool complete() const noexcept;  // both channels' summaries arrived
  const std::array<ChannelReport, kChannels>& report() const noexcept { return report_; }
  bool verified() const noexcept;
  std::uint64_t stray_failures() const noexcept { return stray_; }

 private:
  std::uint64_t run_seed_;
  std::uint32_t sender_;
  std::array<ChannelReport, kChannels> report_{};
  std::array<std::uint64_t, kChannels> next_reliable_{};
  std::array<std::array<std::vector<bool>, 2>, kChannels> seen_{};  // unreliable seqs seen
  std::uint64_t stray_ = 0;                                         // messages on unknown channels
};

}  // namespace kettle::demo
