#include "core/bytes.hpp"

namespace kettle {

std::uint64_t ByteReader::read_le(std::size_t n) noexcept {
  if (!ok_ || data_.size() - pos_ < n) {
    ok_ = false;
    return 0;
  }
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(data_[pos_ + i]) << (8 * i);
  pos_ += n;
  return v;
}

std::uint64_t ByteReader::varint() noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    if (!ok_ || pos_ >= data_.size()) {
      ok_ = false;
      return 0;
    }
    const std::uint8_t b = data_[pos_++];
    if (i == 9 && b > 1) {  // would overflow 64 bits
      ok_ = false;
      return 0;
    }
    v |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      if (b == 0 && i > 0) {  // non-canonical: a trailing zero group
        ok_ = false;
        return 0;
      }
      return v;
    }
  }
  ok_ = false;
  return 0;
}

Bytes ByteReader::take(std::size_t n) noexcept {
  if (!ok_ || data_.size() - pos_ < n) {
    ok_ = false;
    return {};
  }
  Bytes out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

bool ByteReader::copy_to(MutBytes out) noexcept {
  Bytes in = take(out.size());
  if (!ok_) return false;
  if (!in.empty()) std::memcpy(out.data(), in.data(), in.size());
  return true;
}

void ByteWriter::write_le(std::uint64_t v, std::size_t n) noexcept {
  if (!ok_ || buf_.size() - pos_ < n) {
    ok_ = false;
    return;
  }
  for (std::size_t i = 0; i < n; ++i) buf_[pos_ + i] = static_cast<std::uint8_t>(v >> (8 * i));
  pos_ += n;
}

void ByteWriter::varint(std::uint64_t v) noexcept {
  if (!ok_ || buf_.size() - pos_ < varint_size(v)) {
    ok_ = false;
    return;
  }
  while (v >= 0x80) {
    buf_[pos_++] = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  buf_[pos_++] = static_cast<std::uint8_t>(v);
}

void ByteWriter::bytes(Bytes b) noexcept {
  if (!ok_ || buf_.size() - pos_ < b.size()) {
    ok_ = false;
    return;
  }
  if (!b.empty()) std::memcpy(buf_.data() + pos_, b.data(), b.size());
  pos_ += b.size();
}

void ByteWriter::zeros(std::size_t n) noexcept {
  if (!ok_ || buf_.size() - pos_ < n) {
    ok_ = false;
    return;
  }
  std::memset(buf_.data() + pos_, 0, n);
  pos_ += n;
}

std::size_t ByteWriter::skip(std::size_t n) noexcept {
  if (!ok_ || buf_.size() - pos_ < n) {
    ok_ = false;
    return SIZE_MAX;
  }
  const std::size_t at = pos_;
  pos_ += n;
  return at;
}

}  // namespace kettle
