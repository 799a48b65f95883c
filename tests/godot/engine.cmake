# --- compress: Kettle's C++ compress() read back by the engine ----------------------------------
# godot_compress_cross_gen writes C++-compressed inputs (both modes) to a file (fixture setup);
# compress_from_cpp.gd checks them with the engine's PoolByteArray.decompress() and compress().
add_executable(godot_compress_cross_gen engine/compress_cross_gen.cpp)
target_link_libraries(godot_compress_cross_gen PRIVATE kettle_flags kettle_godot nlohmann_json::nlohmann_json)
target_compile_definitions(godot_compress_cross_gen PRIVATE KETTLE_GODOT_VECTORS="${KETTLE_GODOT_VECTORS}/vectors")
set(_kettle_compress_cross_file ${CMAKE_CURRENT_BINARY_DIR}/compress_from_cpp.txt)
add_test(NAME godot_engine.compress_from_cpp.generate
         COMMAND godot_compress_cross_gen ${_kettle_compress_cross_file})
set_tests_properties(godot_engine.compress_from_cpp.generate PROPERTIES
  FIXTURES_SETUP godot_compress_from_cpp LABELS godot)
add_test(NAME godot_engine.compress_from_cpp
         COMMAND ${KETTLE_GODOT_VECTORS}/run-gd --timeout 60
                 ${CMAKE_CURRENT_SOURCE_DIR}/engine/compress_from_cpp.gd ${_kettle_compress_cross_file})
set_tests_properties(godot_engine.compress_from_cpp PROPERTIES
  FIXTURES_REQUIRED godot_compress_from_cpp TIMEOUT 90 LABELS godot)
