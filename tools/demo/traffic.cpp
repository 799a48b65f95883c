#include "demo/traffic.hpp"

#include "bench/payload.hpp"
#include "core/rng.hpp"

namespace kettle::demo {
namespace {

using transport::SendType;

constexpr std::uint64_t kSummaryMagic = 0x4d4d55534c54544bULL;  // "KTTLSUMM" little-endian
constexpr int kTypeShift = 56;
constexpr std::uint64_t kSeqMask = (1ULL << kTypeShift) - 1;
// Bound on an unreliable seq we track, so a corrupt header cannot make us allocate without limit.
constexpr std::uint64_t kMaxTrackedSeq = 1u << 24;

}  // namespace

std::uint64_t stream_seed(std::uint64_t run_seed, std::uint32_t sender, int channel, int stream) noexcept {
  Rng r(run_seed ^ (static_cast<std::uint64_t>(sender) << 32) ^ (static_cast<std::uint64_t>(channel) << 8) ^
        static_cast<std::uint64_t>(stream));
  return r.next();
}

std::size_t message_size(SendType type, std::uint64_t seed, std::uint64_t n) noexcept {
  Rng r(seed ^ (n * 0x9e3779b97f4a7c15ULL));
  switch (type) {
    case SendType::unreliable:
    case SendType::unreliable_no_delay:
      return r.range(8, transport::kMaxUnreliableSize);
    case SendType::reliable_buffered:
      return r.range(8, 256);
    case SendType::reliable:
      return n % 64 == 63 ? r.range(64 << 10, 256 << 10) : r.range(8, 4096);
  }
  return 8;
}

void make_message(std::uint64_t run_seed, std::uint32_t sender, int channel, SendType type, std::uint64_t n,
                  std::vector<std::uint8_t>& out) {
  const std::uint64_t seed = stream_seed(run_seed, sender, channel, stream_of(type));
  out.resize(message_size(type, seed, n));
  bench::fill_payload(seed, (static_cast<std::uint64_t>(type) << kTypeShift) | n, out);
}

void make_summary(const Summary& s, std::vector<std::uint8_t>& out) {
  out.resize(kSummarySize);
  store_le64(out.data(), kSummaryMagic);
  store_le64(out.data() + 8, s.reliable);
  store_le64(out.data() + 16, s.unreliable_sent[0]);
  store_le64(out.data() + 24, s.unreliable_sent[1]);
}

std::optional<Summary> parse_summary(Bytes data) noexcept {
  ByteReader r(data);
  if (data.size() != kSummarySize || r.u64() != kSummaryMagic) return std::nullopt;
  Summary s;
  s.reliable = r.u64();
  s.unreliable_sent[0] = r.u64();
  s.unreliable_sent[1] = r.u64();
  if (!r.ok()) return std::nullopt;
  return s;
}

bool ChannelReport::verified() const noexcept {
  if (failures != 0 || !summary || reliable_delivered != summary->reliable) return false;
  return unreliable_delivered[0] <= summary->unreliable_sent[0] &&
         unreliable_delivered[1] <= summary->unreliable_sent[1];
}

void TrafficVerifier::on_message(int channel, bool reliable, Bytes data) {
  if (channel < 0 || channel >= kChannels) {
    ++stray_;
    return;
  }
  ChannelReport& rep = report_[static_cast<std::size_t>(channel)];
  if (reliable) {
    if (auto s = parse_summary(data)) {
      if (rep.summary) ++rep.failures;  // a second summary
      rep.summary = s;
      return;
    }
  }
  const auto field = bench::payload_seq(data);
  const auto type_index = field ? (*field >> kTypeShift) : 4;
  if (!field || type_index > 3) {
    ++rep.failures;
    return;
  }
  const auto type = static_cast<SendType>(type_index);
  const std::uint64_t n = *field & kSeqMask;
  const bool type_reliable = type >= SendType::reliable;
  const std::uint64_t seed = stream_seed(run_seed_, sender_, channel, stream_of(type));
  const bool exact = data.size() == message_size(type, seed, n) && bench::check_payload(seed, *field, data);
  if (type_reliable != reliable || !exact) {
    ++rep.failures;
    return;
  }
  if (reliable) {
    // Ordered and complete: the next reliable message must be exactly the next in sequence,
    // and nothing may follow the summary.
    auto& next = next_reliable_[static_cast<std::size_t>(channel)];
    if (n != next || rep.summary) {
      ++rep.failures;
      return;
    }
    ++next;
    ++rep.reliable_delivered;
    return;
  }
  const int s = stream_of(type);
  auto& seen = seen_[static_cast<std::size_t>(channel)][static_cast<std::size_t>(s)];
  if (n >= kMaxTrackedSeq) {
    ++rep.failures;
    return;
  }
  if (seen.size() <= n) seen.resize(n + 1, false);
  if (seen[n]) {
    ++rep.failures;  // a duplicate
    return;
  }
  seen[n] = true;
  ++rep.unreliable_delivered[s];
}

bool TrafficVerifier::complete() const noexcept {
  for (const auto& r : report_) {
    if (!r.summary) return false;
  }
  return true;
}

bool TrafficVerifier::verified() const noexcept {
  if (stray_ != 0) return false;
  for (const auto& r : report_) {
    if (!r.verified()) return false;
  }
  return true;
}

}  // namespace kettle::demo
