#!/usr/bin/env bash
# The platform's executables end to end, as separate processes, over the
# ATTESTED transport in simulation mode: start-up refusals (simulation not
# allowed, unsigned binary, too few auditor signatures, bad config), then
# mra-client register / login / put / get through the frontend, which it
# attests one-way, a client refusing a server that is not the frontend, and
# a value that survives a restart of the storage process.
#
# Simulation set-up, as an operator would do it:
#   mra sim init --dir sim                      development PKI + collateral
#   mra enclave keygen --out signer.pem         enclave signing key
#   mra enclave sign BIN --key signer.pem       BIN.sigstruct for each service
#   mra enclave measure BIN --json              -> the manifest's identities
#   mra manifest sign enclave_info.toml --key auditorN.private.pem (x3)
# and the deployment config's [attester] kind = "sim", sim_dir, and [policy]
# allow_simulation = true (the sim dir's root.pem is then trusted).
#
# Usage: platform_cli_test.sh BIN_DIR MRA MRA_CLIENT REPO_ROOT
#   BIN_DIR holds mra-frontend, mra-authentication and mra-storage.
set -uo pipefail
build_bin=$1 mra=$2 client=$3 root=$4
# shellcheck source=../lib.sh
source "$root/tests/lib.sh"

work=$(mktemp -d /tmp/mra-platform-test.XXXXXX)
declare -A pids=()
cleanup() {
  for name in "${!pids[@]}"; do
    kill -TERM "${pids[$name]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

read -r p_front p_auth p_store < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

cat > "$work/deploy.toml" <<TOML
deployment = "e2e"
data_dir = "state"

[attester]
kind = "sim"
sim_dir = "sim"

[policy]
allow_simulation = true
cert_lifetime = "10m"

[services.frontend]
listen = "127.0.0.1:$p_front"

[services.authentication]
listen = "127.0.0.1:$p_auth"
scrypt_log2_n = 10

[services.storage]
listen = "127.0.0.1:$p_store"
TOML

echo "== simulation set-up"
expect_rc 0 "mra sim init" "$mra" sim init --dir "$work/sim"
expect_rc 0 "mra enclave keygen" "$mra" enclave keygen --out "$work/signer.pem"
# The services run from copies beside their sidecars (the build tree stays
# untouched); in simulation MRENCLAVE is the SHA-256 of the binary.
bin="$work/bin"
mkdir -p "$bin"
for svc in frontend authentication storage; do
  cp "$build_bin/mra-$svc" "$bin/mra-$svc"
  expect_rc 0 "mra enclave sign mra-$svc" \
    "$mra" enclave sign "$bin/mra-$svc" --key "$work/signer.pem"
done
cp "$build_bin/mra-storage" "$bin/mra-storage-unsigned"

# The manifest: the three measured identities, signed by the three PoC
# auditors (all three are required).
mkdir -p "$work/state/signatures"
{
  echo "version = 1"
  echo "expires = $(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)"
  echo 'deployment = "e2e"'
  for svc in frontend authentication storage; do
    echo
    echo "[$svc]"
    "$mra" enclave measure "$bin/mra-$svc" --json | python3 -c '
import json, sys
m = json.load(sys.stdin)
print("mr_enclave = \"%s\"" % m["mr_enclave"])
print("mr_signer = \"%s\"" % m["mr_signer"])'
  done
} > "$work/state/enclave_info.toml"
for i in 1 2 3; do
  "$mra" manifest sign "$work/state/enclave_info.toml" \
    --key "$root/config/keys/auditor$i.private.pem" \
    --out "$work/state/signatures/auditor$i.sig" >/dev/null 2>&1
done

# start NAME: starts mra-NAME in the background and waits until it serves.
start() {
  local name=$1
  "$bin/mra-$name" --config "$work/deploy.toml" \
    >>"$work/$name.log" 2>&1 &
  pids[$name]=$!
  for _ in $(seq 1 300); do
    if grep -q "serving service=$name" "$work/$name.log"; then
      return 0
    fi
    if ! kill -0 "${pids[$name]}" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "mra-$name did not start:"; sed 's/^/    /' "$work/$name.log"
  return 1
}

# stop NAME: SIGTERM, and the exit code of a clean shutdown must be 0.
stop() {
  local name=$1 rc=0
  kill -TERM "${pids[$name]}"
  wait "${pids[$name]}" || rc=$?
  unset "pids[$name]"
  return $rc
}

echo "== start-up refusals"
grep -v '^allow_simulation' "$work/deploy.toml" > "$work/no-sim.toml"
expect_rc 1 "simulation quotes without policy.allow_simulation: refused" \
  "$bin/mra-storage" --config "$work/no-sim.toml"
expect_contains "...with the verdict (the dev root is not even loaded)" "REFUSED: ROOT_CA_UNTRUSTED"
expect_contains "...and the fix" "allow_simulation = true"

expect_rc 3 "a binary without a signed sidecar cannot attest" \
  "$bin/mra-storage-unsigned" --config "$work/deploy.toml"
expect_contains "...and says so" "attest self"

sed 's/^data_dir = "state"/data_dir = "state2"/' "$work/deploy.toml" > "$work/two-sigs.toml"
cat >> "$work/two-sigs.toml" <<TOML

[manifest]
path = "state/enclave_info.toml"
signatures = ["state/signatures/auditor1.sig", "state/signatures/auditor2.sig"]
TOML
expect_rc 1 "2 of the 3 required auditor signatures: refused" \
  "$bin/mra-authentication" --config "$work/two-sigs.toml"
expect_contains "...with the verdict" "REFUSED: THRESHOLD_NOT_MET"

printf 'deployment = "e2e"\n[services.storage]\nlisten_on = "x"\n' > "$work/bad.toml"
expect_rc 2 "a config with an unknown key: refused" \
  "$bin/mra-storage" --config "$work/bad.toml"
expect_contains "...naming the key and line" "bad.toml:3: unknown key 'listen_on' in [services.storage]"

expect_rc 0 "--print-config shows the effective config" \
  "$bin/mra-frontend" --config "$work/deploy.toml" --print-config
expect_contains "...with derived defaults" "manifest-state.json"

echo "== the platform"
start storage && start authentication && start frontend || { finish; exit 1; }

c=("$client" --config "$work/deploy.toml")
expect_rc 0 "register alice" env MRA_PASSWORD='correct horse' "${c[@]}" register alice
expect_rc 1 "register alice again" env MRA_PASSWORD='correct horse' "${c[@]}" register alice
expect_contains "...ALREADY_EXISTS" "ALREADY_EXISTS"
expect_rc 1 "login with a wrong password" env MRA_PASSWORD='wrong horse' "${c[@]}" login alice
expect_contains "...UNAUTHENTICATED" "UNAUTHENTICATED"
token=$(printf 'correct horse\n' | "${c[@]}" login alice --password-stdin 2>/dev/null)
if [[ "$token" =~ ^[0-9a-f]{64}$ ]]; then
  num_pass=$((num_pass + 1)); echo "PASS: login prints a 64-hex token"
else
  num_fail=$((num_fail + 1)); echo "FAIL: login printed '$token'"
fi
expect_rc 0 "put" "${c[@]}" put greeting 'hello, platform' --token "$token"
expect_rc 0 "get" env MRA_TOKEN="$token" "${c[@]}" get greeting
expect_contains "...returns the value" "hello, platform"
expect_rc 1 "get a missing key" env MRA_TOKEN="$token" "${c[@]}" get nothing
expect_contains "...NOT_FOUND" "NOT_FOUND"
expect_rc 1 "put with a forged token" "${c[@]}" put k v --token "$(printf '0%.0s' {1..64})"
expect_rc 2 "put without a token" env -u MRA_TOKEN "${c[@]}" put k v
expect_rc 3 "a frontend that is not there" "${c[@]}" --frontend 127.0.0.1:1 --timeout 5 get k --token "$token"
expect_rc 3 "the client refuses a server that is not the frontend (storage's port)" \
  "${c[@]}" --frontend "127.0.0.1:$p_store" --timeout 5 get k --token "$token"
expect_rc 3 "the client without the sim root trusted refuses the frontend" \
  "$client" --config "$work/no-sim.toml" --timeout 5 get k --token "$token"

echo "== durability across a storage restart"
if stop storage; then
  num_pass=$((num_pass + 1)); echo "PASS: storage stops cleanly on SIGTERM (exit 0)"
else
  num_fail=$((num_fail + 1)); echo "FAIL: storage exit code on SIGTERM"
fi
expect_rc 3 "get while storage is down: UNAVAILABLE" env MRA_TOKEN="$token" "${c[@]}" --timeout 5 get greeting
start storage || { finish; exit 1; }
# The frontend reconnects on its own (gRPC backoff); allow it a few tries.
for _ in 1 2 3 4 5 6 7 8 9 10; do
  out=$(env MRA_TOKEN="$token" "${c[@]}" get greeting 2>&1) && break
  sleep 1
done
LAST_OUT=$out
expect_contains "the value written before the restart is still there" "hello, platform"

echo "== logs"
LAST_OUT=$(cat "$work/storage.log")
expect_contains "storage logs the caller of each accepted call" "call accepted service=storage method=Put peer=frontend"
expect_contains "storage logs the start-up steps" "step 2/4 verify manifest"
expect_contains "storage attested itself (simulation)" "attested self service=storage attester=sim"
expect_contains "storage verified the frontend in the handshake" "peer accepted: side=server service=frontend"
LAST_OUT=$(cat "$work/frontend.log")
expect_contains "frontend logs the verified manifest" "manifest verified version=1"
finish
