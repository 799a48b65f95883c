// decode(): Godot's decode_variant (core/io/marshalls.cpp, 3.2.3 and 4.x) for untrusted bytes.
// It accepts what the engine accepts (the 64-bit form of small ints, junk in header bits 8-15,
// nonzero pad bytes, bit 31 of container counts, a PoolByteArray whose last pad bytes are missing)
// and fails where the engine fails, with the engine's error name in the message. On top of the
// engine's checks: a nesting limit, a limit on values created, and no count is believed before the
// bytes left could hold that many elements, so nothing is reserved on a header's word alone.
#include <cstring>
#include <unordered_map>

#include "godot/variant_internal.hpp"

namespace kettle::godot {

namespace {

// Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF). Godot 3.2.3 is laxer
// about surrogates; no engine writes them, so refusing them costs nothing and keeps text sane.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<std::uint8_t>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0, min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (s.size() - i - 1 < n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<std::uint8_t>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

std::size_t pad4(std::size_t n) { return (4 - n % 4) % 4; }

class Decoder {
 public:
  Decoder(std::span<const std::uint8_t> in, Dialect d, const DecodeLimits& lim)
      : in_(in.first(std::min(in.size(), lim.max_bytes))), clipped_(in.size() > lim.max_bytes), d_(d), lim_(lim) {}

  Result<Variant> value(std::size_t depth);
  std::size_t position() const { return pos_; }

 private:
  std::size_t left() const { return in_.size() - pos_; }

  // The input ended inside a value: ERR_INVALID_DATA in the engine (ERR_FILE_EOF for strings).
  Error short_input(std::string_view what, std::size_t need, std::string_view code = "ERR_INVALID_DATA") const {
    if (clipped_)
      return {Errc::too_large,
              std::string(what) + " runs past DecodeLimits::max_bytes (" + std::to_string(lim_.max_bytes) + " bytes)"};
    return {Errc::truncated, std::string(code) + ": " + std::string(what) + " needs " + std::to_string(need) +
                                 " bytes at offset " + std::to_string(pos_) + ", " + std::to_string(left()) + " left"};
  }
  Status need(std::size_t n, std::string_view what) const {
    if (left() < n) return short_input(what, n);
    return {};
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= std::uint32_t{in_[pos_ + i]} << (8 * i);
    pos_ += 4;
    return v;
  }
  std::uint64_t u64() {
    const std::uint64_t lo = u32();
    return lo | (std::uint64_t{u32()} << 32);
  }
  double f32() {
    const auto bits = u32();
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  double f64() {
    const auto bits = u64();
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  // Room for n more values; checked before a container reserves, counted as they are made.
  Status room_for(std::size_t n) const {
    if (n > lim_.max_values || values_ > lim_.max_values - n)
      return Error{Errc::too_large,
                   "more than DecodeLimits::max_values (" + std::to_string(lim_.max_values) + ") values"};
    return {};
  }
  Status count_values(std::size_t n) {
    KETTLE_TRY(room_for(n));
    values_ += n;
    return {};
  }

  Result<std::string> string_body(std::string_view what);
  Result<std::uint32_t> element_count(std::size_t elem_size, std::string_view what);
  Result<ContainerType> container_type(std::uint32_t kind, std::string_view what);
  Result<Variant> reals(Type t, bool wide, std::string_view what);
  Result<Variant> packed(Type t, std::uint32_t header);
  Result<Variant> array(std::uint32_t header, std::size_t depth);
  Result<Variant> dictionary(std::uint32_t header, std::size_t depth);

  std::span<const std::uint8_t> in_;
  bool clipped_;
  Dialect d_;
  const DecodeLimits& lim_;
  std::size_t pos_ = 0;
  std::size_t values_ = 0;
};

// _decode_string: u32 length, UTF-8 bytes, pad bytes that must be present (their value is not
// checked). Like the engine's parse_utf8 the text ends at the first NUL: that is how a
// PoolStringArray's "length + 1 with NUL" strings and plain ones both decode.
Result<std::string> Decoder::string_body(std::string_view what) {
  KETTLE_TRY(need(4, what));
  const auto len = u32();
  if (len > 0x7fffffffu) return Error{Errc::malformed, "ERR_FILE_EOF: " + std::string(what) + " has a negative length"};
  if (len + pad4(len) > left()) return short_input(what, len + pad4(len), "ERR_FILE_EOF");
  std::string_view text(reinterpret_cast<const char*>(in_.data() + pos_), len);
  pos_ += len + pad4(len);
  text = text.substr(0, text.find('\0'));
  if (!valid_utf8(text))
    return Error{Errc::malformed, "ERR_INVALID_DATA: " + std::string(what) + " is not valid UTF-8"};
  return std::string(text);
}

// A packed array's element count, believed only if the bytes left can hold that many elements.
Result<std::uint32_t> Decoder::element_count(std::size_t elem_size, std::string_view what) {
  KETTLE_TRY(need(4, what));
  const auto n = u32();
  if (n > 0x7fffffffu)
    return Error{Errc::malformed, "ERR_INVALID_DATA: " + std::string(what) + " has a negative count"};
  if (n > left() / elem_size)
    return short_input(std::string(what) + " of " + std::to_string(n) + " elements", std::size_t{n} * elem_size);
  return n;
}

Result<ContainerType> Decoder::container_type(std::uint32_t kind, std::string_view what) {
  ContainerType t;
  t.kind = static_cast<ContainerType::Kind>(kind);
  if (t.kind == ContainerType::Kind::builtin) {
    KETTLE_TRY(need(4, what));
    const auto id = u32();
    if (id >= kTypeCount)
      return Error{Errc::malformed,
                   "ERR_INVALID_DATA: " + std::string(what) + " has unknown type id " + std::to_string(id)};
    t.builtin = static_cast<Type>(id);
  } else if (t.kind != ContainerType::Kind::none) {
    auto name = string_body(what);
    if (!name.ok()) return std::move(name).error();
    t.name = std::move(*name);
  }
  return t;
}

Result<Variant> Decoder::reals(Type t, bool wide, std::string_view what) {
  const std::size_t n = field_count(t), size = wide ? 8 : 4;
  KETTLE_TRY(need(n * size, what));
  std::vector<double> f(n);
  for (auto& x : f) x = wide ? f64() : f32();
  return Variant::math(t, f, wide);
}

Result<Variant> Decoder::packed(Type t, std::uint32_t header) {
  const auto what = type_name(t);
  switch (t) {
    case Type::byte_array: {
      auto n = element_count(1, what);
      if (!n.ok()) return std::move(n).error();
      std::vector<std::uint8_t> b(in_.begin() + pos_, in_.begin() + pos_ + *n);
      // The engine counts the pad bytes without checking that they are there.
      pos_ += *n + std::min(pad4(*n), left() - *n);
      return Variant::bytes(std::move(b));
    }
    case Type::int32_array:
    case Type::int64_array: {
      const std::size_t size = t == Type::int32_array ? 4 : 8;
      auto n = element_count(size, what);
      if (!n.ok()) return std::move(n).error();
      std::vector<std::int64_t> v(*n);
      for (auto& x : v) x = size == 4 ? static_cast<std::int32_t>(u32()) : static_cast<std::int64_t>(u64());
      return t == Type::int32_array ? Variant::int_array(std::move(v)) : Variant::int64_array(std::move(v));
    }
    case Type::float32_array:
    case Type::float64_array: {
      const bool wide = t == Type::float64_array;
      auto n = element_count(wide ? 8 : 4, what);
      if (!n.ok()) return std::move(n).error();
      std::vector<double> v(*n);
      for (auto& x : v) x = wide ? f64() : f32();
      return wide ? Variant::float64_array(std::move(v)) : Variant::float32_array(std::move(v));
    }
    case Type::string_array: {
      auto n = element_count(4, what);
      if (!n.ok()) return std::move(n).error();
      KETTLE_TRY(count_values(*n));
      std::vector<std::string> v;
      v.reserve(*n);
      for (std::uint32_t i = 0; i < *n; ++i) {
        auto s = string_body(what);
        if (!s.ok()) return std::move(s).error();
        v.push_back(std::move(*s));
      }
      return Variant::string_array(std::move(v));
    }
    default: {  // vector2/3/4 and color arrays
      const bool wide = d_ == Dialect::godot4 && t != Type::color_array && (header & detail::kFlag64);
      const std::size_t fields = field_count(t), size = wide ? 8 : 4;
      auto n = element_count(fields * size, what);
      if (!n.ok()) return std::move(n).error();
      std::vector<double> v(std::size_t{*n} * fields);
      for (auto& x : v) x = wide ? f64() : f32();
      return Variant::vector_array(t, std::move(v), wide);
    }
  }
}

Result<Variant> Decoder::array(std::uint32_t header, std::size_t depth) {
  ContainerType et;
  if (d_ == Dialect::godot4) {
    auto t = container_type((header >> 16) & 3, "typed Array element type");
    if (!t.ok()) return std::move(t).error();
    et = std::move(*t);
  }
  KETTLE_TRY(need(4, "Array count"));
  const auto n = u32() & 0x7fffffffu;
  if (n > left() / 4) return short_input("Array of " + std::to_string(n) + " elements", std::size_t{n} * 4);
  KETTLE_TRY(room_for(n));
  Array items;
  items.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    auto e = value(depth + 1);
    if (!e.ok()) return std::move(e).error();
    items.push_back(std::move(*e));
  }
  return Variant::array(std::move(items), std::move(et));
}

Result<Variant> Decoder::dictionary(std::uint32_t header, std::size_t depth) {
  ContainerType kt, vt;
  if (d_ == Dialect::godot4) {
    auto k = container_type((header >> 16) & 3, "typed Dictionary key type");
    if (!k.ok()) return std::move(k).error();
    auto v = container_type((header >> 18) & 3, "typed Dictionary value type");
    if (!v.ok()) return std::move(v).error();
    kt = std::move(*k);
    vt = std::move(*v);
  }
  KETTLE_TRY(need(4, "Dictionary count"));
  const auto n = u32() & 0x7fffffffu;
  if (n > left() / 8) return short_input("Dictionary of " + std::to_string(n) + " entries", std::size_t{n} * 8);
  KETTLE_TRY(room_for(std::size_t{n} * 2));
  Dictionary items;
  items.reserve(n);
  // d[key] = value in the engine: a repeated key keeps its first place and takes the last value.
  std::unordered_multimap<std::size_t, std::size_t> index;
  for (std::uint32_t i = 0; i < n; ++i) {
    auto k = value(depth + 1);
    if (!k.ok()) return std::move(k).error();
    auto v = value(depth + 1);
    if (!v.ok()) return std::move(v).error();
    const auto h = hash_value(*k);
    bool replaced = false;
    for (auto [it, end] = index.equal_range(h); it != end; ++it) {
      if (items[it->second].first == *k) {
        items[it->second].second = std::move(*v);
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      index.emplace(h, items.size());
      items.emplace_back(std::move(*k), std::move(*v));
    }
  }
  return Variant::dictionary(std::move(items), std::move(kt), std::move(vt));
}

Result<Variant> Decoder::value(std::size_t depth) {
  if (depth > lim_.max_depth)
    return Error{Errc::too_large,
                 "nested deeper than DecodeLimits::max_depth (" + std::to_string(lim_.max_depth) + ")"};
  KETTLE_TRY(count_values(1));
  KETTLE_TRY(need(4, "Variant header"));
  const auto header = u32();
  const auto id = header & 0xffu;  // bits 8-15 are ignored, as by the engine
  Type t;
  if (d_ == Dialect::godot3) {
    if (id >= detail::kGodot3Types.size())
      return Error{Errc::malformed, "ERR_INVALID_DATA: unknown Godot 3 type id " + std::to_string(id)};
    t = detail::kGodot3Types[id];
  } else {
    if (id >= kTypeCount)
      return Error{Errc::malformed, "ERR_INVALID_DATA: unknown Godot 4 type id " + std::to_string(id)};
    t = static_cast<Type>(id);
  }
  const bool flag64 = header & detail::kFlag64;
  const auto what = type_name(t);

  switch (t) {
    case Type::nil:
      return Variant{};
    case Type::boolean:
      KETTLE_TRY(need(4, what));
      return Variant::boolean(u32() != 0);
    case Type::integer:
      KETTLE_TRY(need(flag64 ? 8 : 4, what));
      return Variant::integer(flag64 ? static_cast<std::int64_t>(u64()) : static_cast<std::int32_t>(u32()));
    case Type::real:
      KETTLE_TRY(need(flag64 ? 8 : 4, what));
      return Variant::real(flag64 ? f64() : f32());
    case Type::string:
    case Type::string_name: {
      auto s = string_body(what);
      if (!s.ok()) return std::move(s).error();
      return t == Type::string ? Variant::string(std::move(*s)) : Variant::string_name(std::move(*s));
    }
    case Type::vector2i:
    case Type::rect2i:
    case Type::vector3i:
    case Type::vector4i: {
      std::vector<std::int32_t> f(field_count(t));
      KETTLE_TRY(need(f.size() * 4, what));
      for (auto& x : f) x = static_cast<std::int32_t>(u32());
      return Variant::int_math(t, f);
    }
    case Type::node_path: {
      KETTLE_TRY(need(4, what));
      if (!(in_[pos_ + 3] & 0x80))
        return Error{Errc::malformed, "ERR_INVALID_DATA: NodePath in the pre-3.0 layout (no bit 31 in its name count)"};
      KETTLE_TRY(need(12, what));
      const auto names = u32() & 0x7fffffffu;
      auto subnames = std::uint64_t{u32()};
      const auto flags = u32();
      if (flags & 2) ++subnames;  // obsolete layout: the property was a separate, extra subname
      const auto total = names + subnames;
      if (total > left() / 4) return short_input("NodePath of " + std::to_string(total) + " names", total * 4);
      KETTLE_TRY(count_values(total));
      NodePath p;
      p.absolute = flags & 1;
      for (std::uint64_t i = 0; i < total; ++i) {
        auto s = string_body("NodePath name");
        if (!s.ok()) return std::move(s).error();
        (i < names ? p.names : p.subnames).push_back(std::move(*s));
      }
      return Variant::node_path(std::move(p));
    }
    case Type::rid:
      if (d_ == Dialect::godot3) return Variant::rid(0);  // 3.x writes no payload
      KETTLE_TRY(need(8, what));
      return Variant::rid(u64());
    case Type::object_id:
      if (!flag64)
        return Error{Errc::unsupported,
                     "ERR_UNAUTHORIZED: a full Object is never decoded (bytes2var without allow_objects)"};
      if (!lim_.allow_object_ids) return Error{Errc::unsupported, "ERR_UNAUTHORIZED: Object ids are not allowed here"};
      KETTLE_TRY(need(8, what));
      {
        const auto oid = u64();
        // 4.x writes a null object as NIL, so its id 0 reads as nil too (3.x writes id 0 itself).
        if (oid == 0 && d_ == Dialect::godot4) return Variant{};
        return Variant::object_id(oid);
      }
    case Type::callable:
      return Variant::callable();
    case Type::signal: {
      auto name = string_body("Signal name");
      if (!name.ok()) return std::move(name).error();
      KETTLE_TRY(need(8, what));
      return Variant::signal({std::move(*name), u64()});
    }
    case Type::dictionary:
      return dictionary(header, depth);
    case Type::array:
      return array(header, depth);
    case Type::color:
      return reals(t, false, what);  // always float32, in both dialects
    default:
      if (is_real_math(t)) return reals(t, d_ == Dialect::godot4 && flag64, what);
      return packed(t, header);
  }
}

}  // namespace

Result<Variant> decode(std::span<const std::uint8_t> in, Dialect d, const DecodeLimits& limits, std::size_t* used) {
  if (d != Dialect::godot3 && d != Dialect::godot4)
    return Error{Errc::invalid_argument, "unknown dialect " + std::to_string(static_cast<int>(d))};
  Decoder dec(in, d, limits);
  auto v = dec.value(0);
  if (v.ok() && used) *used = dec.position();
  return v;
}

}  // namespace kettle::godot
