mra_fuzzer(collateral DEPS mra_collateral
           SEEDS "${MRA_SHARED_DIR}/testdata/dcap")
