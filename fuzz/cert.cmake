mra_fuzzer(cert DEPS mra_x509)
