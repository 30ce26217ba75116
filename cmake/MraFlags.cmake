# Warning and hardening flags for project code (not generated code).
set(MRA_WARNING_FLAGS
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wold-style-cast -Werror)

set(MRA_HARDENING_FLAGS -fstack-protector-strong -fstack-clash-protection
                        -fcf-protection)
# _FORTIFY_SOURCE needs optimisation; every preset builds with at least -Og.
list(APPEND MRA_HARDENING_FLAGS -D_FORTIFY_SOURCE=2)

add_link_options(-Wl,-z,relro,-z,now)
if(CMAKE_BUILD_TYPE STREQUAL "Debug")
  add_compile_definitions(_GLIBCXX_ASSERTIONS)
endif()

if(MRA_SANITIZE)
  add_compile_options(-fsanitize=${MRA_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${MRA_SANITIZE})
endif()

if(MRA_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MRA_FUZZ needs clang (use the 'fuzz' preset)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# Applies the project's strict flags to a target of our own code.
function(mra_strict_flags target)
  target_compile_options(${target} PRIVATE ${MRA_WARNING_FLAGS}
                                           ${MRA_HARDENING_FLAGS})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang-14 flags absl headers' use of deprecated builtins otherwise.
    target_compile_options(${target} PRIVATE -Wno-gnu-zero-variadic-macro-arguments)
  endif()
endfunction()
