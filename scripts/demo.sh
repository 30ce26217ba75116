#!/usr/bin/env bash
# The mra demo: auditors sign a manifest of enclave identities; a verifier with
# the auditors' public keys compiled in accepts it and refuses every bypass.
# Usage: scripts/demo.sh BUILD_DIR   (run through ./run.sh demo)
set -euo pipefail
build=${1:?build dir}
root=$(cd "$(dirname "$0")/.." && pwd)
mra="$build/tools/mra/mra"
keys="$root/config/keys"
work=$(mktemp -d /tmp/mra-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
results=()
record() { results+=("$(printf '%-58s %s' "$1" "$2")"); }
# expect WANT_RC LABEL cmd...: runs cmd, shows its output, records the outcome.
expect() {
  local want=$1 label=$2; shift 2
  local rc=0
  "$@" >"$work/out" 2>&1 || rc=$?
  sed 's/^/    /' "$work/out"
  local verdict
  verdict=$(grep -oE 'REFUSED: [A-Z_]+' "$work/out" | head -1 | cut -d' ' -f2 || true)
  if [ "$rc" -eq "$want" ]; then
    record "$label" "$([ "$rc" -eq 0 ] && echo accepted || echo "refused ($verdict)")"
  else
    record "$label" "UNEXPECTED exit $rc"; DEMO_FAILED=1
  fi
}
DEMO_FAILED=0

bold "1. Trust anchors compiled into this build"
"$mra" auditor list

bold "2. Measure the enclave binaries into a manifest (simulation: MRENCLAVE = sha256 of the binary)"
signer=$(openssl pkey -in "$keys/auditor1.private.pem" -pubout -outform DER | sha256sum | cut -d' ' -f1)
expires=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
write_manifest() {  # version file
  {
    echo "version = $1"
    echo "expires = $expires"
    echo 'deployment = "demo"'
    for svc in mra; do
      echo
      echo "[$svc]"
      echo "mr_enclave = \"$(sha256sum "$build/tools/mra/$svc" | cut -d' ' -f1)\""
      echo "mr_signer = \"$signer\""
      echo "min_isv_svn = 1"
    done
  } > "$2"
}
write_manifest 2 "$work/enclave_info.toml"
cat "$work/enclave_info.toml" | sed 's/^/    /'

bold "3. The three PoC auditors sign the exact bytes"
for i in 1 2 3; do
  "$mra" manifest sign "$work/enclave_info.toml" --key "$keys/auditor$i.private.pem" --out "$work/auditor$i.sig"
done
all=(--sig "$work/auditor1.sig" --sig "$work/auditor2.sig" --sig "$work/auditor3.sig")
state="$work/rollback-state.json"

bold "4. Verify as a service would (deployment 'demo', rollback state)"
expect 0 "manifest v2 signed by 3 of 3 auditors" \
  "$mra" manifest verify "$work/enclave_info.toml" "${all[@]}" --deployment demo --state "$state"

bold "5. What is refused"
expect 1 "no signatures" "$mra" manifest verify "$work/enclave_info.toml" --deployment demo
expect 1 "auditor1's signature given three times" \
  "$mra" manifest verify "$work/enclave_info.toml" --sig "$work/auditor1.sig" --sig "$work/auditor1.sig" --sig "$work/auditor1.sig"
expect 1 "2 of 3 auditors (threshold 3)" \
  "$mra" manifest verify "$work/enclave_info.toml" --sig "$work/auditor1.sig" --sig "$work/auditor2.sig"
"$mra" auditor keygen --type ecdsa-p256 --name mallory --out-dir "$work" >/dev/null
"$mra" manifest sign "$work/enclave_info.toml" --key "$work/mallory.private.pem" --out "$work/mallory.sig" 2>/dev/null
expect 1 "2 auditors + a non-auditor key" \
  "$mra" manifest verify "$work/enclave_info.toml" --sig "$work/auditor1.sig" --sig "$work/auditor2.sig" --sig "$work/mallory.sig"
sed 's/min_isv_svn = 1/min_isv_svn = 0/' "$work/enclave_info.toml" > "$work/tampered.toml"
expect 1 "one byte of the manifest changed after signing" \
  "$mra" manifest verify "$work/tampered.toml" "${all[@]}"
expect 1 "manifest for deployment 'demo' replayed to 'prod'" \
  "$mra" manifest verify "$work/enclave_info.toml" "${all[@]}" --deployment prod
expect 1 "manifest past its expiry" \
  "$mra" manifest verify "$work/enclave_info.toml" "${all[@]}" --now "$(date -u -d '+31 days' +%Y-%m-%dT%H:%M:%SZ)"
write_manifest 1 "$work/old.toml"
for i in 1 2 3; do "$mra" manifest sign "$work/old.toml" --key "$keys/auditor$i.private.pem" --out "$work/old$i.sig" 2>/dev/null; done
expect 1 "older manifest v1 after v2 was accepted (rollback)" \
  "$mra" manifest verify "$work/old.toml" --sig "$work/old1.sig" --sig "$work/old2.sig" --sig "$work/old3.sig" --deployment demo --state "$state"

bold "Summary"
printf '  %s\n' "${results[@]}"
if [ "$DEMO_FAILED" -ne 0 ]; then
  echo "demo: an outcome was not what it should be" >&2; exit 1
fi
echo
echo "demo: all outcomes as expected. (The attested multi-service platform is being built; see README 'Status'.)"
