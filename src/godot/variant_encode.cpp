// encode(): Godot's encode_variant (core/io/marshalls.cpp) for both dialects, byte for byte:
// int32 when the value fits, float32 when it survives the round trip (NaN never does), every pad
// byte 0 (Godot 3.2.3 leaves NodePath pads uninitialised; we write 0). Values the engine would
// silently mangle (an int32 array element outside int32, a 3.x RID with an id) are refused.
#include <cmath>
#include <cstring>
#include <limits>

#include "godot/variant_internal.hpp"

namespace kettle::godot {

namespace {

std::size_t pad4(std::size_t n) { return (4 - n % 4) % 4; }

// What the FPU's conversion gives: a finite double past FLT_MAX rounds to FLT_MAX or to infinity
// (from FLT_MAX + half an ulp on). Spelled out because that C++ conversion is undefined.
float to_float(double d) {
  constexpr double kMax = std::numeric_limits<float>::max();
  constexpr double kInfFrom = 3.4028235677973366e38;  // 2^128 - 2^103
  if (std::isnan(d) || std::isinf(d) || std::fabs(d) <= kMax) return static_cast<float>(d);
  const float mag =
      std::fabs(d) >= kInfFrom ? std::numeric_limits<float>::infinity() : std::numeric_limits<float>::max();
  return d < 0 ? -mag : mag;
}

class Encoder {
 public:
  Encoder(Dialect d, std::vector<std::uint8_t>& out) : d_(d), out_(out) {}
  Status value(const Variant& v);

 private:
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v));
    u32(static_cast<std::uint32_t>(v >> 32));
  }
  void f32(double d) {
    const float f = to_float(d);
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    u32(bits);
  }
  void f64(double d) {
    std::uint64_t bits;
    std::memcpy(&bits, &d, 8);
    u64(bits);
  }
  void raw(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  void zeros(std::size_t n) { out_.insert(out_.end(), n, 0); }
  void string_body(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    raw(s);
    zeros(pad4(s.size()));
  }
  Status header(Type t, std::uint32_t flags = 0) {
    const auto id = detail::wire_id(t, d_);
    if (!id) return Error{Errc::unsupported, std::string(type_name(t)) + " does not exist in Godot 3"};
    u32(*id | flags);
    return {};
  }
  Status container_type(const ContainerType& t) {
    if (t.kind == ContainerType::Kind::builtin)
      u32(static_cast<std::uint32_t>(t.builtin));
    else if (t.kind != ContainerType::Kind::none)
      string_body(t.name);
    return {};
  }
  Status typed_in_godot3(const ContainerType& t) {
    if (d_ == Dialect::godot3 && t.kind != ContainerType::Kind::none)
      return Error{Errc::unsupported, "typed containers do not exist in Godot 3"};
    return {};
  }

  Dialect d_;
  std::vector<std::uint8_t>& out_;
};

bool fits_int32(std::int64_t i) {
  return i >= std::numeric_limits<std::int32_t>::min() && i <= std::numeric_limits<std::int32_t>::max();
}

// Godot: float32 when (double)(float)d == d. NaN fails that test; out-of-range values must not
// reach the conversion at all.
bool fits_float(double d) {
  if (std::isnan(d)) return false;
  if (std::isinf(d)) return true;
  if (std::fabs(d) > std::numeric_limits<float>::max()) return false;
  return static_cast<double>(static_cast<float>(d)) == d;
}

Status Encoder::value(const Variant& v) {
  const auto t = v.type();
  if (static_cast<std::size_t>(t) >= kTypeCount) return Error{Errc::invalid_argument, "bad Variant type"};
  switch (t) {
    case Type::nil:
      return header(t);
    case Type::boolean:
      KETTLE_TRY(header(t));
      u32(*v.as_bool() ? 1 : 0);
      return {};
    case Type::integer: {
      const auto i = *v.as_int();
      if (fits_int32(i)) {
        KETTLE_TRY(header(t));
        u32(static_cast<std::uint32_t>(i));
      } else {
        KETTLE_TRY(header(t, detail::kFlag64));
        u64(static_cast<std::uint64_t>(i));
      }
      return {};
    }
    case Type::real: {
      const auto d = *v.as_real();
      if (fits_float(d)) {
        KETTLE_TRY(header(t));
        f32(d);
      } else {
        KETTLE_TRY(header(t, detail::kFlag64));
        f64(d);
      }
      return {};
    }
    case Type::string:
    case Type::string_name:
      KETTLE_TRY(header(t));
      string_body(*v.as_string());
      return {};
    case Type::node_path: {
      KETTLE_TRY(header(t));
      const auto& p = *v.as_node_path();
      u32(static_cast<std::uint32_t>(p.names.size()) | 0x80000000u);
      u32(static_cast<std::uint32_t>(p.subnames.size()));
      u32(p.absolute ? 1 : 0);
      for (const auto& n : p.names) string_body(n);
      for (const auto& n : p.subnames) string_body(n);
      return {};
    }
    case Type::rid:
      KETTLE_TRY(header(t));
      if (d_ == Dialect::godot4)
        u64(v.id());
      else if (v.id() != 0)
        return Error{Errc::invalid_argument, "a Godot 3 RID carries no id (RID " + std::to_string(v.id()) + ")"};
      return {};
    case Type::object_id:
      // 4.x writes a null object as NIL; 3.x writes id 0.
      if (d_ == Dialect::godot4 && v.id() == 0) return header(Type::nil);
      KETTLE_TRY(header(t, detail::kFlag64));
      u64(v.id());
      return {};
    case Type::callable:
      return header(t);
    case Type::signal:
      KETTLE_TRY(header(t));
      string_body(v.as_signal()->name);
      u64(v.as_signal()->object_id);
      return {};
    case Type::array: {
      const auto et = v.element_type();
      KETTLE_TRY(typed_in_godot3(et));
      KETTLE_TRY(header(t, static_cast<std::uint32_t>(et.kind) << 16));
      KETTLE_TRY(container_type(et));
      const auto& a = *v.as_array();
      u32(static_cast<std::uint32_t>(a.size()));
      for (const auto& e : a) KETTLE_TRY(value(e));
      return {};
    }
    case Type::dictionary: {
      const auto kt = v.key_type(), vt = v.value_type();
      KETTLE_TRY(typed_in_godot3(kt));
      KETTLE_TRY(typed_in_godot3(vt));
      KETTLE_TRY(header(t, (static_cast<std::uint32_t>(kt.kind) << 16) | (static_cast<std::uint32_t>(vt.kind) << 18)));
      KETTLE_TRY(container_type(kt));
      KETTLE_TRY(container_type(vt));
      const auto& d = *v.as_dictionary();
      u32(static_cast<std::uint32_t>(d.size()));
      for (const auto& [key, val] : d) {
        KETTLE_TRY(value(key));
        KETTLE_TRY(value(val));
      }
      return {};
    }
    case Type::byte_array: {
      KETTLE_TRY(header(t));
      const auto& b = *v.as_bytes();
      u32(static_cast<std::uint32_t>(b.size()));
      out_.insert(out_.end(), b.begin(), b.end());
      zeros(pad4(b.size()));
      return {};
    }
    case Type::int32_array:
    case Type::int64_array: {
      KETTLE_TRY(header(t));
      const auto& a = *v.as_ints();
      u32(static_cast<std::uint32_t>(a.size()));
      for (auto i : a) {
        if (t == Type::int64_array) {
          u64(static_cast<std::uint64_t>(i));
        } else if (fits_int32(i)) {
          u32(static_cast<std::uint32_t>(i));
        } else {
          return Error{Errc::invalid_argument, std::string(type_name(t)) + " element " + std::to_string(i) +
                                                   " does not fit int32 (use int64_array in Godot 4)"};
        }
      }
      return {};
    }
    case Type::string_array: {
      KETTLE_TRY(header(t));
      const auto& a = *v.as_string_array();
      u32(static_cast<std::uint32_t>(a.size()));
      for (const auto& s : a) {  // length + 1, the text, a NUL, pad
        u32(static_cast<std::uint32_t>(s.size() + 1));
        raw(s);
        zeros(1 + pad4(s.size() + 1));
      }
      return {};
    }
    default:
      break;
  }
  if (is_int_math(t)) {
    KETTLE_TRY(header(t));
    for (auto i : *v.as_ints()) {
      if (!fits_int32(i)) return Error{Errc::invalid_argument, std::string(type_name(t)) + " field outside int32"};
      u32(static_cast<std::uint32_t>(i));
    }
    return {};
  }
  // Real math types, float arrays and vector/color arrays. 3.x: float32 always. 4.x: doubles
  // when the value is wide (a double-precision build's bytes); Color is float32 in every build.
  const auto& f = *v.as_reals();
  const bool wide =
      (d_ == Dialect::godot4 && v.wide() && t != Type::color && t != Type::color_array) || t == Type::float64_array;
  if (t == Type::float64_array || t == Type::float32_array) {
    KETTLE_TRY(header(t));
  } else {
    KETTLE_TRY(header(t, wide ? detail::kFlag64 : 0));
  }
  if (!is_real_math(t)) {
    const auto per = field_count(t) ? field_count(t) : 1;
    u32(static_cast<std::uint32_t>(f.size() / per));
  }
  for (double x : f) wide ? f64(x) : f32(x);
  return {};
}

}  // namespace

Status encode_append(const Variant& v, Dialect d, std::vector<std::uint8_t>& out) {
  if (d != Dialect::godot3 && d != Dialect::godot4)
    return Error{Errc::invalid_argument, "unknown dialect " + std::to_string(static_cast<int>(d))};
  const auto start = out.size();
  Encoder e(d, out);
  auto st = e.value(v);
  if (!st.ok()) out.resize(start);  // nothing half-written
  return st;
}

Result<std::vector<std::uint8_t>> encode(const Variant& v, Dialect d) {
  std::vector<std::uint8_t> out;
  KETTLE_TRY(encode_append(v, d, out));
  return out;
}

}  // namespace kettle::godot
