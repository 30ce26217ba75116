mra_fuzzer(sigstruct DEPS mra_attest)
