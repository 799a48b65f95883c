// Bounds-checked little-endian reader and writer for every wire format in Kettle.
// Untrusted bytes only ever go through ByteReader: a read past the end sets a
// sticky failure flag and returns zeros, so parsers check once at the end
// (or at each decision point) instead of after every field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace kettle {

using Bytes = std::span<const std::uint8_t>;
using MutBytes = std::span<std::uint8_t>;

class ByteReader {
 public:
  explicit ByteReader(Bytes data) noexcept : data_(data) {}

  bool ok() const noexcept { return ok_; }
  bool empty() const noexcept { return pos_ >= data_.size(); }
  std::size_t remaining() const noexcept { return ok_ ? data_.size() - pos_ : 0; }
  std::size_t position() const noexcept { return pos_; }

  std::uint8_t u8() noexcept { return static_cast<std::uint8_t>(read_le(1)); }
  std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(read_le(2)); }
  std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(read_le(4)); }
  std::uint64_t u64() noexcept { return read_le(8); }
  // Unsigned LEB128-style varint (7 bits per byte, little-endian groups), at most 10 bytes.
  // Non-canonical encodings (trailing zero groups) are rejected so every value has one encoding.
  std::uint64_t varint() noexcept;

  // A view of the next n bytes (empty span and failure if fewer remain).
  Bytes take(std::size_t n) noexcept;
  // Copy exactly out.size() bytes.
  bool copy_to(MutBytes out) noexcept;
  // Everything not yet read.
  Bytes rest() noexcept { return take(remaining()); }
  void fail() noexcept { ok_ = false; }

 private:
  std::uint64_t read_le(std::size_t n) noexcept;
  Bytes data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

class ByteWriter {
 public:
  explicit ByteWriter(MutBytes buf) noexcept : buf_(buf) {}

  bool ok() const noexcept { return ok_; }
  std::size_t size() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return ok_ ? buf_.size() - pos_ : 0; }
  Bytes written() const noexcept { return buf_.first(pos_); }

  void u8(std::uint8_t v) noexcept { write_le(v, 1); }
  void u16(std::uint16_t v) noexcept { write_le(v, 2); }
  void u32(std::uint32_t v) noexcept { write_le(v, 4); }
  void u64(std::uint64_t v) noexcept { write_le(v, 8); }
  void varint(std::uint64_t v) noexcept;
  void bytes(Bytes b) noexcept;
  void zeros(std::size_t n) noexcept;
  // Reserve n bytes to fill later (e.g. a length); returns the offset or SIZE_MAX on failure.
  std::size_t skip(std::size_t n) noexcept;
  MutBytes at(std::size_t offset, std::size_t n) noexcept { return buf_.subspan(offset, n); }

  static constexpr std::size_t varint_size(std::uint64_t v) noexcept {
    std::size_t n = 1;
    while (v >= 0x80) {
      v >>= 7;
      ++n;
    }
    return n;
  }

 private:
  void write_le(std::uint64_t v, std::size_t n) noexcept;
  MutBytes buf_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

inline Bytes as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Little-endian store/load helpers for fixed offsets (used by hot paths after a length check).
inline void store_le64(std::uint8_t* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline std::uint64_t load_le64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline void store_le32(std::uint8_t* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline std::uint32_t load_le32(const std::uint8_t* p) noexcept {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace kettle
