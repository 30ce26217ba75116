#!/usr/bin/env bash
# ctest demo_e2e: runs the demo (scripts/demo.sh) against the build tree and
# asserts every outcome it shows, row by row in its summary table, not just
# its exit code; then that it left no process running, both after a normal
# run and after being stopped with SIGTERM in the middle.
#
# Usage: demo_e2e_test.sh BUILD_DIR REPO_ROOT
set -uo pipefail
build=$1 root=$2
# shellcheck source=../lib.sh
source "$root/tests/lib.sh"
demo="$root/scripts/demo.sh"
out=$(mktemp /tmp/mra-demo-e2e.XXXXXX)
kept=()
cleanup() {
  rm -f "$out"
  if [ ${#kept[@]} -gt 0 ]; then rm -rf "${kept[@]}"; fi
}
trap cleanup EXIT

# survivors DIR: pids of processes whose executable lies under DIR.
survivors() {
  local exe pid
  for exe in /proc/[0-9]*/exe; do
    pid=${exe#/proc/}
    pid=${pid%/exe}
    case "$(readlink "$exe" 2>/dev/null)" in
      "$1"/*) echo "$pid" ;;
    esac
  done
}
# scratch: the demo's scratch directory, from its first lines.
scratch() { sed -n 's/^demo: scratch directory: //p' "$out" | head -1; }

echo "== the demo, start to end"
t0=$(date +%s)
rc=0
MRA_DEMO_KEEP=1 bash "$demo" "$build" >"$out" 2>&1 || rc=$?
echo "(demo took $(($(date +%s) - t0)) s)"
dir=$(scratch)
[ -n "$dir" ] && kept+=("$dir")
if [ "$rc" -eq 0 ]; then
  pass "the demo exits 0"
else
  fail "the demo exits $rc" "$(cat "$out")"
fi
LAST_OUT=$(cat "$out")  # read by expect_contains (tests/lib.sh)
expect_contains "it says loudly that this is a simulation" "SIMULATION MODE: no SGX hardware"

# The summary rows: result, what was tried, outcome, reason.
summary=$(sed -n '/^result  *what was tried/,$p' "$out")
row() {  # description extended-regex
  if grep -qE -- "$2" <<<"$summary"; then
    pass "$1"
  else
    fail "$1: no summary row matching /$2/" "$summary"
  fi
}
row "services start (manifest 3 of 3)" \
  '^ok +storage, authentication, frontend start \(manifest 3 of 3\) +accepted '
row "register" '^ok +register alice +accepted'
row "wrong password refused" \
  '^ok +log in as alice with a wrong password +refused +UNAUTHENTICATED$'
row "login" '^ok +log in as alice +accepted +64-hex session token$'
row "put" "^ok +put greeting = 'hello, platform' +accepted"
row "get returns the value" "^ok +get greeting +accepted +'hello, platform'$"
row "rebuilt storage refuses to start with the deployment's manifest" \
  "^ok +rebuilt storage starts with the demo manifest +refused +MEASUREMENT_NOT_IN_MANIFEST \(exit 1\)$"
row "the frontend refuses the rebuilt storage as a peer" \
  "^ok +rebuilt storage \(listed for 'staging'\) in storage's place +refused +frontend: MEASUREMENT_NOT_IN_MANIFEST; "
row "data written before a storage restart is read back after it" \
  "^ok +get greeting after a storage restart +accepted +'hello, platform'"
row "too few auditor signatures: the service does not start" \
  '^ok +authentication starts with 2 of 3 auditor signatures +refused +THRESHOLD_NOT_MET \(exit 1\)$'
row "mra-client calling storage directly is refused" \
  '^ok +mra-client calls storage directly +refused +UNEXPECTED_PEER$'
row "storage refuses a TLS client without a certificate" \
  '^ok +TLS client without a certificate calls storage +refused +storage: TLS handshake failed: peer did not return a certificate$'
row "nothing was planted in storage" \
  '^ok +nothing was stored by those calls \(get planted\) +refused +NOT_FOUND$'
n_rows=$(grep -cE '^(ok|UNEXPECTED) ' <<<"$summary")
if [ "$n_rows" -eq 13 ] && ! grep -q '^UNEXPECTED' <<<"$summary"; then
  pass "13 summary rows, none UNEXPECTED"
else
  fail "summary: $n_rows rows" "$summary"
fi

# What the demo shows from the logs: the refusal names the rebuilt binary's
# MRENCLAVE, and accepted connections name the verified peer.
rebuilt_mrenclave=$(sed -n 's/.*"mr_enclave": *"\([0-9a-f]\{64\}\)".*/\1/p' "$out" | tail -1)
expect_contains "the frontend's refusal names the rebuilt MRENCLAVE" \
  "MRENCLAVE $rebuilt_mrenclave is not listed for any service"
expect_contains "the refusal shows the identity the peer claimed" \
  "claimed_cn=storage"
expect_contains "the frontend logs the verified storage peer" \
  "peer accepted: side=client service=storage"
expect_contains "storage logs each accepted call with its caller" \
  "call accepted service=storage method=Put peer=frontend"

if [ -n "$dir" ] && [ -d "$dir/bin" ]; then
  left=$(survivors "$dir/bin")
  if [ -z "$left" ]; then
    pass "no process of the demo is left running"
  else
    fail "processes left running: $left" "$(ps -o pid,args -p "$(tr '\n' ',' <<<"$left" | sed 's/,$//')")"
  fi
else
  fail "no scratch directory reported (MRA_DEMO_KEEP=1)" "$(head -5 "$out")"
fi

echo "== the demo stopped with SIGTERM once a service runs"
: >"$out"  # Before the background start: no stale scratch line to read.
bash "$demo" "$build" >"$out" 2>&1 &
demo_pid=$!
# As soon as storage serves (the demo then starts the others); generous
# bound for loaded CI machines.
dir=""
for _ in $(seq 1 1800); do
  [ -z "$dir" ] && dir=$(scratch)
  [ -n "$dir" ] && grep -qs 'serving service=storage' "$dir/storage.log" && break
  kill -0 "$demo_pid" 2>/dev/null || break
  sleep 0.1
done
running=""
[ -n "$dir" ] && running=$(survivors "$dir/bin")
if [ -n "$running" ]; then
  pass "services running before the signal ($(wc -w <<<"$running") processes)"
else
  fail "no services were running when the signal was due" "$(cat "$out")"
fi
kill -TERM "$demo_pid"
rc=0
wait "$demo_pid" || rc=$?
if [ "$rc" -ne 0 ]; then
  pass "the interrupted demo exits non-zero ($rc)"
else
  fail "the interrupted demo exits 0"
fi
sleep 0.5
left=""
[ -n "$dir" ] && left=$(survivors "$dir/bin")
if [ -n "$dir" ] && [ -z "$left" ] && [ ! -e "$dir" ]; then
  pass "nothing left running, scratch directory removed"
else
  fail "after SIGTERM: left running '$left', scratch '$dir'" "$(tail -20 "$out")"
fi
finish
