# Seeds: fuzz/corpus/manifest_signatures/ holds a manifest signed by each of
# the three PoC auditors (generated; see tests/attacks/fuzz_seeds_test.cc).
mra_fuzzer(manifest_signatures DEPS mra_manifest mra_anchors)
