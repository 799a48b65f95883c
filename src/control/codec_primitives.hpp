// Internal to src/control: the encodings every control body is built from (docs/protocol.md
// §12.3), shared by messages.cpp and lobby_codec.cpp. Encoders are templates over the writer:
// SizeCounter in the sizing pass, ByteWriter in the writing pass. Decoders report a cut input
// as `truncated` and anything else wrong as `malformed`, and check every length and count
// against its limit and the bytes left before allocating.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "control/messages.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/steam_id.hpp"

namespace kettle::control::detail {

// ---------------------------------------------------------------- encoding

// Same interface as the part of ByteWriter the encoders use; counts instead of writing.
class SizeCounter {
 public:
  void u8(std::uint8_t) noexcept { n_ += 1; }
  void u16(std::uint16_t) noexcept { n_ += 2; }
  void u32(std::uint32_t) noexcept { n_ += 4; }
  void u64(std::uint64_t) noexcept { n_ += 8; }
  void varint(std::uint64_t v) noexcept { n_ += ByteWriter::varint_size(v); }
  void bytes(Bytes b) noexcept { n_ += b.size(); }
  void add(std::size_t n) noexcept { n_ += n; }
  std::size_t size() const noexcept { return n_; }

 private:
  std::size_t n_ = 0;
};

template <class W>
void put_blob(W& w, Bytes b) {
  w.varint(b.size());
  w.bytes(b);
}
template <class W>
void put_str(W& w, std::string_view s) {
  put_blob(w, as_bytes(s));
}
template <class W>
void put_bool(W& w, bool b) {
  w.u8(b ? 1 : 0);
}
template <class W>
void put_steam_id(W& w, SteamID id) {
  w.u64(id.value());
}

// ---------------------------------------------------------------- decoding

inline Error truncated(std::string_view what) {
  return make_error(Errc::truncated, "control: " + std::string(what) + " truncated");
}
inline Error malformed(std::string_view what, std::string_view why) {
  return make_error(Errc::malformed, "control: " + std::string(what) + ": " + std::string(why));
}

inline Status need(const ByteReader& r, std::string_view what) {
  if (!r.ok()) return truncated(what);
  return {};
}

// ByteReader::varint() fails the same way for a short input and a non-canonical one; read byte
// by byte so a cut message is `truncated` and a bad encoding `malformed`.
inline Status get_varint(ByteReader& r, std::string_view what, std::uint64_t& out) {
  std::uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    const std::uint8_t b = r.u8();
    KETTLE_TRY(need(r, what));
    if (i == 9 && b > 1) return malformed(what, "varint overflows 64 bits");
    v |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      if (b == 0 && i > 0) return malformed(what, "non-canonical varint");
      out = v;
      return {};
    }
  }
  return malformed(what, "varint longer than 10 bytes");
}

// A length or count: over `max` is malformed, more than the bytes left (at `min_item` each) is
// truncated. Checked before any allocation.
inline Status get_count(ByteReader& r, std::string_view what, std::size_t max, std::size_t min_item, std::size_t& out) {
  std::uint64_t n = 0;
  KETTLE_TRY(get_varint(r, what, n));
  if (n > max) return malformed(what, std::to_string(n) + " over the limit of " + std::to_string(max));
  if (n * min_item > r.remaining()) return truncated(what);
  out = static_cast<std::size_t>(n);
  return {};
}

inline Status get_blob(ByteReader& r, std::string_view what, std::size_t max, std::vector<std::uint8_t>& out) {
  std::size_t n = 0;
  KETTLE_TRY(get_count(r, what, max, 1, n));
  const Bytes b = r.take(n);
  out.assign(b.begin(), b.end());
  return {};
}

inline Status get_str(ByteReader& r, std::string_view what, std::size_t max, std::string& out) {
  std::size_t n = 0;
  KETTLE_TRY(get_count(r, what, max, 1, n));
  const Bytes b = r.take(n);
  out.assign(reinterpret_cast<const char*>(b.data()), b.size());
  return {};
}

// A name that may be empty (meaning "none"); otherwise it must pass validate_name.
inline Status get_name(ByteReader& r, std::string_view what, std::size_t max, bool allow_empty, std::string& out) {
  KETTLE_TRY(get_str(r, what, max, out));
  if (out.empty() && allow_empty) return {};
  Status s = validate_name(out, max);
  if (!s.ok()) return malformed(what, s.error().message);
  return {};
}

inline Status get_bool(ByteReader& r, std::string_view what, bool& out) {
  const std::uint8_t v = r.u8();
  KETTLE_TRY(need(r, what));
  if (v > 1) return malformed(what, "boolean " + std::to_string(v));
  out = v == 1;
  return {};
}

inline Status get_steam_id(ByteReader& r, std::string_view what, SteamID& out) {
  out = SteamID(r.u64());
  return need(r, what);
}

}  // namespace kettle::control::detail
