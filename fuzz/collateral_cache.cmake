# Real collateral bundles are seeds (wrapped into cache entries by the
# fuzzer).
mra_fuzzer(collateral_cache DEPS mra_collateral nlohmann_json::nlohmann_json
           OpenSSL::Crypto SEEDS "${MRA_SHARED_DIR}/testdata/dcap/assembled")
