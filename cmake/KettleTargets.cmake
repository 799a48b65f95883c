# Common warning and sanitizer flags for every Kettle target.
add_library(kettle_flags INTERFACE)
target_compile_options(kettle_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
  -Wno-missing-field-initializers)
if(KETTLE_SANITIZE)
  target_compile_options(kettle_flags INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                               -fno-sanitize-recover=undefined)
  target_link_options(kettle_flags INTERFACE -fsanitize=address,undefined)
endif()
if(KETTLE_FUZZ)
  target_compile_options(kettle_flags INTERFACE -fsanitize=fuzzer-no-link,address,undefined)
  target_link_options(kettle_flags INTERFACE -fsanitize=address,undefined)
endif()

# kettle_add_library(name SOURCES ... DEPS ...): a layer library; DEPS must be lower layers only.
function(kettle_add_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${A_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(${name} PUBLIC kettle_flags ${A_DEPS})
endfunction()

# kettle_add_test(name SOURCES ... DEPS ... [LABELS ...]): one gtest binary registered with ctest.
function(kettle_add_test name)
  cmake_parse_arguments(A "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE kettle_flags GTest::gtest GTest::gtest_main ${A_DEPS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${A_LABELS}")
endfunction()
include(GoogleTest)
