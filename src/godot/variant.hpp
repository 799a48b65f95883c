// Godot's binary Variant format (var2bytes / bytes2var in 3.x, var_to_bytes / bytes_to_var in
// 4.x) without the engine, so a C++ game can exchange packets with a Godot game and kettle-agent
// can translate between the two. Both dialects share one value type; the type ids differ
// (see src/godot/README.md and ../shared/godot/README.md).
//
// decode() treats its input as hostile: every read is bounds-checked, nesting and the number of
// values are limited, no count is trusted before the bytes left could hold it, and full objects
// are refused (like bytes2var without allow_objects). Nothing here throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace kettle::godot {

enum class Dialect : std::uint8_t { godot3 = 3, godot4 = 4 };

// Dialect-independent names. The numeric values are Godot 4's type ids (so a typed array's
// element type is a Type); Godot 3 ids are mapped in the codec. Types marked 4.x do not exist in
// 3.x and encode() refuses them there.
enum class Type : std::uint8_t {
  nil = 0,
  boolean,
  integer,
  real,
  string,
  vector2,
  vector2i,  // 4.x
  rect2,
  rect2i,  // 4.x
  vector3,
  vector3i,  // 4.x
  transform2d,
  vector4,   // 4.x
  vector4i,  // 4.x
  plane,
  quaternion,  // 3.x Quat
  aabb,
  basis,
  transform3d,  // 3.x Transform
  projection,   // 4.x
  color,
  string_name,  // 4.x
  node_path,
  rid,
  object_id,  // an Object sent as its instance id (never a full object)
  callable,   // 4.x, no payload
  signal,     // 4.x
  dictionary,
  array,
  byte_array,     // PoolByteArray / PackedByteArray
  int32_array,    // PoolIntArray / PackedInt32Array
  int64_array,    // 4.x
  float32_array,  // PoolRealArray / PackedFloat32Array
  float64_array,  // 4.x
  string_array,
  vector2_array,
  vector3_array,
  color_array,
  vector4_array,  // 4.3+
};
inline constexpr std::size_t kTypeCount = static_cast<std::size_t>(Type::vector4_array) + 1;

std::string_view type_name(Type t) noexcept;  // Godot 4 spelling, e.g. "PackedByteArray"
bool exists_in(Type t, Dialect d) noexcept;
// Number of fields of a math type or of one element of a vector/color array (0 otherwise).
std::size_t field_count(Type t) noexcept;
bool is_int_math(Type t) noexcept;   // vector2i, rect2i, vector3i, vector4i
bool is_real_math(Type t) noexcept;  // vector2 ... projection, color

struct NodePath {
  std::vector<std::string> names;
  std::vector<std::string> subnames;
  bool absolute = false;

  // Godot's text form: "/root/a:prop:x". Empty segments are dropped, as the engine does.
  static NodePath parse(std::string_view text);
  std::string to_string() const;
  bool operator==(const NodePath&) const = default;
};

struct Signal {
  std::string name;
  std::uint64_t object_id = 0;
  bool operator==(const Signal&) const = default;
};

// Element type of a Godot 4.3+ typed array, or key/value type of a 4.4+ typed dictionary. Kept
// from the bytes so a value re-encodes to the same bytes; elements are not checked against it.
struct ContainerType {
  enum class Kind : std::uint8_t { none = 0, builtin = 1, class_name = 2, script = 3 };
  Kind kind = Kind::none;
  Type builtin = Type::nil;  // kind == builtin
  std::string name;          // kind == class_name (class) or script (resource path)

  static ContainerType of(Type t) { return {Kind::builtin, t, {}}; }
  bool operator==(const ContainerType&) const = default;
};

class Variant;
using Array = std::vector<Variant>;
using Dictionary = std::vector<std::pair<Variant, Variant>>;  // insertion order

class Variant {
 public:
  Variant() = default;  // nil

  static Variant boolean(bool b);
  static Variant integer(std::int64_t i);
  static Variant real(double d);
  static Variant string(std::string s);
  static Variant string_name(std::string s);
  static Variant bytes(std::vector<std::uint8_t> b);
  static Variant array(Array a, ContainerType element = {});
  static Variant dictionary(Dictionary d, ContainerType key = {}, ContainerType value = {});
  static Variant string_array(std::vector<std::string> v);
  static Variant int_array(std::vector<std::int64_t> v);  // int32_array; values must fit int32
  static Variant int64_array(std::vector<std::int64_t> v);
  static Variant float32_array(std::vector<double> v);
  static Variant float64_array(std::vector<double> v);
  // vector2/3/4_array or color_array: fields flattened (x0, y0, x1, y1, ...).
  static Variant vector_array(Type t, std::vector<double> flat, bool wide = false);
  static Variant node_path(NodePath p);
  static Variant rid(std::uint64_t id);
  static Variant object_id(std::uint64_t id);
  static Variant callable();
  static Variant signal(Signal s);
  // A real-based math type (vector2 ... projection, color), fields in wire order: Rect2 is
  // position then size, Transform2D x, y, origin, Basis by ROWS (x.x, y.x, z.x, x.y, ...),
  // Transform3D the basis rows then origin, Quaternion x y z w, Color r g b a. `wide` asks for
  // 64-bit fields in 4.x (a double-precision build's bytes); 3.x always writes float32.
  // Fails on a wrong type or field count.
  static Result<Variant> math(Type t, std::span<const double> fields, bool wide = false);
  static Result<Variant> int_math(Type t, std::span<const std::int32_t> fields);
  static Variant vector2(double x, double y);
  static Variant vector3(double x, double y, double z);
  static Variant color(double r, double g, double b, double a = 1.0);

  Type type() const noexcept { return type_; }
  bool is_nil() const noexcept { return type_ == Type::nil; }
  // Math values and vector arrays: whether 4.x encodes their fields as doubles (bit 16).
  bool wide() const noexcept { return wide_; }

  const bool* as_bool() const;
  const std::int64_t* as_int() const;
  const double* as_real() const;
  const std::string* as_string() const;  // String and (4.x) StringName
  const std::vector<std::uint8_t>* as_bytes() const;
  const Array* as_array() const;
  const Dictionary* as_dictionary() const;
  const std::vector<std::string>* as_string_array() const;
  // int32_array, int64_array and the int math types (vector2i ... vector4i).
  const std::vector<std::int64_t>* as_ints() const;
  // float32/64_array, vector/color arrays (flattened) and the real math types (wire order).
  const std::vector<double>* as_reals() const;
  const NodePath* as_node_path() const;
  const Signal* as_signal() const;
  std::uint64_t id() const noexcept;   // rid and object_id, else 0
  ContainerType element_type() const;  // array
  ContainerType key_type() const;      // dictionary
  ContainerType value_type() const;    // dictionary

  const Variant* find(std::string_view key) const;  // dictionary entry with that String key
  bool operator==(const Variant& o) const;          // structural; NaN == NaN; ignores wide()

 private:
  struct ArrayData;
  struct DictData;
  using Storage = std::variant<std::monostate, bool, std::int64_t, double, std::string, std::vector<std::uint8_t>,
                               std::vector<std::int64_t>, std::vector<double>, std::vector<std::string>, NodePath,
                               Signal, std::shared_ptr<const ArrayData>, std::shared_ptr<const DictData>>;
  Variant(Type t, Storage s, bool wide = false) : type_(t), wide_(wide), v_(std::move(s)) {}

  Type type_ = Type::nil;
  bool wide_ = false;
  Storage v_;
};

// A hash consistent with operator== (used to merge duplicate dictionary keys as the engine does).
std::size_t hash_value(const Variant& v) noexcept;

struct DecodeLimits {
  std::size_t max_depth = 64;         // nested arrays/dictionaries
  std::size_t max_bytes = 64u << 20;  // bytes a value may span; more input is not looked at
  std::size_t max_values = 1u << 20;  // Variants (and pool strings) created in total
  bool allow_object_ids = true;       // Object-as-id (header only + u64), as bytes2var does
};

// Decodes one value from the front of `in`; trailing bytes are ignored, and the number of bytes
// the value took is stored in *used. Errors: truncated (the input ends inside the value),
// malformed (bad type id, UTF-8, NodePath layout...), unsupported (a full object: ERR_UNAUTHORIZED),
// too_large (a DecodeLimits bound). The message names Godot's error code where there is one.
Result<Variant> decode(std::span<const std::uint8_t> in, Dialect d, const DecodeLimits& limits = {},
                       std::size_t* used = nullptr);

// Errors: unsupported (a type or typed container absent in d), invalid_argument (an int32_array
// value or an int math field outside int32, a 3.x RID with an id).
Result<std::vector<std::uint8_t>> encode(const Variant& v, Dialect d);
Status encode_append(const Variant& v, Dialect d, std::vector<std::uint8_t>& out);

std::string to_text(const Variant& v);  // debugging/test text, roughly var2str-like

}  // namespace kettle::godot
