mra_fuzzer(byte_reader DEPS mra_base)
