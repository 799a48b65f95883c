#include "core/result.hpp"

namespace kettle {

std::string_view errc_name(Errc c) noexcept {
  switch (c) {
    case Errc::ok:
      return "ok";
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::too_large:
      return "too_large";
    case Errc::would_block:
      return "would_block";
    case Errc::truncated:
      return "truncated";
    case Errc::malformed:
      return "malformed";
    case Errc::unsupported:
      return "unsupported";
    case Errc::auth_failed:
      return "auth_failed";
    case Errc::replayed:
      return "replayed";
    case Errc::expired:
      return "expired";
    case Errc::not_connected:
      return "not_connected";
    case Errc::closed:
      return "closed";
    case Errc::timed_out:
      return "timed_out";
    case Errc::io:
      return "io";
    case Errc::internal:
      return "internal";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string s{errc_name(code)};
  if (!message.empty()) {
    s += ": ";
    s += message;
  }
  return s;
}

}  // namespace kettle
