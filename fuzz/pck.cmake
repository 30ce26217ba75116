# Seeds: generated DER in corpus/pck, plus the real quotes in ../shared (their
# PCK chains hold real extensions), read in place.
mra_fuzzer(pck DEPS mra_sgx SEEDS "${MRA_SHARED_DIR}/testdata/dcap")
