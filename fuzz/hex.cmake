mra_fuzzer(hex DEPS mra_base mra_sgx)
