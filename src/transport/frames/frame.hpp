// Frames carried inside a DATA packet's plaintext (docs/protocol.md §6). Every
// frame starts with its type byte. The types are declared once, in
// KETTLE_FRAME_TABLE; each frame's codec lives in its own file. Decoding is
// through ByteReader only, allocates nothing (byte fields are views into the
// packet) and reports errors naming the frame type. Every decodable frame
// re-encodes to exactly the bytes it came from (canonical encodings only).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace kettle::transport {

// X(enum name, wire value, doc name)
#define KETTLE_FRAME_TABLE(X)   \
  X(padding, 0x00, "PADDING")   \
  X(ping, 0x01, "PING")         \
  X(ack, 0x02, "ACK")           \
  X(close, 0x03, "CLOSE")       \
  X(datagram, 0x04, "DATAGRAM") \
  X(stream, 0x05, "STREAM")     \
  X(window, 0x06, "WINDOW")

enum class FrameType : std::uint8_t {
#define KETTLE_X(name, value, doc) name = value,
  KETTLE_FRAME_TABLE(KETTLE_X)
#undef KETTLE_X
};
std::string_view frame_type_name(FrameType t) noexcept;
bool is_known_frame_type(std::uint8_t b) noexcept;

// A run of zero bytes (decoded greedily: consecutive PADDING bytes are one frame).
struct PaddingFrame {
  std::size_t length = 1;
  friend bool operator==(const PaddingFrame&, const PaddingFrame&) = default;
};

// Elicits an ACK; used for keepalive, PTO probes and the responder's confirmation.
struct PingFrame {
  friend bool operator==(const PingFrame&, const PingFrame&) = default;
};

// Selective acknowledgement, QUIC style (§6.3). Ranges are inclusive and in
// descending order: ranges[0].largest == largest acknowledged.
struct AckFrame {
  static constexpr std::size_t kMaxRanges = 32;  // bounds per-ACK work on both sides
  struct Range {
    std::uint64_t smallest = 0;
    std::uint64_t largest = 0;
    friend bool operator==(const Range&, const Range&) = default;
  };
  std::uint64_t ack_delay_us = 0;
  std::size_t range_count = 0;  // ≥ 1
  std::array<Range, kMaxRanges> ranges{};

  std::uint64_t largest() const noexcept { return ranges[0].largest; }
  friend bool operator==(const AckFrame& a, const AckFrame& b) {
    if (a.ack_delay_us != b.ack_delay_us || a.range_count != b.range_count) return false;
    for (std::size_t i = 0; i < a.range_count; ++i)
      if (!(a.ranges[i] == b.ranges[i])) return false;
    return true;
  }
};

struct CloseFrame {
  static constexpr std::size_t kMaxMessageSize = 256;
  std::uint16_t reason = 0;    // CloseReason
  std::uint16_t app_code = 0;  // for reason == application
  std::string_view message;    // UTF-8, ≤ kMaxMessageSize bytes; views the packet
  friend bool operator==(const CloseFrame&, const CloseFrame&) = default;
};

// One whole unreliable message.
struct DatagramFrame {
  std::uint8_t channel = 0;
  Bytes data;
  friend bool operator==(const DatagramFrame& a, const DatagramFrame& b) {
    return a.channel == b.channel && std::equal(a.data.begin(), a.data.end(), b.data.begin(), b.data.end());
  }
};

// A contiguous byte range of a channel's reliable stream.
struct StreamFrame {
  static constexpr std::uint64_t kMaxOffset = std::uint64_t{1} << 62;  // offset + length stays below this
  std::uint8_t channel = 0;
  std::uint64_t offset = 0;
  Bytes data;
  friend bool operator==(const StreamFrame& a, const StreamFrame& b) {
    return a.channel == b.channel && a.offset == b.offset &&
           std::equal(a.data.begin(), a.data.end(), b.data.begin(), b.data.end());
  }
};

// The sender's receive bound (max_recv_buffer_bytes): the peer's flow window for
// stream data sent to us (docs/protocol.md §7.6).
struct WindowFrame {
  std::uint64_t max_recv_buffer_bytes = 0;
  friend bool operator==(const WindowFrame&, const WindowFrame&) = default;
};

using Frame = std::variant<PaddingFrame, PingFrame, AckFrame, CloseFrame, DatagramFrame, StreamFrame, WindowFrame>;

// Per-frame codecs (frames/<name>.cpp). decode_* is called with the type byte already consumed.
std::size_t encoded_size(const PaddingFrame& f) noexcept;
void encode(const PaddingFrame& f, ByteWriter& w) noexcept;
Result<PaddingFrame> decode_padding(ByteReader& r);

std::size_t encoded_size(const PingFrame& f) noexcept;
void encode(const PingFrame& f, ByteWriter& w) noexcept;

std::size_t encoded_size(const AckFrame& f) noexcept;
void encode(const AckFrame& f, ByteWriter& w) noexcept;
Result<AckFrame> decode_ack(ByteReader& r);

std::size_t encoded_size(const CloseFrame& f) noexcept;
void encode(const CloseFrame& f, ByteWriter& w) noexcept;
Result<CloseFrame> decode_close(ByteReader& r);

std::size_t encoded_size(const DatagramFrame& f) noexcept;
void encode(const DatagramFrame& f, ByteWriter& w) noexcept;
Result<DatagramFrame> decode_datagram(ByteReader& r);
// Header only (type, channel, length); the caller writes the payload.
std::size_t datagram_header_size(std::size_t len) noexcept;
void encode_datagram_header(std::uint8_t channel, std::size_t len, ByteWriter& w) noexcept;

std::size_t encoded_size(const StreamFrame& f) noexcept;
void encode(const StreamFrame& f, ByteWriter& w) noexcept;
Result<StreamFrame> decode_stream(ByteReader& r);
std::size_t stream_header_size(std::uint64_t offset, std::size_t len) noexcept;
void encode_stream_header(std::uint8_t channel, std::uint64_t offset, std::size_t len, ByteWriter& w) noexcept;

std::size_t encoded_size(const WindowFrame& f) noexcept;
void encode(const WindowFrame& f, ByteWriter& w) noexcept;
Result<WindowFrame> decode_window(ByteReader& r);

// Any frame.
std::size_t encoded_size(const Frame& f) noexcept;
void encode(const Frame& f, ByteWriter& w) noexcept;
// Reads one frame. Errors: truncated / malformed (message starts with the frame
// name), or malformed "unknown frame type 0x.." for a type outside the table.
Result<Frame> decode_frame(ByteReader& r);

// Shared helper for error messages: "<FRAME>: <what>".
Error frame_error(FrameType t, Errc code, std::string_view what);

}  // namespace kettle::transport
