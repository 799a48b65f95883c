#include "transport/frames/frame.hpp"

#include <cstdio>
#include <string>

namespace kettle::transport {

std::string_view frame_type_name(FrameType t) noexcept {
  switch (t) {
#define KETTLE_X(name, value, doc) \
  case FrameType::name:            \
    return doc;
    KETTLE_FRAME_TABLE(KETTLE_X)
#undef KETTLE_X
  }
  return "UNKNOWN";
}

bool is_known_frame_type(std::uint8_t b) noexcept {
  switch (b) {
#define KETTLE_X(name, value, doc) case value:
    KETTLE_FRAME_TABLE(KETTLE_X)
#undef KETTLE_X
    return true;
    default:
      return false;
  }
}

Error frame_error(FrameType t, Errc code, std::string_view what) {
  std::string m(frame_type_name(t));
  m += ": ";
  m += what;
  return Error{code, std::move(m)};
}

std::size_t encoded_size(const Frame& f) noexcept {
  return std::visit([](const auto& x) { return encoded_size(x); }, f);
}

void encode(const Frame& f, ByteWriter& w) noexcept {
  std::visit([&](const auto& x) { encode(x, w); }, f);
}

namespace {
template <class T>
Result<Frame> lift(Result<T> r) {
  if (!r.ok()) return std::move(r).error();
  return Frame{std::move(r.value())};
}
}  // namespace

Result<Frame> decode_frame(ByteReader& r) {
  const std::uint8_t type = r.u8();
  if (!r.ok()) return make_error(Errc::truncated, "frame: empty");
  switch (static_cast<FrameType>(type)) {
    case FrameType::padding:
      return lift(decode_padding(r));
    case FrameType::ping:
      return Frame{PingFrame{}};
    case FrameType::ack:
      return lift(decode_ack(r));
    case FrameType::close:
      return lift(decode_close(r));
    case FrameType::datagram:
      return lift(decode_datagram(r));
    case FrameType::stream:
      return lift(decode_stream(r));
    case FrameType::window:
      return lift(decode_window(r));
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "unknown frame type 0x%02x", type);
  return make_error(Errc::malformed, buf);
}

}  // namespace kettle::transport
