mra_fuzzer(collateral DEPS mra_collateral)
