#include "godot/compress.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <string>

namespace kettle::godot {
namespace {

// zlib counts in uInt; anything longer is handed over in pieces of this size.
constexpr std::size_t kZlibMaxPiece = UINT_MAX;
// First output allocation of inflate_limited (unless the limit is smaller); grows by doubling.
constexpr std::size_t kFirstChunk = 16u << 10;

Error unsupported(const char* which) {
  return make_error(Errc::unsupported, std::string("compression mode ") + which +
                                           " is not supported by Kettle, only DEFLATE (1) and GZIP (3)");
}

// The engine's numbers for the two zlib modes: DEFLATE is a zlib stream (window bits 15),
// GZIP the same deflate data in a gzip wrapper (15 + 16).
Result<int> window_bits(CompressionMode mode) {
  switch (mode) {
    case CompressionMode::deflate:
      return 15;
    case CompressionMode::gzip:
      return 15 + 16;
    case CompressionMode::fastlz:
      return unsupported("FASTLZ (0)");
    case CompressionMode::zstd:
      return unsupported("ZSTD (2)");
    case CompressionMode::brotli:
      return unsupported("BROTLI (4, Godot 4, decompress only)");
  }
  return make_error(Errc::invalid_argument, "unknown compression mode " + std::to_string(static_cast<int>(mode)) +
                                                " (Godot's modes are 0-4; Kettle implements DEFLATE 1 and GZIP 3)");
}

const char* mode_name(CompressionMode mode) { return mode == CompressionMode::gzip ? "GZIP" : "DEFLATE"; }

struct Deflater {
  z_stream s{};
  bool live = false;
  ~Deflater() {
    if (live) deflateEnd(&s);
  }
};

struct Inflater {
  z_stream s{};
  bool live = false;
  ~Inflater() {
    if (live) inflateEnd(&s);
  }
};

// Hands zlib the next piece of the input once it has used up the previous one.
void refill(z_stream& s, std::span<const std::uint8_t> in, std::size_t& fed) {
  if (s.avail_in != 0 || fed == in.size()) return;
  const std::size_t n = std::min(in.size() - fed, kZlibMaxPiece);
  // zlib's next_in is not const-qualified (unless ZLIB_CONST) but is never written through.
  s.next_in = const_cast<Bytef*>(in.data() + fed);
  s.avail_in = static_cast<uInt>(n);
  fed += n;
}

// Grows out (size == capacity == total so far) to the next step, never past limit: reserve()
// first so the vector does not round its capacity up on its own.
void grow(std::vector<std::uint8_t>& out, std::size_t limit, std::size_t input_size) {
  const std::size_t step = out.empty() ? std::max(kFirstChunk, input_size * 2) : out.size() * 2;
  const std::size_t next = std::min(limit, std::max(step, out.size() + 1));
  out.reserve(next);
  out.resize(next);
}

}  // namespace

Result<std::vector<std::uint8_t>> compress(std::span<const std::uint8_t> in, CompressionMode mode) {
  auto bits = window_bits(mode);
  if (!bits.ok()) return std::move(bits).error();
  std::vector<std::uint8_t> out;
  if (in.empty()) return out;  // the engine returns an empty array, not an empty stream

  Deflater z;
  // Godot's defaults (zlib and gzip compression_level settings): Z_DEFAULT_COMPRESSION = 6.
  if (deflateInit2(&z.s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, *bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return make_error(Errc::internal, "zlib deflateInit2 failed");
  }
  z.live = true;
  // Like the engine: one buffer of deflateBound() and one deflate(Z_FINISH), so the bytes are the
  // engine's (zlib's output does not depend on this, but there is no reason to differ).
  out.resize(deflateBound(&z.s, static_cast<uLong>(in.size())));
  std::size_t fed = 0;
  std::size_t total = 0;
  for (;;) {
    refill(z.s, in, fed);
    if (total == out.size()) out.resize(out.size() * 2);  // deflateBound makes this unreachable
    const std::size_t room = std::min(out.size() - total, kZlibMaxPiece);
    z.s.next_out = out.data() + total;
    z.s.avail_out = static_cast<uInt>(room);
    const int rc = deflate(&z.s, fed == in.size() ? Z_FINISH : Z_NO_FLUSH);
    total += room - z.s.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return make_error(Errc::internal, "zlib deflate failed (" + std::to_string(rc) + ")");
    }
  }
  out.resize(total);
  return out;
}

namespace detail {

Status inflate_limited(std::span<const std::uint8_t> in, std::size_t limit, CompressionMode mode,
                       std::vector<std::uint8_t>& out) {
  out.clear();
  auto bits = window_bits(mode);
  if (!bits.ok()) return std::move(bits).error();

  Inflater z;
  if (inflateInit2(&z.s, *bits) != Z_OK) return make_error(Errc::internal, "zlib inflateInit2 failed");
  z.live = true;

  std::size_t fed = 0;
  std::size_t total = 0;
  // Once out holds limit bytes, one more byte of room decides between "ends exactly here" and
  // "too large" without allocating past limit.
  std::uint8_t probe = 0;
  for (;;) {
    refill(z.s, in, fed);
    bool probing = false;
    if (total == out.size()) {
      if (total >= limit) {
        probing = true;
      } else {
        grow(out, limit, in.size());
      }
    }
    const std::size_t room = probing ? 1 : std::min(out.size() - total, kZlibMaxPiece);
    z.s.next_out = probing ? &probe : out.data() + total;
    z.s.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&z.s, Z_NO_FLUSH);
    const std::size_t produced = room - z.s.avail_out;
    if (probing && produced != 0) {
      out.clear();
      return make_error(Errc::too_large, "decompressed data exceeds " + std::to_string(limit) + " bytes");
    }
    total += produced;
    switch (rc) {
      case Z_STREAM_END:  // anything after the first stream (a second gzip member) is ignored
        out.resize(total);
        return {};
      case Z_OK:
        continue;
      case Z_BUF_ERROR:  // no progress: either out is full (grow or probe next) or the input ended
        if (z.s.avail_out == 0) continue;
        out.clear();
        return make_error(Errc::truncated, std::string(mode_name(mode)) + " data ends before the end of the stream");
      case Z_NEED_DICT:
        out.clear();
        return make_error(Errc::unsupported, "zlib stream needs a preset dictionary (Godot never writes one)");
      case Z_DATA_ERROR:
        out.clear();
        return make_error(Errc::malformed, std::string("not valid ") + mode_name(mode) +
                                               " data: " + (z.s.msg != nullptr ? z.s.msg : "corrupt stream"));
      case Z_MEM_ERROR:
        out.clear();
        return make_error(Errc::internal, "zlib inflate ran out of memory");
      default:
        out.clear();
        return make_error(Errc::internal, "zlib inflate failed (" + std::to_string(rc) + ")");
    }
  }
}

}  // namespace detail

namespace {

// A small result would otherwise keep the first 16 KiB chunk for as long as the caller holds it;
// big results are within 2x already (doubling), so they are never copied here.
void trim(std::vector<std::uint8_t>& out) {
  if (out.capacity() > out.size() * 2 + 4096) out.shrink_to_fit();
}

}  // namespace

Result<std::vector<std::uint8_t>> decompress(std::span<const std::uint8_t> in, std::int64_t buffer_size,
                                             CompressionMode mode) {
  // The engine checks the size before anything else ("Decompression buffer size must be greater than zero").
  if (buffer_size <= 0) {
    return make_error(Errc::invalid_argument,
                      "decompress: buffer_size must be greater than zero (got " + std::to_string(buffer_size) + ")");
  }
  // Godot 3 casts buffer_size to a 32-bit int; Kettle takes it as a limit, clamped to what a
  // PoolByteArray can hold, instead of wrapping it around.
  const std::size_t limit = std::min(static_cast<std::uint64_t>(buffer_size), std::uint64_t{kMaxDecompressBuffer});
  std::vector<std::uint8_t> out;
  auto st = detail::inflate_limited(in, limit, mode, out);
  if (!st.ok()) {
    if (st.code() == Errc::too_large) {
      return make_error(Errc::too_large, "decompress: the decompressed data is larger than buffer_size (" +
                                             std::to_string(limit) + " bytes); the engine returns an empty array");
    }
    return make_error(st.code(), "decompress: " + st.error().message);
  }
  trim(out);
  return out;
}

Result<std::vector<std::uint8_t>> decompress_dynamic(std::span<const std::uint8_t> in, std::int64_t max_output_size,
                                                     CompressionMode mode) {
  auto bits = window_bits(mode);
  if (!bits.ok()) return std::move(bits).error();
  if (in.empty()) return make_error(Errc::truncated, "decompress_dynamic: the compressed input is empty");
  const bool capped = max_output_size < 0 || static_cast<std::uint64_t>(max_output_size) > kMaxDynamicOutput;
  const std::size_t limit = capped ? kMaxDynamicOutput : static_cast<std::size_t>(max_output_size);
  std::vector<std::uint8_t> out;
  auto st = detail::inflate_limited(in, limit, mode, out);
  if (!st.ok()) {
    if (st.code() == Errc::too_large) {
      return make_error(Errc::too_large,
                        capped ? "decompress_dynamic: the decompressed data exceeds Kettle's limit of " +
                                     std::to_string(kMaxDynamicOutput) + " bytes (kMaxDynamicOutput)"
                               : "decompress_dynamic: the decompressed data is larger than max_output_size (" +
                                     std::to_string(limit) + " bytes)");
    }
    return make_error(st.code(), "decompress_dynamic: " + st.error().message);
  }
  trim(out);
  return out;
}

}  // namespace kettle::godot
