// Argument checking for SteamApi: reads one GodotSteam call's Variant arguments the way Godot
// converts them for a native method (an int may come as a float with an integral value, a bool
// as int 0/1) and records what was wrong in the words the game prints:
//   "Steam.getLobbyData: argument 1 (steam_lobby_id) must be int, got String".
// Getters never fail loudly: on a bad or missing argument they return a harmless value and the
// call's handler checks ok() before it touches the client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "godot/variant.hpp"
#include "kettle/types.hpp"

namespace kettle::agent {

// `text` with every invalid UTF-8 sequence replaced by U+FFFD (a Godot String must be valid).
std::string valid_utf8(std::string_view text);

class Call {
 public:
  Call(std::string_view function, const godot::Array& args) : function_(function), args_(args) {}

  std::string_view function() const noexcept { return function_; }
  std::size_t count() const noexcept { return args_.size(); }

  // No error of any kind was recorded.
  bool ok() const noexcept { return error_.empty(); }
  // Every argument had the right type and was present (value errors such as an invalid id may
  // still have been recorded): the few functions that must reach the client even with a bad
  // value (joinLobby, createLobby: their signal reports the failure) test this instead of ok().
  bool types_ok() const noexcept { return !type_error_; }
  const std::string& error() const noexcept { return error_; }

  // Required (no default) or optional arguments, 0-based index; `param` is GodotSteam's name.
  std::int64_t integer(std::size_t i, std::string_view param, std::optional<std::int64_t> def = std::nullopt);
  bool boolean(std::size_t i, std::string_view param, std::optional<bool> def = std::nullopt);
  std::string_view text(std::size_t i, std::string_view param);
  std::span<const std::uint8_t> bytes(std::size_t i, std::string_view param);

  // An int in [lo, hi]; outside it a value error, and the value is returned saturated to int's
  // range (so it stays invalid if a handler passes it on).
  int int_in(std::size_t i, std::string_view param, int lo, int hi, std::optional<int> def = std::nullopt);
  // An int that must fit a C int (values GodotSteam narrows to int).
  int int32(std::size_t i, std::string_view param, std::optional<int> def = std::nullopt);

  // Steam IDs: a user's (individual account) or a lobby's. A well-typed but invalid id (0,
  // negative, the other kind) is a value error; the id is still returned (negatives as 0).
  SteamID user(std::size_t i, std::string_view param);
  SteamID lobby(std::size_t i, std::string_view param);

  // At most `n` arguments (a longer call is refused like Godot's "Invalid call").
  void at_most(std::size_t n);
  void value_error(std::string_view what);  // "Steam.<function>: <what>"
  void fail(std::string_view what) { value_error(what); }

 private:
  const godot::Variant* arg(std::size_t i, std::string_view param, bool optional);
  void type_error(std::size_t i, std::string_view param, std::string_view want);
  void record(std::string msg, bool is_type);
  std::string label(std::size_t i, std::string_view param) const;

  std::string_view function_;
  const godot::Array& args_;
  std::string error_;
  bool type_error_ = false;
};

// The Godot name of a value's type, for error texts ("String", "float", "null").
std::string_view godot_type_name(const godot::Variant& v);

}  // namespace kettle::agent
