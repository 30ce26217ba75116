mra_fuzzer(quote DEPS mra_sgx SEEDS "${MRA_SHARED_DIR}/testdata/dcap")
