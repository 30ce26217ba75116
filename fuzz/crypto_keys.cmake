# Seeds: the proof-of-concept auditor keys (config/keys, public and private
# PEM of RSA-3072, ECDSA P-256 and Ed25519) plus generated ones in
# fuzz/corpus/crypto_keys/.
mra_fuzzer(crypto_keys DEPS mra_crypto SEEDS "${CMAKE_SOURCE_DIR}/config/keys")
