// Godot's PoolByteArray/PackedByteArray compress(), decompress() and decompress_dynamic() for the
// GZIP and DEFLATE modes, byte-exact with the engine (zlib, same parameters), so a C++ game or
// tool can read and write what GDScript's compress() makes. See src/godot/README.md ("compress").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"

namespace kettle::godot {

// Godot's File.COMPRESSION_* / FileAccess.COMPRESSION_* numbers (the same in 3.x and 4.x).
// brotli (4) is Godot 4's, decompress only; Kettle implements deflate and gzip.
enum class CompressionMode : int { fastlz = 0, deflate = 1, zstd = 2, gzip = 3, brotli = 4 };

// decompress_dynamic() never returns more than this, whatever max_output_size says: Godot's
// "-1 = no limit" would let a few hundred bytes from a peer expand into gigabytes.
inline constexpr std::size_t kMaxDynamicOutput = 64u << 20;

// decompress()'s buffer_size is clamped to this, the largest PoolByteArray Godot 3 can hold.
inline constexpr std::size_t kMaxDecompressBuffer = 0x7fffffff;

// compress(): empty input -> empty output (as the engine). gzip = zlib deflateInit2(level 6,
// Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) with header 1f8b0800 00000000 0003; deflate = a zlib
// stream (789c..., Adler-32), not raw deflate. fastlz, zstd and brotli: Errc::unsupported; a
// number that is no mode at all: Errc::invalid_argument.
Result<std::vector<std::uint8_t>> compress(std::span<const std::uint8_t> in, CompressionMode mode);

// Godot 3's decompress(buffer_size, mode). buffer_size <= 0: invalid_argument. A result larger
// than buffer_size: too_large (the engine returns an empty array). The result has its real size.
// A bad CRC/Adler-32, wrong mode or garbage: malformed; input ending early (also empty input):
// truncated; a zlib preset dictionary: unsupported. Bytes after the first stream are ignored.
// Memory follows the real output, never buffer_size: a claimed 2^40 costs nothing.
Result<std::vector<std::uint8_t>> decompress(std::span<const std::uint8_t> in, std::int64_t buffer_size,
                                             CompressionMode mode);

// decompress_dynamic(max_output_size, mode) (Godot 3.4+/4.x). Negative = no limit (the engine
// treats every negative value so), but Kettle still stops at kMaxDynamicOutput: a result larger
// than min(max_output_size, kMaxDynamicOutput) is too_large, found without allocating past that
// limit. Empty input: truncated. Other errors as decompress().
Result<std::vector<std::uint8_t>> decompress_dynamic(std::span<const std::uint8_t> in, std::int64_t max_output_size,
                                                     CompressionMode mode);

namespace detail {
// The inflate loop behind both decompress functions, writing into a caller-owned vector so tests
// can see how much it allocated. out's capacity never exceeds max(limit, its capacity before).
// On error out is empty (capacity kept).
Status inflate_limited(std::span<const std::uint8_t> in, std::size_t limit, CompressionMode mode,
                       std::vector<std::uint8_t>& out);
}  // namespace detail

}  // namespace kettle::godot
