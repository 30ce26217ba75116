#!/usr/bin/env bash
# The platform's executables end to end, as separate processes, over the
# ATTESTED transport in simulation mode: start-up refusals (simulation not
# allowed, unsigned binary, too few auditor signatures, bad config), then
# mra-client register / login / put / get through the frontend, which it
# attests one-way, a client refusing a server that is not the frontend, and
# a value that survives a restart of the storage process.
#
# Simulation set-up as an operator would do it: see platform_lib.sh.
#
# Usage: platform_cli_test.sh BIN_DIR MRA MRA_CLIENT REPO_ROOT
#   BIN_DIR holds mra-frontend, mra-authentication and mra-storage.
set -uo pipefail
build_bin=$1 mra=$2 client=$3 root=$4
# shellcheck source=../lib.sh
source "$root/tests/lib.sh"

work=$(mktemp -d /tmp/mra-platform-test.XXXXXX)
# shellcheck source=platform_lib.sh
source "$root/tests/platform/platform_lib.sh"
cleanup() {
  plat_stop_all
  rm -rf "$work"
}
trap cleanup EXIT

read -r p_front p_auth p_store < <(plat_free_ports 3)
plat_write_config "$work/deploy.toml" e2e "$p_front" "$p_auth" "$p_store"

echo "== simulation set-up"
# The services run from signed copies beside their sidecars.
bin="$work/bin"
expect_rc 0 "mra sim init, enclave keygen, enclave sign of each service" \
  plat_sim_setup "$build_bin" "$bin"
cp "$build_bin/mra-storage" "$bin/mra-storage-unsigned"

# The manifest: the three measured identities, signed by the three PoC
# auditors (all three are required).
expect_rc 0 "manifest from mra enclave measure --json" \
  plat_write_manifest "$work/state/enclave_info.toml" 1 e2e \
  frontend="$bin/mra-frontend" authentication="$bin/mra-authentication" \
  storage="$bin/mra-storage"
expect_rc 0 "the three PoC auditors sign it" \
  plat_sign_manifest "$work/state/enclave_info.toml" "$work/state/signatures" 1 2 3

# start NAME / stop NAME: the service from its signed copy.
start() { plat_start "$1" "$bin/mra-$1" "$work/deploy.toml" "$work/$1.log"; }
stop() { plat_stop "$1"; }

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
