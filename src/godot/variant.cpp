// Variant: construction, access, equality, hashing and a var2str-like text form.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "godot/variant_internal.hpp"

namespace kettle::godot {

namespace {

constexpr std::string_view kTypeNames[kTypeCount] = {"Nil",
                                                     "bool",
                                                     "int",
                                                     "float",
                                                     "String",
                                                     "Vector2",
                                                     "Vector2i",
                                                     "Rect2",
                                                     "Rect2i",
                                                     "Vector3",
                                                     "Vector3i",
                                                     "Transform2D",
                                                     "Vector4",
                                                     "Vector4i",
                                                     "Plane",
                                                     "Quaternion",
                                                     "AABB",
                                                     "Basis",
                                                     "Transform3D",
                                                     "Projection",
                                                     "Color",
                                                     "StringName",
                                                     "NodePath",
                                                     "RID",
                                                     "Object",
                                                     "Callable",
                                                     "Signal",
                                                     "Dictionary",
                                                     "Array",
                                                     "PackedByteArray",
                                                     "PackedInt32Array",
                                                     "PackedInt64Array",
                                                     "PackedFloat32Array",
                                                     "PackedFloat64Array",
                                                     "PackedStringArray",
                                                     "PackedVector2Array",
                                                     "PackedVector3Array",
                                                     "PackedColorArray",
                                                     "PackedVector4Array"};

bool same_real(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

bool same_reals(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_real(a[i], b[i])) return false;
  return true;
}

std::size_t mix(std::size_t h, std::size_t v) { return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)); }

std::size_t hash_real(double d) {
  if (std::isnan(d)) return 0x7ff8;
  if (d == 0.0) d = 0.0;  // -0.0 == 0.0, so they must hash alike
  return std::hash<double>{}(d);
}

// Shortest text that reads back exactly (Godot 4's var_to_str does the same).
std::string real_text(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[40];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  std::string s = buf;
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string container_type_text(const ContainerType& t) {
  switch (t.kind) {
    case ContainerType::Kind::none:
      return "";
    case ContainerType::Kind::builtin:
      return std::string(type_name(t.builtin));
    case ContainerType::Kind::class_name:
      return t.name;
    case ContainerType::Kind::script:
      return "Script(" + quoted(t.name) + ")";
  }
  return "";
}

}  // namespace

std::string_view type_name(Type t) noexcept {
  const auto i = static_cast<std::size_t>(t);
  return i < kTypeCount ? kTypeNames[i] : std::string_view("?");
}

bool exists_in(Type t, Dialect d) noexcept {
  if (static_cast<std::size_t>(t) >= kTypeCount) return false;
  return d == Dialect::godot4 || detail::wire_id(t, d).has_value();
}

std::size_t field_count(Type t) noexcept {
  switch (t) {
    case Type::vector2:
    case Type::vector2i:
    case Type::vector2_array:
      return 2;
    case Type::vector3:
    case Type::vector3i:
    case Type::vector3_array:
      return 3;
    case Type::rect2:
    case Type::rect2i:
    case Type::vector4:
    case Type::vector4i:
    case Type::plane:
    case Type::quaternion:
    case Type::color:
    case Type::color_array:
    case Type::vector4_array:
      return 4;
    case Type::transform2d:
    case Type::aabb:
      return 6;
    case Type::basis:
      return 9;
    case Type::transform3d:
      return 12;
    case Type::projection:
      return 16;
    default:
      return 0;
  }
}

bool is_int_math(Type t) noexcept {
  return t == Type::vector2i || t == Type::rect2i || t == Type::vector3i || t == Type::vector4i;
}

bool is_real_math(Type t) noexcept {
  switch (t) {
    case Type::vector2:
    case Type::rect2:
    case Type::vector3:
    case Type::transform2d:
    case Type::vector4:
    case Type::plane:
    case Type::quaternion:
    case Type::aabb:
    case Type::basis:
    case Type::transform3d:
    case Type::projection:
    case Type::color:
      return true;
    default:
      return false;
  }
}

NodePath NodePath::parse(std::string_view text) {
  NodePath p;
  if (!text.empty() && text.front() == '/') {
    p.absolute = true;
    text.remove_prefix(1);
  }
  const auto colon = text.find(':');
  auto split = [](std::string_view s, char sep, std::vector<std::string>& out) {
    while (!s.empty()) {
      const auto at = s.find(sep);
      const auto part = s.substr(0, at);
      if (!part.empty()) out.emplace_back(part);
      if (at == std::string_view::npos) break;
      s.remove_prefix(at + 1);
    }
  };
  split(text.substr(0, colon), '/', p.names);
  if (colon != std::string_view::npos) split(text.substr(colon + 1), ':', p.subnames);
  return p;
}

std::string NodePath::to_string() const {
  std::string s = absolute ? "/" : "";
  for (std::size_t i = 0; i < names.size(); ++i) s += (i ? "/" : "") + names[i];
  for (const auto& sub : subnames) s += ":" + sub;
  return s;
}

Variant Variant::boolean(bool b) { return {Type::boolean, b}; }
Variant Variant::integer(std::int64_t i) { return {Type::integer, i}; }
Variant Variant::real(double d) { return {Type::real, d}; }
Variant Variant::string(std::string s) { return {Type::string, std::move(s)}; }
Variant Variant::string_name(std::string s) { return {Type::string_name, std::move(s)}; }
Variant Variant::bytes(std::vector<std::uint8_t> b) { return {Type::byte_array, std::move(b)}; }
Variant Variant::array(Array a, ContainerType element) {
  return {Type::array, std::make_shared<const ArrayData>(ArrayData{std::move(a), std::move(element)})};
}
Variant Variant::dictionary(Dictionary d, ContainerType key, ContainerType value) {
  return {Type::dictionary, std::make_shared<const DictData>(DictData{std::move(d), std::move(key), std::move(value)})};
}
Variant Variant::string_array(std::vector<std::string> v) { return {Type::string_array, std::move(v)}; }
Variant Variant::int_array(std::vector<std::int64_t> v) { return {Type::int32_array, std::move(v)}; }
Variant Variant::int64_array(std::vector<std::int64_t> v) { return {Type::int64_array, std::move(v)}; }
Variant Variant::float32_array(std::vector<double> v) { return {Type::float32_array, std::move(v)}; }
Variant Variant::float64_array(std::vector<double> v) { return {Type::float64_array, std::move(v)}; }
Variant Variant::vector_array(Type t, std::vector<double> flat, bool wide) {
  if (t != Type::vector2_array && t != Type::vector3_array && t != Type::color_array && t != Type::vector4_array)
    t = Type::vector2_array;
  flat.resize(flat.size() - flat.size() % field_count(t));  // whole elements only
  return {t, std::move(flat), wide && t != Type::color_array};
}
Variant Variant::node_path(NodePath p) { return {Type::node_path, std::move(p)}; }
Variant Variant::rid(std::uint64_t id) { return {Type::rid, static_cast<std::int64_t>(id)}; }
Variant Variant::object_id(std::uint64_t id) { return {Type::object_id, static_cast<std::int64_t>(id)}; }
Variant Variant::callable() { return {Type::callable, std::monostate{}}; }
Variant Variant::signal(Signal s) { return {Type::signal, std::move(s)}; }

Result<Variant> Variant::math(Type t, std::span<const double> fields, bool wide) {
  if (!is_real_math(t)) return Error{Errc::invalid_argument, std::string(type_name(t)) + " is not a real math type"};
  if (fields.size() != field_count(t))
    return Error{Errc::invalid_argument, std::string(type_name(t)) + " needs " + std::to_string(field_count(t)) +
                                             " fields, got " + std::to_string(fields.size())};
  return Variant{t, std::vector<double>(fields.begin(), fields.end()), wide && t != Type::color};
}

Result<Variant> Variant::int_math(Type t, std::span<const std::int32_t> fields) {
  if (!is_int_math(t)) return Error{Errc::invalid_argument, std::string(type_name(t)) + " is not an int math type"};
  if (fields.size() != field_count(t))
    return Error{Errc::invalid_argument, std::string(type_name(t)) + " needs " + std::to_string(field_count(t)) +
                                             " fields, got " + std::to_string(fields.size())};
  return Variant{t, std::vector<std::int64_t>(fields.begin(), fields.end())};
}

Variant Variant::vector2(double x, double y) { return {Type::vector2, std::vector<double>{x, y}}; }
Variant Variant::vector3(double x, double y, double z) { return {Type::vector3, std::vector<double>{x, y, z}}; }
Variant Variant::color(double r, double g, double b, double a) {
  return {Type::color, std::vector<double>{r, g, b, a}};
}

const bool* Variant::as_bool() const { return std::get_if<bool>(&v_); }
const std::int64_t* Variant::as_int() const {
  return type_ == Type::integer ? std::get_if<std::int64_t>(&v_) : nullptr;
}
const double* Variant::as_real() const { return std::get_if<double>(&v_); }
const std::string* Variant::as_string() const { return std::get_if<std::string>(&v_); }
const std::vector<std::uint8_t>* Variant::as_bytes() const { return std::get_if<std::vector<std::uint8_t>>(&v_); }
const Array* Variant::as_array() const {
  const auto* p = std::get_if<std::shared_ptr<const ArrayData>>(&v_);
  return p ? &(*p)->items : nullptr;
}
const Dictionary* Variant::as_dictionary() const {
  const auto* p = std::get_if<std::shared_ptr<const DictData>>(&v_);
  return p ? &(*p)->items : nullptr;
}
const std::vector<std::string>* Variant::as_string_array() const { return std::get_if<std::vector<std::string>>(&v_); }
const std::vector<std::int64_t>* Variant::as_ints() const { return std::get_if<std::vector<std::int64_t>>(&v_); }
const std::vector<double>* Variant::as_reals() const { return std::get_if<std::vector<double>>(&v_); }
const NodePath* Variant::as_node_path() const { return std::get_if<NodePath>(&v_); }
const Signal* Variant::as_signal() const { return std::get_if<Signal>(&v_); }
std::uint64_t Variant::id() const noexcept {
  if (type_ != Type::rid && type_ != Type::object_id) return 0;
  return static_cast<std::uint64_t>(*std::get_if<std::int64_t>(&v_));
}
ContainerType Variant::element_type() const {
  const auto* p = std::get_if<std::shared_ptr<const ArrayData>>(&v_);
  return p ? (*p)->element : ContainerType{};
}
ContainerType Variant::key_type() const {
  const auto* p = std::get_if<std::shared_ptr<const DictData>>(&v_);
  return p ? (*p)->key : ContainerType{};
}
ContainerType Variant::value_type() const {
  const auto* p = std::get_if<std::shared_ptr<const DictData>>(&v_);
  return p ? (*p)->value : ContainerType{};
}

const Variant* Variant::find(std::string_view key) const {
  const auto* d = as_dictionary();
  if (!d) return nullptr;
  for (const auto& [k, v] : *d)
    if (k.type_ == Type::string && *k.as_string() == key) return &v;
  return nullptr;
}

bool Variant::operator==(const Variant& o) const {
  if (type_ != o.type_) return false;
  if (const auto* a = std::get_if<double>(&v_)) return same_real(*a, std::get<double>(o.v_));
  if (const auto* a = std::get_if<std::vector<double>>(&v_)) return same_reals(*a, std::get<std::vector<double>>(o.v_));
  if (const auto* a = std::get_if<std::shared_ptr<const ArrayData>>(&v_)) {
    const auto& b = std::get<std::shared_ptr<const ArrayData>>(o.v_);
    return a->get() == b.get() || ((*a)->element == b->element && (*a)->items == b->items);
  }
  if (const auto* a = std::get_if<std::shared_ptr<const DictData>>(&v_)) {
    const auto& b = std::get<std::shared_ptr<const DictData>>(o.v_);
    return a->get() == b.get() || ((*a)->key == b->key && (*a)->value == b->value && (*a)->items == b->items);
  }
  return v_ == o.v_;
}

std::size_t hash_value(const Variant& v) noexcept {
  std::size_t h = static_cast<std::size_t>(v.type());
  if (const auto* b = v.as_bool()) return mix(h, *b);
  if (const auto* d = v.as_real()) return mix(h, hash_real(*d));
  if (const auto* s = v.as_string()) return mix(h, std::hash<std::string>{}(*s));
  if (v.type() == Type::integer) return mix(h, std::hash<std::int64_t>{}(*v.as_int()));
  if (v.type() == Type::rid || v.type() == Type::object_id) return mix(h, std::hash<std::uint64_t>{}(v.id()));
  if (const auto* b = v.as_bytes())
    return mix(h, std::hash<std::string_view>{}({reinterpret_cast<const char*>(b->data()), b->size()}));
  if (const auto* r = v.as_reals()) {
    for (double d : *r) h = mix(h, hash_real(d));
    return h;
  }
  if (const auto* r = v.as_ints()) {
    for (auto i : *r) h = mix(h, std::hash<std::int64_t>{}(i));
    return h;
  }
  if (const auto* r = v.as_string_array()) {
    for (const auto& s : *r) h = mix(h, std::hash<std::string>{}(s));
    return h;
  }
  if (const auto* p = v.as_node_path()) return mix(h, std::hash<std::string>{}(p->to_string()));
  if (const auto* s = v.as_signal()) return mix(mix(h, std::hash<std::string>{}(s->name)), s->object_id);
  // Containers hash every element: each key is hashed once while decoding, so this stays linear
  // in the input, and keys that differ only late cannot all collide (a quadratic dedupe).
  if (const auto* a = v.as_array()) {
    for (const auto& e : *a) h = mix(h, hash_value(e));
    return mix(h, a->size());
  }
  if (const auto* d = v.as_dictionary()) {
    for (const auto& [k, val] : *d) h = mix(mix(h, hash_value(k)), hash_value(val));
    return mix(h, d->size());
  }
  return h;
}

std::string to_text(const Variant& v) {
  const auto name = std::string(type_name(v.type()));
  auto list = [](const auto& items, auto&& one) {
    std::string s;
    for (std::size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + one(items[i]);
    return s;
  };
  switch (v.type()) {
    case Type::nil:
      return "null";
    case Type::boolean:
      return *v.as_bool() ? "true" : "false";
    case Type::integer:
      return std::to_string(*v.as_int());
    case Type::real:
      return real_text(*v.as_real());
    case Type::string:
      return quoted(*v.as_string());
    case Type::string_name:
      return "&" + quoted(*v.as_string());
    case Type::node_path:
      return "NodePath(" + quoted(v.as_node_path()->to_string()) + ")";
    case Type::rid:
      return "RID(" + std::to_string(v.id()) + ")";
    case Type::object_id:
      return "Object(id=" + std::to_string(v.id()) + ")";
    case Type::callable:
      return "Callable()";
    case Type::signal:
      return "Signal(" + quoted(v.as_signal()->name) + ", " + std::to_string(v.as_signal()->object_id) + ")";
    case Type::array: {
      const auto et = container_type_text(v.element_type());
      const auto body = "[" + list(*v.as_array(), [](const Variant& e) { return to_text(e); }) + "]";
      return et.empty() ? body : "Array[" + et + "](" + body + ")";
    }
    case Type::dictionary: {
      std::string s = "{";
      const auto& d = *v.as_dictionary();
      for (std::size_t i = 0; i < d.size(); ++i)
        s += (i ? ", " : "") + to_text(d[i].first) + ": " + to_text(d[i].second);
      s += "}";
      const auto kt = container_type_text(v.key_type()), vt = container_type_text(v.value_type());
      if (kt.empty() && vt.empty()) return s;
      return "Dictionary[" + (kt.empty() ? "Variant" : kt) + ", " + (vt.empty() ? "Variant" : vt) + "](" + s + ")";
    }
    case Type::byte_array:
      return name + "(" + list(*v.as_bytes(), [](std::uint8_t b) { return std::to_string(b); }) + ")";
    case Type::string_array:
      return name + "(" + list(*v.as_string_array(), quoted) + ")";
    default:
      break;
  }
  if (const auto* ints = v.as_ints())
    return name + "(" + list(*ints, [](std::int64_t i) { return std::to_string(i); }) + ")";
  if (const auto* reals = v.as_reals()) return name + "(" + list(*reals, real_text) + ")";
  return name;
}

}  // namespace kettle::godot
