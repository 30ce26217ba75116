#!/usr/bin/env bash
# The mra demo: the real platform end to end, in SIMULATION mode (no SGX
# hardware). It creates a development root, signs and measures the three
# service executables, has the three PoC auditors sign the manifest, starts
# mra-storage, mra-authentication and mra-frontend on loopback (each attests
# itself and verifies the manifest before serving; peers attest each other in
# every TLS handshake), runs a client session through the frontend, restarts
# storage, and shows what is refused:
#   1. a rebuilt storage binary (bytes appended, re-signed): it refuses to
#      start with the deployment's manifest, and the frontend refuses it as a
#      peer even when it runs with a manifest that lists it;
#   2. a manifest with too few auditor signatures: a service will not start;
#   3. a client calling storage directly.
# It ends with a summary table (one row per outcome, "ok" or "UNEXPECTED")
# and exits non-zero if any outcome is not the expected one. Everything it
# starts is stopped on exit, also on failure or Ctrl-C.
#
# Usage: scripts/demo.sh BUILD_DIR   (run through ./run.sh demo)
#   MRA_DEMO_KEEP=1 keeps the scratch directory (configs, logs, data).
set -uo pipefail
build=$(cd "${1:?usage: demo.sh BUILD_DIR}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
mra="$build/tools/mra/mra"
client="$build/tools/mra-client/mra-client"
work=$(mktemp -d /tmp/mra-demo.XXXXXX)
# shellcheck source=../tests/platform/platform_lib.sh
source "$root/tests/platform/platform_lib.sh"

cleanup() {
  plat_stop_all
  if [ "${MRA_DEMO_KEEP:-0}" = 1 ]; then
    echo "demo: scratch directory kept: $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -t 1 ]; then
  bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
else
  bold() { printf '\n== %s\n' "$*"; }
fi
show() { awk '{ print "    " $0 }'; }
# logs PATTERN SERVICE...: the services' log lines matching PATTERN, without
# the timestamp.
logs() {
  local pattern=$1 svc
  shift
  for svc in "$@"; do
    grep -hE -- "$pattern" "$work/$svc.log" | cut -d' ' -f2-
  done | show
}

rows=()
failed=0
# row WANT GOT WHAT [WHY [WANT_WHY]]: one summary row; WANT and GOT are
# accepted|refused; a refusal must also give the reason WANT_WHY (an extended
# regular expression) when one is named.
row() {
  local want=$1 got=$2 what=$3 why=${4:-} want_why=${5:-} mark=ok
  if [ "$got" != "$want" ]; then
    mark=UNEXPECTED failed=1 why="${why:+$why; }expected $want"
  elif [ -n "$want_why" ] && ! grep -qE -- "$want_why" <<<"$why"; then
    mark=UNEXPECTED failed=1 why="${why:-no reason}; expected $want_why"
  fi
  rows+=("$(printf '%-10s %-58s %-8s  %s' "$mark" "$what" "$got" "$why")")
}
summary() {
  bold "Summary"
  printf '%-10s %-58s %-8s  %s\n' result "what was tried" outcome "reason"
  printf '%s\n' "${rows[@]}"
}
die() {
  echo "demo: $*" >&2
  row accepted refused "demo set-up" "$*"
  summary
  exit 1
}

# run CMD...: runs CMD, shows its output, leaves it in $work/out and the exit
# code in rc.
run() {
  rc=0
  "$@" >"$work/out" 2>&1 || rc=$?
  show <"$work/out"
}
# run_showing PATTERN CMD...: as run, but shows only the output lines
# matching PATTERN (e.g. a service's refusal among its start-up log).
run_showing() {
  local pattern=$1
  shift
  rc=0
  "$@" >"$work/out" 2>&1 || rc=$?
  grep -E -- "$pattern" "$work/out" | show
}
# outcome: accepted for exit 0, refused otherwise.
outcome() { if [ "$rc" -eq 0 ]; then echo accepted; else echo refused; fi; }
# verdict FILE: the first refusal verdict (a VerifyFailure or gRPC code) in it.
verdict() {
  local pattern
  for pattern in 'REFUSED: [A-Z_]+' 'verdict=[A-Z_]+' '^mra-client: [a-z]+: [A-Z_]+'; do
    if grep -qE -- "$pattern" "$1"; then
      grep -oE -- "$pattern" "$1" | head -1 | grep -oE '[A-Z_]+$'
      return
    fi
  done
}

echo "demo: scratch directory: $work"
bold "SIMULATION MODE: no SGX hardware. Quotes are signed by a development root made here and prove nothing about hardware."

bold "1. Trust anchors compiled into every binary (the auditors' public keys and the threshold)"
"$mra" auditor list | show

bold "2. Development root (mra sim init), enclave signing key, signed copies of the services (mra enclave keygen|sign)"
read -r p_front p_auth p_store < <(plat_free_ports 3)
plat_write_config "$work/deploy.toml" demo "$p_front" "$p_auth" "$p_store"
bin="$work/bin"
plat_sim_setup "$build/src/bin" "$bin" >"$work/setup.log" 2>&1 ||
  { show <"$work/setup.log"; die "simulation set-up failed"; }
show <"$work/setup.log"

bold "3. Measure the binaries into a manifest (mra enclave measure --json); the three PoC auditors sign it"
manifest="$work/state/enclave_info.toml"
plat_write_manifest "$manifest" 1 demo frontend="$bin/mra-frontend" \
  authentication="$bin/mra-authentication" storage="$bin/mra-storage" ||
  die "mra enclave measure failed"
plat_sign_manifest "$manifest" "$work/state/signatures" 1 2 3 ||
  die "mra manifest sign failed"
show <"$manifest"
run "$mra" manifest verify "$manifest" --deployment demo \
  --sig "$work/state/signatures/auditor1.sig" \
  --sig "$work/state/signatures/auditor2.sig" \
  --sig "$work/state/signatures/auditor3.sig"
[ "$rc" -eq 0 ] || die "the signed manifest does not verify"

bold "4. Start the services on 127.0.0.1 (each: attest itself, verify the manifest, then serve)"
for svc in storage authentication frontend; do
  plat_start "$svc" "$bin/mra-$svc" "$work/deploy.toml" "$work/$svc.log" ||
    die "mra-$svc did not start"
done
logs 'attested self|manifest verified|serving service=' storage authentication frontend
row accepted accepted "storage, authentication, frontend start (manifest 3 of 3)" \
  "each attested itself and verified the manifest"

bold "5. A client session: mra-client attests the frontend (one-way) and checks it against the manifest"
c=("$client" --config "$work/deploy.toml")
run env MRA_PASSWORD='correct horse' "${c[@]}" register alice
row accepted "$(outcome)" "register alice" "$(verdict "$work/out")"
run env MRA_PASSWORD='wrong horse' "${c[@]}" login alice
row refused "$(outcome)" "log in as alice with a wrong password" "$(verdict "$work/out")" \
  '^UNAUTHENTICATED$'
token=$(printf 'correct horse\n' | "${c[@]}" login alice --password-stdin 2>"$work/out")
show <"$work/out"
if [[ "$token" =~ ^[0-9a-f]{64}$ ]]; then
  row accepted accepted "log in as alice" "64-hex session token"
else
  row accepted refused "log in as alice" "no token"
fi
export MRA_TOKEN=$token
run "${c[@]}" put greeting 'hello, platform'
row accepted "$(outcome)" "put greeting = 'hello, platform'" "$(verdict "$work/out")"
run "${c[@]}" get greeting
if [ "$rc" -eq 0 ] && grep -qx 'hello, platform' "$work/out"; then
  row accepted accepted "get greeting" "'hello, platform'"
else
  row accepted refused "get greeting" "exit $rc"
fi
echo "  who talked to whom (every connection and call is logged with the verified peer):"
logs 'peer accepted: side=client service=(authentication|storage)' frontend
logs 'call accepted service=storage method=Put' storage

bold "6. Refusal 1: a rebuilt storage binary (bytes appended, re-signed with the same key: same MRSIGNER, new MRENCLAVE)"
cp "$bin/mra-storage" "$bin/mra-storage-rebuilt"
printf 'rebuilt' >>"$bin/mra-storage-rebuilt"
"$mra" enclave sign "$bin/mra-storage-rebuilt" --key "$work/signer.pem" 2>&1 | show
"$mra" enclave measure "$bin/mra-storage-rebuilt" --json | show
echo "  a) with the deployment's manifest it refuses to start (peers would refuse it):"
run_showing 'SIMULATION MODE: quotes|attested self|manifest verified|refusing to start:' \
  "$bin/mra-storage-rebuilt" --config "$work/deploy.toml"
row refused "$(outcome)" "rebuilt storage starts with the demo manifest" \
  "$(verdict "$work/out") (exit $rc)" '^MEASUREMENT_NOT_IN_MANIFEST \(exit 1\)$'

echo "  b) given a manifest for another deployment ('staging') that lists it, it starts;"
echo "     in storage's place, the frontend (demo manifest) refuses it in the TLS handshake:"
plat_stop storage || row accepted refused "storage stops cleanly on SIGTERM" "exit $?"
sed -e 's/^deployment = "demo"/deployment = "staging"/' \
  -e 's/^data_dir = "state"/data_dir = "staging"/' "$work/deploy.toml" >"$work/staging.toml"
plat_write_manifest "$work/staging/enclave_info.toml" 1 staging \
  frontend="$bin/mra-frontend" authentication="$bin/mra-authentication" \
  storage="$bin/mra-storage-rebuilt" || die "staging manifest: mra enclave measure failed"
plat_sign_manifest "$work/staging/enclave_info.toml" "$work/staging/signatures" 1 2 3 ||
  die "staging manifest: mra manifest sign failed"
plat_start rebuilt "$bin/mra-storage-rebuilt" "$work/staging.toml" "$work/rebuilt.log" ||
  die "the rebuilt storage did not start with the staging manifest"
refusal=""
for _ in $(seq 1 30); do
  rc=0
  "${c[@]}" --timeout 5 get greeting >"$work/out" 2>&1 || rc=$?
  refusal=$(grep -E 'peer refused: side=client verdict=[A-Z_]+ claimed_cn=storage ' "$work/frontend.log" | tail -1)
  [ -n "$refusal" ] && break
  sleep 0.5
done
echo "  the client's call through the frontend:"
show <"$work/out"
echo "  frontend's log:"
echo "$refusal" | cut -d' ' -f2- | show
why=$(grep -oE 'verdict=[A-Z_]+' <<<"$refusal" | cut -d= -f2)
if [ -n "$refusal" ] && [ "$rc" -ne 0 ]; then
  row refused refused "rebuilt storage (listed for 'staging') in storage's place" \
    "frontend: ${why:-?}; the client's get fails" '^frontend: MEASUREMENT_NOT_IN_MANIFEST;'
else
  row refused accepted "rebuilt storage (listed for 'staging') in storage's place" \
    "no refusal in the frontend's log (client exit $rc)"
fi
plat_stop rebuilt || true

bold "7. The genuine storage restarted: the value written before is read back"
plat_start storage "$bin/mra-storage" "$work/deploy.toml" "$work/storage.log" ||
  die "mra-storage did not restart"
# The frontend reconnects on its own (gRPC backoff); allow it some tries.
for _ in $(seq 1 30); do
  rc=0
  "${c[@]}" --timeout 5 get greeting >"$work/out" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] && break
  sleep 0.5
done
show <"$work/out"
if [ "$rc" -eq 0 ] && grep -qx 'hello, platform' "$work/out"; then
  row accepted accepted "get greeting after a storage restart" "'hello, platform' (SQLite)"
else
  row accepted refused "get greeting after a storage restart" "exit $rc"
fi

bold "8. Refusal 2: a manifest signed by only 2 of the 3 required auditors"
sed 's/^data_dir = "state"/data_dir = "two-sigs"/' "$work/deploy.toml" >"$work/two-sigs.toml"
cat >>"$work/two-sigs.toml" <<'TOML'

[manifest]
path = "state/enclave_info.toml"
signatures = ["state/signatures/auditor1.sig", "state/signatures/auditor2.sig"]
TOML
run_showing 'refusing to start:' "$bin/mra-authentication" --config "$work/two-sigs.toml"
row refused "$(outcome)" "authentication starts with 2 of 3 auditor signatures" \
  "$(verdict "$work/out") (exit $rc)" '^THRESHOLD_NOT_MET \(exit 1\)$'

bold "9. Refusal 3: a client calling storage directly"
echo "  a) mra-client pointed at storage's port (it expects the frontend):"
run "${c[@]}" --frontend "127.0.0.1:$p_store" --timeout 5 put planted x
row refused "$(outcome)" "mra-client calls storage directly" "$(verdict "$work/out")" \
  '^UNEXPECTED_PEER$'
echo "  b) a TLS client without an attested certificate (openssl s_client), storage's log:"
before=$(grep -c 'peer did not return a certificate' "$work/storage.log")
printf 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' |
  timeout 10 openssl s_client -connect "127.0.0.1:$p_store" -alpn h2 -brief -ign_eof >"$work/out" 2>&1
for _ in $(seq 1 20); do
  [ "$(grep -c 'peer did not return a certificate' "$work/storage.log")" -gt "$before" ] && break
  sleep 0.1
done
if [ "$(grep -c 'peer did not return a certificate' "$work/storage.log")" -gt "$before" ]; then
  grep 'peer did not return a certificate' "$work/storage.log" | tail -1 | show
  row refused refused "TLS client without a certificate calls storage" \
    "storage: TLS handshake failed: peer did not return a certificate"
else
  show <"$work/out"
  row refused accepted "TLS client without a certificate calls storage" \
    "storage logged no handshake failure"
fi
run "${c[@]}" get planted
row refused "$(outcome)" "nothing was stored by those calls (get planted)" \
  "$(verdict "$work/out")" '^NOT_FOUND$'

bold "10. Every accepted or refused connection is logged with the peer's identity, e.g."
logs 'peer accepted: side=server service=frontend' storage | tail -1
logs 'peer accepted: side=client service=storage' frontend | tail -1
logs 'peer refused: side=client verdict=MEASUREMENT_NOT_IN_MANIFEST' frontend | tail -1
logs 'call accepted service=frontend method=Put' frontend | tail -1
for svc in frontend authentication storage; do
  printf '    %-15s %3d TLS handshakes accepted, %3d refused; %3d calls accepted\n' "$svc:" \
    "$(grep -c 'peer accepted:' "$work/$svc.log")" "$(grep -c 'peer refused:' "$work/$svc.log")" \
    "$(grep -c 'call accepted' "$work/$svc.log")"
done

summary
if [ "$failed" -ne 0 ]; then
  echo
  echo "demo: an outcome was not the expected one (see UNEXPECTED above); logs:"
  for log in "$work"/*.log; do
    echo "--- $log"
    tail -20 "$log" | show
  done
  exit 1
fi
echo
echo "demo: all outcomes as expected (SIMULATION mode)."
