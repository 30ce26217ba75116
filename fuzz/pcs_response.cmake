# PCS/PCCS HTTP responses (src/collateral/pcs_response.h, internal). Raw PCS
# collateral bundles from the shared DCAP data are extra seeds (served as
# bodies: real-sized JSON for the exact-bytes scanner).
mra_fuzzer(pcs_response DEPS mra_collateral nlohmann_json::nlohmann_json
           SEEDS "${MRA_SHARED_DIR}/testdata/dcap/assembled")
foreach(t pcs_response_fuzzer pcs_response_fuzz_replay)
  if(TARGET ${t})
    target_include_directories(${t} PRIVATE "${CMAKE_SOURCE_DIR}")
  endif()
endforeach()
