#!/usr/bin/env bash
# The auditor workflow through the CLI with the compiled-in PoC auditors:
# keygen, sign, verify (text and --json), show, and the documented exit codes.
set -euo pipefail
mra=$1; root=$2
. "$(dirname "$0")/../lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
keys=$root/config/keys
A=$(printf 'a%.0s' {1..64}); B=$(printf 'b%.0s' {1..64})
cat > "$work/m.toml" <<TOML
version = 4
expires = 2099-01-01T00:00:00Z
deployment = "demo"

[frontend]
mr_enclave = "$A"
mr_signer = "$B"
min_isv_svn = 1
TOML
for i in 1 2 3; do
  "$mra" manifest sign "$work/m.toml" --key "$keys/auditor$i.private.pem" --out "$work/s$i" 2>/dev/null
done
expect_rc 0 "3 PoC auditors (RSA, P-256, Ed25519) verify" \
  "$mra" manifest verify "$work/m.toml" --sig "$work/s1" --sig "$work/s2" --sig "$work/s3" --deployment demo
expect_rc 1 "2 of 3 fails (compiled threshold = all)" \
  "$mra" manifest verify "$work/m.toml" --sig "$work/s1" --sig "$work/s2"
expect_rc 1 "json verdict on refusal" \
  "$mra" manifest verify "$work/m.toml" --sig "$work/s1" --sig "$work/s1" --sig "$work/s1" --json
expect_contains "json failure enum" '"failure": "THRESHOLD_NOT_MET"'
expect_contains "json duplicate note" 'duplicate'
expect_rc 0 "json success" \
  "$mra" manifest verify "$work/m.toml" --sig "$work/s1" --sig "$work/s2" --sig "$work/s3" --json
expect_contains "json ok" '"ok": true'
expect_contains "json signers" '"auditor3"'
expect_rc 1 "wrong deployment" \
  "$mra" manifest verify "$work/m.toml" --sig "$work/s1" --sig "$work/s2" --sig "$work/s3" --deployment prod
expect_contains "deployment verdict" "DEPLOYMENT_MISMATCH"
expect_rc 1 "expired at --now" \
  "$mra" manifest verify "$work/m.toml" --sig "$work/s1" --sig "$work/s2" --sig "$work/s3" --now 2100-01-01T00:00:00Z
expect_contains "expiry verdict" "MANIFEST_EXPIRED"

# Rollback across runs through a state file.
expect_rc 0 "v4 accepted, state written" \
  "$mra" manifest verify "$work/m.toml" --sig "$work/s1" --sig "$work/s2" --sig "$work/s3" --state "$work/state.json"
sed 's/^version = 4/version = 3/' "$work/m.toml" > "$work/old.toml"
for i in 1 2 3; do
  "$mra" manifest sign "$work/old.toml" --key "$keys/auditor$i.private.pem" --out "$work/o$i" 2>/dev/null
done
expect_rc 1 "v3 after v4 is a rollback" \
  "$mra" manifest verify "$work/old.toml" --sig "$work/o1" --sig "$work/o2" --sig "$work/o3" --state "$work/state.json"
expect_contains "rollback verdict" "MANIFEST_ROLLBACK"
echo "garbage" > "$work/state.json"
expect_rc 1 "corrupt state fails closed" \
  "$mra" manifest verify "$work/m.toml" --sig "$work/s1" --sig "$work/s2" --sig "$work/s3" --state "$work/state.json"
expect_contains "state verdict" "STATE_CORRUPT"

# Keygen for every type, then a manifest signed by it verifies with --auditor-key.
for t in rsa-3072 ecdsa-p256 ecdsa-p384 ed25519; do
  expect_rc 0 "keygen $t" "$mra" auditor keygen --type "$t" --name "k-$t" --out-dir "$work"
  "$mra" manifest sign "$work/m.toml" --key "$work/k-$t.private.pem" --out "$work/sig-$t" 2>/dev/null
  expect_rc 0 "verify with --auditor-key ($t)" \
    "$mra" manifest verify "$work/m.toml" --sig "$work/sig-$t" --auditor-key "$work/k-$t.public.pem"
done
expect_rc 2 "keygen refuses to overwrite" "$mra" auditor keygen --name k-ed25519 --out-dir "$work"
expect_rc 2 "unknown key type" "$mra" auditor keygen --type dsa --name x --out-dir "$work"

# show, usage and input errors.
expect_rc 0 "show" "$mra" manifest show "$work/m.toml"
expect_contains "show lists the service" "[frontend]"
printf '[s]\nmr_enclave = "abc"\n' > "$work/bad.toml"
expect_rc 1 "show on malformed manifest names the field" "$mra" manifest show "$work/bad.toml"
expect_contains "field named" "s.mr_enclave: expected 64 hex characters, got 3"
expect_rc 3 "missing manifest file is an I/O error" "$mra" manifest show "$work/none.toml"
expect_rc 2 "missing required option is a usage error" "$mra" manifest sign "$work/m.toml"
expect_rc 2 "bad --now" "$mra" manifest verify "$work/m.toml" --now soon
expect_rc 2 "--threshold without --auditor-key" "$mra" manifest verify "$work/m.toml" --threshold 1
finish
