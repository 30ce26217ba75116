#!/usr/bin/env bash
# Regenerates the three proof-of-concept auditor key pairs in config/keys/.
# PoC ONLY: the private keys are committed so the demo and tests can sign
# manifests; a real deployment generates its auditors' keys on the auditors'
# own machines (`mra auditor keygen`) and builds with -DMRA_AUDITOR_KEYS=...
# pointing at their public keys only.
set -euo pipefail
dir=$(cd "$(dirname "$0")/.." && pwd)/config/keys
mkdir -p "$dir"
gen() {  # name openssl-genpkey-args...
  local name=$1; shift
  openssl genpkey "$@" -out "$dir/$name.private.pem" 2>/dev/null
  chmod 600 "$dir/$name.private.pem"
  openssl pkey -in "$dir/$name.private.pem" -pubout -out "$dir/$name.public.pem"
}
# Three key types on purpose: the verifier supports each of them.
gen auditor1 -algorithm RSA -pkeyopt rsa_keygen_bits:3072
gen auditor2 -algorithm EC -pkeyopt ec_paramgen_curve:P-256
gen auditor3 -algorithm ED25519
echo "regenerated PoC auditors in $dir; rebuild to embed the new public keys"
