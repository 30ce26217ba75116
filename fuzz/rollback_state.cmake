mra_fuzzer(rollback_state DEPS mra_manifest)
