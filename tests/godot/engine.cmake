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

# --- variant: Kettle's C++ Variant encoder read back by the engine --------------------------------
# godot_variant_from_cpp_gen re-encodes every variant3.json vector from its decoded value and adds
# values built in C++ (fixture setup); variant_from_cpp.gd bytes2var()s each and compares it with
# the value its GDScript expression builds, and with the engine's own var2bytes().
add_executable(godot_variant_from_cpp_gen engine/variant_from_cpp_gen.cpp)
target_link_libraries(godot_variant_from_cpp_gen PRIVATE kettle_flags kettle_godot nlohmann_json::nlohmann_json)
set(_kettle_variant_cross_file ${CMAKE_CURRENT_BINARY_DIR}/variant_from_cpp.json)
add_test(NAME godot_engine.variant_from_cpp.generate
         COMMAND godot_variant_from_cpp_gen ${KETTLE_GODOT_VECTORS}/vectors ${_kettle_variant_cross_file})
set_tests_properties(godot_engine.variant_from_cpp.generate PROPERTIES
  FIXTURES_SETUP godot_variant_from_cpp LABELS godot)
add_test(NAME godot_engine.variant_from_cpp
         COMMAND ${KETTLE_GODOT_VECTORS}/run-gd --timeout 60
                 ${CMAKE_CURRENT_SOURCE_DIR}/engine/variant_from_cpp.gd ${_kettle_variant_cross_file}
                 ${KETTLE_GODOT_VECTORS})
set_tests_properties(godot_engine.variant_from_cpp PROPERTIES
  FIXTURES_REQUIRED godot_variant_from_cpp TIMEOUT 90 LABELS godot)
# --- end variant ----------------------------------------------------------------------------------

# --- the Steam autoload (godot/addons/kettle) in the real engine ---------------------------------
# link_faults: the game side of the agent link against lossy_agent.py (lost/reordered datagrams,
# nested calls, CONSUMED, a vanished agent). two_instance: host, guest (+connect_lobby) and a
# stranger, each a headless Godot 3 with its own kettle-agent, through a real kettle-server --dev.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME godot_engine.steam_link_faults
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/engine/link_faults.sh ${CMAKE_CURRENT_SOURCE_DIR}/engine/game)
  set_tests_properties(godot_engine.steam_link_faults PROPERTIES TIMEOUT 180 LABELS godot)
endif()
if(TARGET kettle-agent AND TARGET kettle-server)
  add_test(NAME godot_engine.steam_two_instance
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/engine/two_instance.sh $<TARGET_FILE:kettle-server>
                   $<TARGET_FILE:kettle-agent> ${CMAKE_CURRENT_SOURCE_DIR}/engine/game)
  set_tests_properties(godot_engine.steam_two_instance PROPERTIES TIMEOUT 300 LABELS godot)
endif()

# --- the demo project (examples/godot-demo) played headless -------------------------------------
# demo_smoke.sh: kettle-server --dev and two instances of the demo running its --headless-smoke
# path (lobby chat, one game of tic-tac-toe over P2P, boards compared). The guest finds the lobby
# through the lobby list's string filter (search) or is started with +connect_lobby (connect_lobby).
if(TARGET kettle-agent AND TARGET kettle-server)
  foreach(_kettle_demo_join search connect_lobby)
    add_test(NAME godot_engine.demo_smoke.${_kettle_demo_join}
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/engine/demo_smoke.sh $<TARGET_FILE:kettle-server>
                     $<TARGET_FILE:kettle-agent> ${PROJECT_SOURCE_DIR}/examples/godot-demo ${_kettle_demo_join})
    set_tests_properties(godot_engine.demo_smoke.${_kettle_demo_join} PROPERTIES TIMEOUT 180 LABELS godot)
  endforeach()
endif()

# --- bad input from GDScript and garbage on the agent's ports (issue 7, acceptance 2) ------------
# bad_input.sh: one headless Godot 3 with the real addon and kettle-agent against kettle-server
# --dev calls the Steam API before init and with wrong types, bad sizes, channels, Steam IDs, lobby
# keys and chat messages (bad_input.gd); each must give its documented failure value and print its
# error. Meanwhile agent_garbage.py throws garbage at the agent's sockets; a second run puts
# garbage on the agent's TCP port before the game connects (agent_prelude.py).
if(TARGET kettle-agent AND TARGET kettle-server AND Python3_Interpreter_FOUND)
  add_test(NAME godot_engine.steam_bad_input
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/engine/bad_input.sh $<TARGET_FILE:kettle-server>
                   $<TARGET_FILE:kettle-agent> ${CMAKE_CURRENT_SOURCE_DIR}/engine/game)
  set_tests_properties(godot_engine.steam_bad_input PROPERTIES TIMEOUT 300 LABELS godot)
endif()
# --- end bad input ---------------------------------------------------------------------------------
