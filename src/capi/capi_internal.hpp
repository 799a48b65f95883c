// What the C API's translation units share: the structs behind the opaque handles, the
// exception barrier, string copy-out. Not a public header.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>

#include "kettle/client.hpp"
#include "kettle/kettle.h"

struct kettle_client {
  std::unique_ptr<kettle::Client> client;
  // Set by a successful init, cleared by shutdown: tells KETTLE_ERR_NOT_INITIALIZED apart from
  // other failures (the C++ API only has failure values).
  std::atomic<bool> initialized{false};
  std::mutex callbacks_mu;  // guards `callbacks`; never held while a handler runs
  std::map<int, kettle::CallbackHandle> callbacks;
};

struct kettle_embedded_server {
  std::unique_ptr<kettle::EmbeddedServer> server;
  // Fixed for the server's life; kettle_embedded_server_configure hands out pointers to them.
  std::string address;
  std::string public_key;
  std::string http_address;
};

namespace kettle::capi {

// Runs f() and turns any exception into a kettle_result, so none crosses into C.
template <class F>
kettle_result guarded(F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return KETTLE_ERR_OUT_OF_MEMORY;
  } catch (...) {
    return KETTLE_ERR_INTERNAL;
  }
}

// Runs f() and returns `failure` (the Steam-style failure value) on any exception.
template <class T, class F>
T guarded_value(T failure, F&& f) noexcept {
  try {
    return f();
  } catch (...) {
    return failure;
  }
}

// The copy-out rule of kettle.h: *needed = size with NUL; a short buffer gets "" and
// KETTLE_ERR_BUFFER_TOO_SMALL.
kettle_result copy_out(std::string_view s, char* buf, std::size_t buf_size, std::size_t* needed) noexcept;

// Truncating copy for messages (kettle_client_init, kettle_embedded_server_start); NUL-terminated
// when buf_size > 0.
void copy_message(std::string_view s, char* buf, std::size_t buf_size) noexcept;

// The C++ ClientConfig for a C config already checked by the caller (non-NULL, struct_size).
ClientConfig to_client_config(const kettle_client_config& c);

inline bool ready(const kettle_client* c) noexcept {
  return c != nullptr && c->initialized.load(std::memory_order_acquire);
}

}  // namespace kettle::capi
