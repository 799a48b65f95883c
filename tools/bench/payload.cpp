#include "bench/payload.hpp"

#include <bit>
#include <cstring>

namespace kettle::bench {
namespace {

constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

constexpr std::uint64_t mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Counter mode rather than a sequential generator: word i is independent of word i-1,
// so the loop has no carried dependency and runs at several GB/s (verification must
// never be what limits a loopback benchmark).
std::uint64_t stream_key(std::uint64_t seed, std::uint64_t seq) noexcept { return mix(seed ^ mix(seq + kGolden)); }

// Body words as native little-endian 8-byte moves: this loop runs over every benchmark byte
// twice (sender and receiver), so it must not be a byte-at-a-time loop.
static_assert(std::endian::native == std::endian::little, "payload words are stored little-endian");
inline void put_word(std::uint8_t* p, std::uint64_t v) noexcept { std::memcpy(p, &v, 8); }
inline std::uint64_t get_word(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

void fill_payload(std::uint64_t seed, std::uint64_t seq, MutBytes out) noexcept {
  if (out.size() < kPayloadHeaderSize) return;
  store_le64(out.data(), seq);
  const std::uint64_t key = stream_key(seed, seq);
  std::size_t pos = kPayloadHeaderSize;
  std::uint64_t i = 0;
  for (; pos + 8 <= out.size(); pos += 8, ++i) put_word(out.data() + pos, mix(key + i * kGolden));
  const std::uint64_t last = mix(key + i * kGolden);
  for (std::size_t b = 0; pos < out.size(); ++pos, ++b) out[pos] = static_cast<std::uint8_t>(last >> (8 * b));
}

bool check_payload(std::uint64_t seed, std::uint64_t seq, Bytes data) noexcept {
  if (data.size() < kPayloadHeaderSize || load_le64(data.data()) != seq) return false;
  const std::uint64_t key = stream_key(seed, seq);
  std::size_t pos = kPayloadHeaderSize;
  std::uint64_t i = 0;
  std::uint64_t diff = 0;  // accumulate instead of branching per word: keeps the loop tight
  for (; pos + 8 <= data.size(); pos += 8, ++i) diff |= get_word(data.data() + pos) ^ mix(key + i * kGolden);
  const std::uint64_t last = mix(key + i * kGolden);
  for (std::size_t b = 0; pos < data.size(); ++pos, ++b) {
    diff |= data[pos] ^ static_cast<std::uint8_t>(last >> (8 * b));
  }
  return diff == 0;
}

std::optional<std::uint64_t> payload_seq(Bytes data) noexcept {
  if (data.size() < kPayloadHeaderSize) return std::nullopt;
  return load_le64(data.data());
}

namespace {

void fill_marker(std::uint64_t magic, std::uint64_t value, MutBytes out) noexcept {
  if (out.size() < kEndMarkerSize) return;
  store_le64(out.data(), magic);
  store_le64(out.data() + 8, value);
}

std::optional<std::uint64_t> parse_marker(std::uint64_t magic, Bytes data) noexcept {
  if (data.size() != kEndMarkerSize || load_le64(data.data()) != magic) return std::nullopt;
  return load_le64(data.data() + 8);
}

}  // namespace

void fill_end_marker(std::uint64_t message_count, MutBytes out) noexcept { fill_marker(kEndMagic, message_count, out); }
std::optional<std::uint64_t> parse_end_marker(Bytes data) noexcept { return parse_marker(kEndMagic, data); }
void fill_done_marker(std::uint64_t failures, MutBytes out) noexcept { fill_marker(kDoneMagic, failures, out); }
std::optional<std::uint64_t> parse_done_marker(Bytes data) noexcept { return parse_marker(kDoneMagic, data); }

bool OrderedStreamVerifier::on_message(Bytes data) noexcept {
  if (finished_) {  // nothing may follow the end marker
    ++failures_;
    return false;
  }
  if (auto count = parse_end_marker(data)) {
    finished_ = true;
    if (*count == next_seq_) return true;
    ++failures_;
    return false;
  }
  // Advance even on failure so one corrupt message counts once, not once per later message.
  const bool ok = data.size() == message_size_ && check_payload(seed_, next_seq_, data);
  ++next_seq_;
  if (!ok) {
    ++failures_;
    return false;
  }
  ++verified_;
  bytes_ += data.size();
  return true;
}

}  // namespace kettle::bench
