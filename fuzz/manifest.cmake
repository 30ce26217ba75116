mra_fuzzer(manifest DEPS mra_manifest)
