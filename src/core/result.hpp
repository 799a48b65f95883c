// Errors as values: every fallible core function returns Result<T>.
// Why not exceptions: the transport runs on hot paths and across a C API later;
// a value type keeps the failure visible at every call site.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kettle {

// One flat list of error kinds shared by all layers. Each layer adds detail in
// Error::message; code is what callers branch on.
enum class Errc : int {
  ok = 0,
  invalid_argument,  // caller passed a value outside the documented range
  too_large,         // payload or buffer exceeds a documented limit
  would_block,       // resource bound reached (queue full); retry later
  truncated,         // input ended before a complete structure
  malformed,         // input is complete but violates the format
  unsupported,       // version/suite/feature we do not speak
  auth_failed,       // signature, certificate or AEAD tag check failed
  replayed,          // packet number already seen or too old
  expired,           // certificate or cookie out of its validity window
  not_connected,     // operation needs an established connection
  closed,            // connection closed (locally or by peer)
  timed_out,         // peer silent past the configured timeout
  io,                // OS-level failure (errno in message)
  internal,          // invariant violated inside Kettle (a bug)
};

std::string_view errc_name(Errc c) noexcept;

struct Error {
  Errc code = Errc::internal;
  std::string message;

  Error() = default;
  Error(Errc c, std::string msg = {}) : code(c), message(std::move(msg)) {}
  std::string to_string() const;
};

inline Error make_error(Errc c, std::string msg = {}) { return Error{c, std::move(msg)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}
  Result(Errc c, std::string msg = {}) : v_(std::in_place_index<1>, Error{c, std::move(msg)}) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }
  Errc code() const noexcept { return ok() ? Errc::ok : std::get<1>(v_).code; }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}
  Result(Errc c, std::string msg = {}) : err_{c, std::move(msg)}, ok_(false) {}

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const& {
    assert(!ok_);
    return err_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(err_);
  }
  Errc code() const noexcept { return ok_ ? Errc::ok : err_.code; }

 private:
  Error err_{};
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace kettle

// Propagate an error from an expression returning Result<...>.
#define KETTLE_TRY(expr)                                              \
  do {                                                                \
    auto&& kettle_try_r_ = (expr);                                    \
    if (!kettle_try_r_.ok()) return std::move(kettle_try_r_).error(); \
  } while (0)
