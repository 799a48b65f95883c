#include "steam_api_args.hpp"

#include <climits>
#include <cmath>
#include <string>

namespace kettle::agent {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid or truncated; *skip gets
// the maximal subpart to replace by one U+FFFD (Unicode's recommended practice).
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::size_t* skip) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  *skip = 1;
  if (b0 < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range allowed for the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  for (std::size_t k = 1; k < n; ++k) {
    if (i + k >= s.size()) return 0;
    const auto b = static_cast<unsigned char>(s[i + k]);
    const bool fits = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!fits) return 0;
    *skip = k + 1;
  }
  return n;
}

bool integral_double(double d, std::int64_t* out) {
  // 2^63 is exactly representable; anything at or above it does not fit int64.
  if (!std::isfinite(d) || d != std::trunc(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
  *out = static_cast<std::int64_t>(d);
  return true;
}

int saturate(std::int64_t v) {
  if (v < INT_MIN) return INT_MIN;
  if (v > INT_MAX) return INT_MAX;
  return static_cast<int>(v);
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t skip = 1;
    if (const std::size_t n = utf8_sequence(text, i, &skip); n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out.append(kReplacement);
      i += skip;
    }
  }
  return out;
}

std::string_view godot_type_name(const godot::Variant& v) {
  switch (v.type()) {
    case godot::Type::nil:
      return "null";
    case godot::Type::boolean:
      return "bool";
    case godot::Type::integer:
      return "int";
    case godot::Type::real:
      return "float";
    case godot::Type::string:
      return "String";
    default:
      return godot::type_name(v.type());
  }
}

std::string Call::label(std::size_t i, std::string_view param) const {
  return "argument " + std::to_string(i + 1) + " (" + std::string(param) + ")";
}

void Call::record(std::string msg, bool is_type) {
  if (is_type) type_error_ = true;
  if (error_.empty()) error_ = "Steam." + std::string(function_) + ": " + std::move(msg);
}

void Call::value_error(std::string_view what) { record(std::string(what), false); }

void Call::type_error(std::size_t i, std::string_view param, std::string_view want) {
  record(label(i, param) + " must be " + std::string(want) + ", got " + std::string(godot_type_name(args_[i])), true);
}

void Call::at_most(std::size_t n) {
  if (args_.size() > n) {
    record("takes at most " + std::to_string(n) + " argument" + (n == 1 ? "" : "s") + ", got " +
               std::to_string(args_.size()),
           true);
  }
}

const godot::Variant* Call::arg(std::size_t i, std::string_view param, bool optional) {
  if (i < args_.size()) return &args_[i];
  if (!optional) record(label(i, param) + " is missing", true);
  return nullptr;
}

std::int64_t Call::integer(std::size_t i, std::string_view param, std::optional<std::int64_t> def) {
  const godot::Variant* v = arg(i, param, def.has_value());
  if (v == nullptr) return def.value_or(0);
  if (const auto* p = v->as_int()) return *p;
  if (const auto* d = v->as_real()) {
    std::int64_t out = 0;
    if (integral_double(*d, &out)) return out;
    record(label(i, param) + " must be int, got float " + std::to_string(*d), true);
    return 0;
  }
  type_error(i, param, "int");
  return 0;
}

bool Call::boolean(std::size_t i, std::string_view param, std::optional<bool> def) {
  const godot::Variant* v = arg(i, param, def.has_value());
  if (v == nullptr) return def.value_or(false);
  if (const auto* b = v->as_bool()) return *b;
  if (const auto* p = v->as_int(); p != nullptr && (*p == 0 || *p == 1)) return *p == 1;
  type_error(i, param, "bool");
  return false;
}

std::string_view Call::text(std::size_t i, std::string_view param) {
  const godot::Variant* v = arg(i, param, false);
  if (v == nullptr) return {};
  if (const auto* s = v->as_string()) return *s;
  type_error(i, param, "String");
  return {};
}

std::span<const std::uint8_t> Call::bytes(std::size_t i, std::string_view param) {
  const godot::Variant* v = arg(i, param, false);
  if (v == nullptr) return {};
  if (const auto* b = v->as_bytes()) return *b;
  type_error(i, param, "PoolByteArray");
  return {};
}

int Call::int_in(std::size_t i, std::string_view param, int lo, int hi, std::optional<int> def) {
  const bool present = i < args_.size();
  const bool was_ok = types_ok();
  const std::int64_t v = integer(i, param, def);
  if (present && was_ok == types_ok() && (v < lo || v > hi)) {
    record(
        label(i, param) + " must be " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " + std::to_string(v),
        false);
  }
  return saturate(v);
}

int Call::int32(std::size_t i, std::string_view param, std::optional<int> def) {
  return int_in(i, param, INT_MIN, INT_MAX, def);
}

SteamID Call::user(std::size_t i, std::string_view param) {
  const bool was_ok = types_ok();
  const std::int64_t v = integer(i, param);
  const SteamID id(v < 0 ? 0 : static_cast<std::uint64_t>(v));
  if (was_ok == types_ok() && !id.BIndividualAccount())
    record(label(i, param) + " is not a user's Steam ID: " + std::to_string(v), false);
  return id;
}

SteamID Call::lobby(std::size_t i, std::string_view param) {
  const bool was_ok = types_ok();
  const std::int64_t v = integer(i, param);
  const SteamID id(v < 0 ? 0 : static_cast<std::uint64_t>(v));
  if (was_ok == types_ok() && !id.IsLobby())
    record(label(i, param) + " is not a lobby's Steam ID: " + std::to_string(v), false);
  return id;
}

}  // namespace kettle::agent
