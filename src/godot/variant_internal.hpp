// Shared between variant.cpp, variant_decode.cpp and variant_encode.cpp: the container payloads
// (boxed so Variant stays small and copies of big trees share them) and the 3.x id table.
#pragma once

#include <array>
#include <optional>

#include "godot/variant.hpp"

namespace kettle::godot {

struct Variant::ArrayData {
  Array items;
  ContainerType element;
};

struct Variant::DictData {
  Dictionary items;
  ContainerType key;
  ContainerType value;
};

namespace detail {

inline constexpr std::uint32_t kFlag64 = 1u << 16;  // int64 / float64 / double math / object id

// 3.x type id -> Type (ids 0..26).
inline constexpr std::array<Type, 27> kGodot3Types = {
    Type::nil,           Type::boolean,     Type::integer,       Type::real,         Type::string,
    Type::vector2,       Type::rect2,       Type::vector3,       Type::transform2d,  Type::plane,
    Type::quaternion,    Type::aabb,        Type::basis,         Type::transform3d,  Type::color,
    Type::node_path,     Type::rid,         Type::object_id,     Type::dictionary,   Type::array,
    Type::byte_array,    Type::int32_array, Type::float32_array, Type::string_array, Type::vector2_array,
    Type::vector3_array, Type::color_array};

inline std::optional<std::uint32_t> wire_id(Type t, Dialect d) {
  if (d == Dialect::godot4) return static_cast<std::uint32_t>(t);
  for (std::uint32_t i = 0; i < kGodot3Types.size(); ++i)
    if (kGodot3Types[i] == t) return i;
  return std::nullopt;
}

}  // namespace detail
}  // namespace kettle::godot
