#!/usr/bin/env bash
# Compatibility with the reference design: a manifest in its format, signed
# with `openssl dgst -sha256 -sign` by each of its three fake auditors, verifies
# when those keys are the trust anchors, and 2 of 3 fails at threshold 3.
set -euo pipefail
mra=$1; compat=$2; keys=$3
. "$(dirname "$0")/../lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cat > "$work/enclave_info.toml" <<'TOML'
[teaclave_authentication_service]
mr_enclave = "3e6b1a3a4f5a1ac0fe0ac1cf2e7ef3dc3e70b1a8b8b35aa4d0a1c4bc1e5b7b21"
mr_signer = "83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e"

[teaclave_frontend_service]
mr_enclave = "a8c9a3fdb1d2b0b0b6cc54a3b3ff2d1d1e5de2b0c2a1fc8fdb1cbd0d8e6e5c4f"
mr_signer = "83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e"
TOML
sigs=()
for n in albus_dumbledore godzilla optimus_prime; do
  openssl dgst -sha256 -sign "$keys/$n.private.pem" -out "$work/$n.sign.sha256" "$work/enclave_info.toml"
  sigs+=(--sig "$work/$n.sign.sha256")
done
anchors=(--auditor-key "$keys/albus_dumbledore.public.pem" --auditor-key "$keys/godzilla.public.pem" --auditor-key "$keys/optimus_prime.public.pem")

# Compiled-in reference auditors, threshold 3.
expect_rc 0 "compiled-in anchors: 3 of 3 openssl signatures verify" \
  "$compat" manifest verify "$work/enclave_info.toml" "${sigs[@]}"
expect_contains "all three auditors named" "3 of 3 auditors signed"
expect_rc 1 "compiled-in anchors: 2 of 3 fails at threshold 3" \
  "$compat" manifest verify "$work/enclave_info.toml" "${sigs[@]:0:4}"
expect_contains "threshold verdict" "THRESHOLD_NOT_MET"
expect_rc 1 "compiled-in anchors: one signature three times fails" \
  "$compat" manifest verify "$work/enclave_info.toml" "${sigs[0]}" "${sigs[1]}" "${sigs[0]}" "${sigs[1]}" "${sigs[0]}" "${sigs[1]}"
expect_rc 1 "compiled-in anchors: zero signatures fail" \
  "$compat" manifest verify "$work/enclave_info.toml"

# The same with anchors given on the command line.
expect_rc 0 "--auditor-key x3 --threshold 3: verifies" \
  "$mra" manifest verify "$work/enclave_info.toml" "${sigs[@]}" "${anchors[@]}" --threshold 3
expect_rc 1 "--auditor-key x3 --threshold 3: 2 of 3 fails" \
  "$mra" manifest verify "$work/enclave_info.toml" "${sigs[@]:2:4}" "${anchors[@]}" --threshold 3
expect_rc 0 "--threshold 2: 2 of 3 verifies" \
  "$mra" manifest verify "$work/enclave_info.toml" "${sigs[@]:2:4}" "${anchors[@]}" --threshold 2

# The PoC-anchored default build does not trust the reference auditors.
expect_rc 1 "default anchors refuse reference-auditor signatures" \
  "$mra" manifest verify "$work/enclave_info.toml" "${sigs[@]}"

# mra's own signer produces the same reference-format RSA signature.
"$mra" manifest sign "$work/enclave_info.toml" --key "$keys/godzilla.private.pem" --out "$work/mra.sig" 2>/dev/null
expect_rc 0 "mra manifest sign output is byte-identical to openssl dgst" \
  cmp "$work/mra.sig" "$work/godzilla.sign.sha256"

# A flipped byte in the manifest.
sed 's/3e6b1a3a/3e6b1a3b/' "$work/enclave_info.toml" > "$work/tampered.toml"
expect_rc 1 "flipped byte: refused" \
  "$compat" manifest verify "$work/tampered.toml" "${sigs[@]}"
finish
