// kettle_result_string and the string copy-out helpers every part of the C API uses.
#include <algorithm>
#include <cstring>

#include "capi/capi_internal.hpp"

extern "C" const char* kettle_result_string(kettle_result r) {
  switch (r) {
    case KETTLE_OK:
      return "ok";
    case KETTLE_ERR_INVALID_ARGUMENT:
      return "invalid argument";
    case KETTLE_ERR_NOT_INITIALIZED:
      return "client not initialized";
    case KETTLE_ERR_BUFFER_TOO_SMALL:
      return "buffer too small";
    case KETTLE_ERR_OUT_OF_MEMORY:
      return "out of memory";
    case KETTLE_ERR_NOT_LOGGED_ON:
      return "not logged on";
    case KETTLE_ERR_SERVER_START:
      return "embedded server could not start";
    case KETTLE_ERR_INTERNAL:
      return "internal error";
  }
  return "unknown kettle_result";
}

namespace kettle::capi {

kettle_result copy_out(std::string_view s, char* buf, std::size_t buf_size, std::size_t* needed) noexcept {
  if (needed != nullptr) *needed = s.size() + 1;
  if (buf == nullptr && buf_size > 0) return KETTLE_ERR_INVALID_ARGUMENT;
  if (buf_size < s.size() + 1) {
    if (buf_size > 0) buf[0] = '\0';
    return KETTLE_ERR_BUFFER_TOO_SMALL;
  }
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  return KETTLE_OK;
}

void copy_message(std::string_view s, char* buf, std::size_t buf_size) noexcept {
  if (buf == nullptr || buf_size == 0) return;
  std::size_t n = std::min(s.size(), buf_size - 1);
  // Cut at a character boundary: a truncated message is still valid UTF-8.
  if (n < s.size()) {
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  }
  std::memcpy(buf, s.data(), n);
  buf[n] = '\0';
}

}  // namespace kettle::capi
