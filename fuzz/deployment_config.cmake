# The deployment configuration parser is compiled in directly (src/platform's
# library would pull in gRPC and SQLite for one TOML parser).
mra_fuzzer(deployment_config
           DEPS mra_base tomlplusplus::tomlplusplus absl::status absl::statusor
                absl::time)
foreach(t deployment_config_fuzzer deployment_config_fuzz_replay)
  if(TARGET ${t})
    target_sources(${t} PRIVATE "${CMAKE_SOURCE_DIR}/src/platform/config.cc")
  endif()
endforeach()
