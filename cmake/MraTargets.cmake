# Helpers that keep per-area CMakeLists short.

# mra_library(NAME SOURCES ... DEPS ...): a static library of project code.
function(mra_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  target_include_directories(${name} PUBLIC "${CMAKE_SOURCE_DIR}/include")
  mra_strict_flags(${name})
endfunction()

# mra_test(NAME SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary that
# ctest runs with the shared data directory and repo root in its environment.
function(mra_test name)
  if(NOT MRA_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  # Tests may include internal headers (src/<area>/internal/...).
  target_include_directories(${name} PRIVATE "${CMAKE_SOURCE_DIR}")
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} mra_testing GTest::gtest
                                        GTest::gmock GTest::gtest_main)
  mra_strict_flags(${name})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(
    ${name}
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
               ENVIRONMENT
               "MRA_SOURCE_DIR=${CMAKE_SOURCE_DIR};MRA_SHARED_DIR=${MRA_SHARED_DIR};MRA_BINARY_DIR=${CMAKE_BINARY_DIR}")
endfunction()
