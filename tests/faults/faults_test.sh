#!/usr/bin/env bash
# Fault injection on the platform's real processes (issue 6): mra-frontend,
# mra-authentication and mra-storage run as separate processes over the
# ATTESTED transport in simulation mode (set up as in
# tests/platform/platform_cli_test.sh, with tests/platform/platform_lib.sh),
# mra-client talks to the frontend, and faults are injected from outside:
#
#   storage-kill  a writer loop puts key_i = value_i and records which puts
#                 were acknowledged; storage is SIGKILLed at a random point
#                 and restarted; every acknowledged key must read back with
#                 its value, every call in the outage must fail with a clear
#                 error well inside its deadline, and calls must succeed
#                 again without restarting the frontend. Then a 30 s outage
#                 (calls must succeed within 6 s of storage serving again),
#                 storage killed while a Put is queued in it (SIGSTOP, then
#                 SIGKILL), and a hung storage (SIGSTOP): the client's
#                 deadline bounds it.
#   service-kill  the frontend, then authentication, SIGKILLed while a call
#                 is in flight through them: a clear error, not a hang; while
#                 authentication is down nothing is accepted without token
#                 validation; after restarts sessions work (a restarted
#                 authentication forgets its in-memory tokens: log in again).
#   collateral    start-up with each sim dir file missing or corrupt
#                 (collateral.json, root.pem, pck.pem, keys/pck.key,
#                 sim.json): refused, naming the file or the failed check;
#                 collateral corrupted / tampered / removed while running:
#                 established connections keep working, a new peer
#                 certificate is refused with the verdict, the client fails
#                 closed, and restoring the file recovers without restarts.
#   manifest      the manifest replaced while running by garbage, a
#                 truncated copy, a new version with too few signatures and
#                 garbage signed by every auditor: each reload refused with a
#                 log line naming the reason, calls keep succeeding; a service
#                 started meanwhile refuses to start; then a valid higher
#                 version is accepted and an older one refused (rollback).
#
# Usage: faults_test.sh CASE BIN_DIR MRA MRA_CLIENT REPO_ROOT
#   BIN_DIR holds mra-frontend, mra-authentication and mra-storage.
#   FAULTS_SEED=N fixes the random kill point of storage-kill;
#   FAULTS_OUTAGE_SECONDS (2) and FAULTS_LONG_OUTAGE_SECONDS (30) its
#   outages; FAULTS_KEEP=1 keeps the work directory of a failed run.
set -uo pipefail
case_name=$1 build_bin=$2 mra=$3 client=$4 root=$5
# shellcheck source=../lib.sh
source "$root/tests/lib.sh"

work=$(mktemp -d "/tmp/mra-faults-$case_name.XXXXXX")
# shellcheck source=../platform/platform_lib.sh
source "$root/tests/platform/platform_lib.sh"
bg_pids=()
cleanup() {
  local pid
  for pid in "${plat_pids[@]}"; do
    kill -CONT "$pid" 2>/dev/null || true
  done
  plat_stop_all
  for pid in "${bg_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [ "${num_fail:-0}" -ne 0 ] && [ -n "${FAULTS_KEEP:-}" ]; then
    echo "kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }

read -r p_front p_auth p_store < <(plat_free_ports 3)

# write_config FILE [EXTRA_TABLES]: the deployment config every process
# reads (platform_lib's), plus extra TOML tables.
write_config() {
  plat_write_config "$1" faults "$p_front" "$p_auth" "$p_store"
  if [ -n "${2:-}" ]; then
    printf '%s\n' "$2" >> "$1"
  fi
}
write_config "$work/deploy.toml"
# mra-client keeps its own copy of the manifest (it runs elsewhere), so a
# manifest replaced under the services does not change what it trusts.
write_config "$work/client.toml" '
[manifest]
path = "client/enclave_info.toml"
signature_dir = "client/signatures"'

echo "== simulation set-up (case $case_name)"
if ! { plat_sim_setup "$build_bin" "$work/bin" >"$work/setup.log" 2>&1 &&
        plat_write_manifest "$work/state/enclave_info.toml" 1 faults \
          "frontend=$work/bin/mra-frontend" \
          "authentication=$work/bin/mra-authentication" \
          "storage=$work/bin/mra-storage" &&
        plat_sign_manifest "$work/state/enclave_info.toml" \
          "$work/state/signatures" 1 2 3; }; then
  fail "simulation set-up" "$(cat "$work/setup.log")"; finish; exit 1
fi
mkdir -p "$work/client"
cp -r "$work/state/enclave_info.toml" "$work/state/signatures" "$work/client/"

# log_count NAME NEEDLE: how many lines of NAME's log contain NEEDLE.
log_count() {
  local n
  n=$(grep -cF -- "$2" "$work/$1.log" 2>/dev/null)
  echo "${n:-0}"
}

# wait_log_count NAME NEEDLE MIN [SECONDS]: waits until NAME's log holds at
# least MIN lines with NEEDLE.
wait_log_count() {
  local name=$1 needle=$2 min=$3 secs=${4:-20} _
  for _ in $(seq 1 $((secs * 10))); do
    if [ "$(log_count "$name" "$needle")" -ge "$min" ]; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# start NAME [CONFIG]: starts mra-NAME (log appended to WORK/NAME.log across
# restarts) and waits until it serves.
start() {
  local name=$1 config=${2:-$work/deploy.toml}
  if ! plat_start "$name" "$work/bin/mra-$name" "$config" "$work/$name.log" 2>"$work/start.err"; then
    fail "mra-$name did not start" "$(tail -n 20 "$work/start.err")"
    return 1
  fi
}

# kill9 NAME: SIGKILL, reaped; the exit status must say SIGKILL (137).
kill9() {
  local name=$1 rc=0
  kill -KILL "${plat_pids[$name]}"
  wait "${plat_pids[$name]}" 2>/dev/null || rc=$?
  unset "plat_pids[$name]"
  if [ "$rc" -eq 137 ]; then
    pass "mra-$name killed with SIGKILL"
  else
    fail "mra-$name: exit status $rc after SIGKILL, want 137"
  fi
}

c=("$client" --config "$work/client.toml")

# login USER: prints a fresh token (empty on failure).
login() {
  printf 'correct horse\n' | "${c[@]}" --timeout 10 login "$1" --password-stdin 2>/dev/null
}

# retry_until_rc WANT SECONDS ARGS...: runs mra-client ARGS once a second
# until it exits WANT; LAST_OUT/LAST_RC hold the last run, and RECOVERY_MS
# how long it took.
retry_until_rc() {
  local want=$1 secs=$2 t0 _; shift 2
  t0=$(now_ms)
  for _ in $(seq 1 "$secs"); do
    LAST_OUT=$("${c[@]}" "$@" 2>&1) && LAST_RC=0 || LAST_RC=$?
    [ "$LAST_RC" -eq "$want" ] && break
    sleep 1
  done
  RECOVERY_MS=$(($(now_ms) - t0))
  [ "$LAST_RC" -eq "$want" ]
}

start_platform() {
  start storage && start authentication && start "frontend" "${1:-$work/deploy.toml}"
}

# ---------------------------------------------------------------------------
case_storage_kill() {
  start_platform || return
  local token
  expect_rc 0 "register alice" env MRA_PASSWORD='correct horse' "${c[@]}" register alice
  token=$(login alice)
  [[ "$token" =~ ^[0-9a-f]{64}$ ]] || { fail "login"; return; }
  local front_pid=${plat_pids[frontend]}

  echo "== writer loop, storage SIGKILLed at a random point and restarted"
  local seed=${FAULTS_SEED:-$((($(date +%s%N) / 1000) % 32768))}
  RANDOM=$seed
  local kill_after=$((3 + RANDOM % 10)) kill_delay_ms=$((RANDOM % 400))
  echo "seed $seed: kill after $kill_after acknowledged puts + ${kill_delay_ms} ms (FAULTS_SEED=$seed to repeat)"
  : > "$work/acked"
  : > "$work/attempts"
  (
    i=0
    while [ ! -e "$work/writer.stop" ] && [ $i -lt 1000 ]; do
      i=$((i + 1))
      t0=$(now_ms)
      out=$("${c[@]}" --timeout 5 put "key_$i" "value_$i" --token "$token" 2>&1) && rc=0 || rc=$?
      t1=$(now_ms)
      # attempts: i rc start_ms duration_ms message
      echo "$i $rc $t0 $((t1 - t0)) $(tr '\n' ' ' <<<"$out")" >> "$work/attempts"
      [ $rc -eq 0 ] && echo "$i $t1" >> "$work/acked"
    done
  ) &
  local writer=$!
  bg_pids+=("$writer")
  local _
  for _ in $(seq 1 600); do
    [ "$(wc -l < "$work/acked")" -ge "$kill_after" ] && break
    sleep 0.1
  done
  sleep "$(printf '0.%03d' "$kill_delay_ms")"
  local t_kill
  t_kill=$(now_ms)
  kill9 storage
  sleep "${FAULTS_OUTAGE_SECONDS:-2}"  # the outage; the writer keeps trying
  start storage || { touch "$work/writer.stop"; wait "$writer"; return; }
  local t_restart
  t_restart=$(now_ms)
  # Until five puts issued after the restart were acknowledged (or 60 s).
  for _ in $(seq 1 600); do
    [ "$(awk -v t="$t_restart" '$2 > t' "$work/acked" | wc -l)" -ge 5 ] && break
    sleep 0.1
  done
  touch "$work/writer.stop"
  wait "$writer"

  local attempts acked failed
  attempts=$(wc -l < "$work/attempts")
  acked=$(wc -l < "$work/acked")
  failed=$(awk '$2 != 0' "$work/attempts" | wc -l)
  echo "writer: $attempts puts, $acked acknowledged, $failed failed"
  if [ "$failed" -ge 1 ]; then
    pass "puts during the outage failed ($failed)"
  else
    fail "no put failed although storage was down for > 2 s"
  fi
  local bad
  bad=$(awk '$2 != 0 && !($2 == 3 && /UNAVAILABLE: storage service unavailable/)' "$work/attempts")
  if [ -z "$bad" ]; then
    pass "every failed put: exit 3 'UNAVAILABLE: storage service unavailable'"
  else
    fail "failed puts with another error" "$bad"
  fi
  local slowest
  slowest=$(awk '$2 != 0 { if ($4 > m) m = $4 } END { print m + 0 }' "$work/attempts")
  if [ "$slowest" -lt 4000 ]; then
    pass "no failed put hung: the slowest took $slowest ms (deadline 5 s)"
  else
    fail "a failed put took $slowest ms (deadline 5 s)"
  fi
  local first_after
  first_after=$(awk -v t="$t_restart" '$2 > t { print $2; exit }' "$work/acked")
  local after
  after=$(awk -v t="$t_restart" '$2 > t' "$work/acked" | wc -l)
  if [ "$after" -ge 5 ]; then
    pass "puts acknowledged again after the restart ($after; first $((first_after - t_restart)) ms after storage served; outage $((t_restart - t_kill)) ms)"
  else
    fail "only $after puts acknowledged after the restart"
  fi
  if [ "${plat_pids[frontend]}" = "$front_pid" ] && kill -0 "$front_pid" 2>/dev/null &&
     [ "$(log_count frontend "serving service=frontend")" -eq 1 ]; then
    pass "the frontend was never restarted"
  else
    fail "the frontend was restarted"
  fi

  echo "== every acknowledged put reads back"
  local lost=0 i last_i
  while read -r i _; do
    out=$(MRA_TOKEN=$token "${c[@]}" --timeout 5 get "key_$i" 2>"$work/get.err")
    if [ "$out" != "value_$i" ]; then
      lost=$((lost + 1)); echo "    key_$i: '$out' $(grep mra-client: "$work/get.err")"
    fi
  done < "$work/acked"
  if [ "$lost" -eq 0 ]; then
    pass "all $acked acknowledged puts read back with their values"
  else
    fail "$lost of $acked acknowledged puts lost or wrong"
  fi
  # A put that failed may or may not have been committed; never another value.
  local wrong=0
  local rc absent=0
  while read -r i _; do
    out=$(MRA_TOKEN=$token "${c[@]}" --timeout 5 get "key_$i" 2>"$work/get.err") && rc=0 || rc=$?
    if [ "$rc" -eq 1 ] && grep -q "get: NOT_FOUND" "$work/get.err"; then
      absent=$((absent + 1))
    elif [ "$rc" -ne 0 ] || [ "$out" != "value_$i" ]; then
      wrong=$((wrong + 1)); echo "    key_$i: exit $rc '$out' $(grep mra-client: "$work/get.err")"
    fi
  done < <(awk '$2 != 0' "$work/attempts")
  if [ "$wrong" -eq 0 ]; then
    pass "each failed put is either absent ($absent) or holds its own value ($((failed - absent)))"
  else
    fail "$wrong failed puts hold something else"
  fi
  last_i=$(tail -n 1 "$work/attempts" | cut -d' ' -f1)
  expect_rc 1 "a key never written is NOT_FOUND" \
    env MRA_TOKEN="$token" "${c[@]}" get "key_$((last_i + 1))"

  echo "== a long storage outage: the frontend reconnects promptly afterwards"
  # gRPC's default reconnect backoff would reach ~10-17 s after a 30 s
  # outage; the platform's channels cap it (ChannelFactory::Dial).
  local long_outage=${FAULTS_LONG_OUTAGE_SECONDS:-30}
  kill9 storage
  local t_end=$(($(now_ms) + long_outage * 1000)) n_down=0
  while [ "$(now_ms)" -lt "$t_end" ]; do
    "${c[@]}" --timeout 5 get key_1 --token "$token" >/dev/null 2>&1 || n_down=$((n_down + 1))
    sleep 1
  done
  start storage || return
  t_restart=$(now_ms)
  local rc_up=1
  for _ in $(seq 1 60); do
    if "${c[@]}" --timeout 5 get key_1 --token "$token" >/dev/null 2>&1; then
      rc_up=0; break
    fi
    sleep 0.2
  done
  local recovery=$(($(now_ms) - t_restart))
  if [ "$rc_up" -eq 0 ] && [ "$recovery" -le 6000 ]; then
    pass "after a ${long_outage} s outage ($n_down failed calls) calls succeed $recovery ms after storage serves again"
  else
    fail "after a ${long_outage} s outage: calls succeed only after $recovery ms (exit $rc_up), want <= 6 s"
  fi

  echo "== storage SIGKILLed with a Put queued in it"
  kill -STOP "${plat_pids[storage]}"
  local before
  before=$(log_count frontend "call accepted service=frontend method=Put")
  "${c[@]}" --timeout 20 put inflight v --token "$token" > "$work/inflight.out" 2>&1 &
  local put_pid=$!
  bg_pids+=("$put_pid")
  if wait_log_count frontend "call accepted service=frontend method=Put" $((before + 1)) 20; then
    sleep 0.5  # token validated, Put forwarded to the stopped storage
    t_kill=$(now_ms)
    kill9 storage
    local rc=0
    wait "$put_pid" || rc=$?
    local took=$(($(now_ms) - t_kill))
    LAST_OUT=$(cat "$work/inflight.out")
    if [ "$rc" -eq 3 ] && [ "$took" -lt 3000 ]; then
      pass "the in-flight put failed $took ms after the kill (exit 3, deadline 20 s)"
    else
      fail "the in-flight put: exit $rc, $took ms after the kill" "$LAST_OUT"
    fi
    expect_contains "...with a clear error" "UNAVAILABLE: storage service unavailable"
  else
    fail "the put never reached the frontend"
  fi
  start storage || return
  if retry_until_rc 1 30 --timeout 5 get inflight --token "$token"; then
    pass "the unacknowledged in-flight put was not stored (NOT_FOUND; storage back after $RECOVERY_MS ms)"
  else
    fail "get inflight after the restart: exit $LAST_RC" "$LAST_OUT"
  fi

  echo "== storage hung (SIGSTOP): the caller's deadline bounds the call"
  kill -STOP "${plat_pids[storage]}"
  expect_rc_within 6 3 "put to a hung storage fails at the client's 3 s deadline" \
    "${c[@]}" --timeout 3 put hung v --token "$token"
  expect_contains "...DEADLINE_EXCEEDED" "DEADLINE_EXCEEDED"
  if [ "$LAST_MS" -ge 2900 ]; then
    pass "...after the deadline, not before ($LAST_MS ms)"
  else
    fail "...failed after $LAST_MS ms, before the deadline"
  fi
  kill -CONT "${plat_pids[storage]}"
  expect_rc 0 "after SIGCONT storage serves again" env MRA_TOKEN="$token" "${c[@]}" --timeout 5 get key_1
  expect_contains "...the first value" "value_1"
  local rc=0
  kill -TERM "${plat_pids[storage]}"
  wait "${plat_pids[storage]}" || rc=$?
  unset "plat_pids[storage]"
  if [ "$rc" -eq 0 ]; then
    pass "after all that storage still stops cleanly on SIGTERM (exit 0)"
  else
    fail "storage exit status $rc on SIGTERM"
  fi
}

# ---------------------------------------------------------------------------
case_service_kill() {
  start_platform || return
  local token
  expect_rc 0 "register alice" env MRA_PASSWORD='correct horse' "${c[@]}" register alice
  token=$(login alice)
  [[ "$token" =~ ^[0-9a-f]{64}$ ]] || { fail "login"; return; }
  expect_rc 0 "put k1" "${c[@]}" put k1 v1 --token "$token"

  echo "== frontend SIGKILLed while a Put is in flight through it"
  kill -STOP "${plat_pids[storage]}"  # holds the Put inside the frontend
  local before
  before=$(log_count frontend "call accepted service=frontend method=Put")
  "${c[@]}" --timeout 20 put k2 v2 --token "$token" > "$work/inflight.out" 2>&1 &
  local put_pid=$!
  bg_pids+=("$put_pid")
  if wait_log_count frontend "call accepted service=frontend method=Put" $((before + 1)) 20; then
    sleep 0.3
    local t_kill rc=0
    t_kill=$(now_ms)
    kill9 frontend
    wait "$put_pid" || rc=$?
    local took=$(($(now_ms) - t_kill))
    LAST_OUT=$(cat "$work/inflight.out")
    if [ "$rc" -eq 3 ] && [ "$took" -lt 3000 ]; then
      pass "the client got an error $took ms after the kill (exit 3, deadline 20 s)"
    else
      fail "the client: exit $rc, $took ms after the kill" "$LAST_OUT"
    fi
    expect_contains "...UNAVAILABLE" "UNAVAILABLE"
  else
    fail "the put never reached the frontend"
  fi
  kill -CONT "${plat_pids[storage]}"
  expect_rc_within 6 3 "a call while the frontend is down fails fast" \
    "${c[@]}" --timeout 5 get k1 --token "$token"
  expect_contains "...UNAVAILABLE" "UNAVAILABLE"
  start frontend || return
  expect_rc 0 "after the frontend restart the same session (token) works" \
    env MRA_TOKEN="$token" "${c[@]}" --timeout 10 get k1
  expect_contains "...and reads k1" "v1"
  expect_rc 0 "...and writes" "${c[@]}" put k4 v4 --token "$token"

  echo "== authentication SIGKILLed while a Login is in flight to it"
  kill -STOP "${plat_pids[authentication]}"
  before=$(log_count frontend "call accepted service=frontend method=Login")
  printf 'correct horse\n' | "${c[@]}" --timeout 20 login alice --password-stdin > "$work/inflight.out" 2>&1 &
  local login_pid=$!
  bg_pids+=("$login_pid")
  if wait_log_count frontend "call accepted service=frontend method=Login" $((before + 1)) 20; then
    sleep 0.3
    local t_kill rc=0
    t_kill=$(now_ms)
    kill9 authentication
    wait "$login_pid" || rc=$?
    local took=$(($(now_ms) - t_kill))
    LAST_OUT=$(cat "$work/inflight.out")
    if [ "$rc" -eq 3 ] && [ "$took" -lt 3000 ]; then
      pass "the login failed $took ms after the kill (exit 3, deadline 20 s)"
    else
      fail "the login: exit $rc, $took ms after the kill" "$LAST_OUT"
    fi
    expect_contains "...with a clear error" "UNAVAILABLE: authentication service unavailable"
  else
    fail "the login never reached the frontend"
  fi
  expect_rc_within 6 3 "while authentication is down a put with a valid token is not accepted" \
    "${c[@]}" --timeout 5 put k3 v3 --token "$token"
  expect_contains "...UNAVAILABLE (the token cannot be checked)" "UNAVAILABLE: authentication service unavailable"
  start authentication || return
  # The frontend reconnects on its own; a restarted authentication has
  # forgotten its in-memory sessions, so the old token is refused.
  if retry_until_rc 1 30 --timeout 5 get k1 --token "$token"; then
    pass "after the restart the old token is refused (sessions are not persisted; $RECOVERY_MS ms)"
  else
    fail "old token after the authentication restart: exit $LAST_RC" "$LAST_OUT"
  fi
  expect_contains "...UNAUTHENTICATED" "UNAUTHENTICATED"
  local token2
  token2=$(login alice)
  if [[ "$token2" =~ ^[0-9a-f]{64}$ ]]; then
    pass "alice logs in again (her account survived the kill)"
  else
    fail "login after the authentication restart"
  fi
  expect_rc 0 "the new session reads k1" env MRA_TOKEN="$token2" "${c[@]}" get k1
  expect_contains "...v1" "v1"
  expect_rc 0 "...and k4, written after the frontend restart" env MRA_TOKEN="$token2" "${c[@]}" get k4
  expect_contains "...v4" "v4"
  expect_rc 1 "the put refused while authentication was down stored nothing" \
    env MRA_TOKEN="$token2" "${c[@]}" get k3
  expect_contains "...NOT_FOUND" "NOT_FOUND"
}

# ---------------------------------------------------------------------------
# tamper_collateral FILE: moves the signed TCB info's nextUpdate ten years
# on (valid JSON and structure; the host "refreshes" stale collateral
# without Intel's signature, so only the signature check can catch it).
tamper_collateral() {
  python3 - "$1" <<'PY'
import json, re, sys
path = sys.argv[1]
with open(path) as f:
    bundle = json.load(f)
tcb = bundle["tcb_info"]
new = re.sub(r'"nextUpdate":"(\d{4})', lambda m: '"nextUpdate":"%d' % (int(m.group(1)) + 10), tcb, count=1)
assert new != tcb, "no nextUpdate in the TCB info of " + path
bundle["tcb_info"] = new
with open(path, "w") as f:
    json.dump(bundle, f, indent=2)
PY
}

case_collateral() {
  echo "== start-up with a sim dir file missing or corrupt"
  write_config "$work/bad.toml"
  sed -i 's/^sim_dir = "sim"/sim_dir = "simbad"/' "$work/bad.toml"
  # fault_start DESC WANT_RC NEEDLE SETUP...: fresh copy of the sim dir, SETUP
  # breaks it, then mra-storage must refuse to start (bounded by timeout).
  fault_start() {
    local what=$1 want=$2 needle=$3; shift 3
    rm -rf "$work/simbad"
    cp -a "$work/sim" "$work/simbad"
    "$@" || fail "$what: could not inject the fault"
    expect_rc_within 20 "$want" "$what: refused" \
      timeout 30 "$work/bin/mra-storage" --config "$work/bad.toml"
    expect_contains "...naming it: $needle" "$needle"
    expect_contains "...and saying it refuses" "refusing to start"
  }
  local sb=$work/simbad
  expect_rc 0 "control: the intact copy of the sim dir starts (--print-config)" \
    "$work/bin/mra-storage" --config "$work/bad.toml" --print-config
  fault_start "collateral.json missing" 3 "collateral bundle $sb/collateral.json" \
    rm "$sb/collateral.json"
  fault_start "collateral.json garbage" 1 "COLLATERAL_MALFORMED" \
    eval "head -c 3000 /dev/urandom > '$sb/collateral.json'"
  fault_start "collateral.json truncated" 1 "COLLATERAL_MALFORMED" \
    eval "head -c 1000 '$work/sim/collateral.json' > '$sb/collateral.json'"
  fault_start "collateral.json empty" 1 "COLLATERAL_MALFORMED" \
    eval ": > '$sb/collateral.json'"
  fault_start "collateral.json with a tampered TCB info (valid JSON)" 1 "TCB_INFO_INVALID" \
    tamper_collateral "$sb/collateral.json"
  fault_start "root.pem missing" 3 "policy.simulation_root $sb/root.pem" \
    rm "$sb/root.pem"
  fault_start "root.pem garbage" 2 "policy.simulation_root $sb/root.pem" \
    eval "echo garbage > '$sb/root.pem'"
  fault_start "pck.pem missing" 3 "pck.pem" rm "$sb/pck.pem"
  fault_start "keys/pck.key corrupt" 2 "pck.key" eval "echo garbage > '$sb/keys/pck.key'"
  fault_start "sim.json corrupt" 2 "sim.json" eval "echo '{' > '$sb/sim.json'"

  echo "== collateral corrupted while running"
  # The frontend reads its own copy of the collateral, so storage can be
  # restarted (with intact collateral) and must then be judged by it.
  cp "$work/sim/collateral.json" "$work/front-collateral.json"
  write_config "$work/front.toml" '
[collateral]
path = "front-collateral.json"'
  start_platform "$work/front.toml" || return
  local token
  expect_rc 0 "register alice" env MRA_PASSWORD='correct horse' "${c[@]}" register alice
  token=$(login alice)
  expect_rc 0 "put k1" "${c[@]}" put k1 v1 --token "$token"

  # bad_collateral: each variant is installed atomically, then storage is
  # restarted so the frontend must judge a new certificate.
  local bad=$work/front-collateral.bad
  head -c 2000 /dev/urandom > "$bad" && mv "$bad" "$work/front-collateral.json"
  expect_rc 0 "collateral garbage: calls on established connections still succeed" \
    env MRA_TOKEN="$token" "${c[@]}" --timeout 5 get k1
  expect_contains "...v1" "v1"
  local before_calls
  # refused_with VERDICT NEEDLE: storage restarted (new certificate); calls
  # fail and the frontend logs the refusal of the new certificate.
  refused_with() {
    local verdict=$1 needle=$2 n0 _
    kill9 storage
    start storage || return
    before_calls=$(log_count storage "call accepted service=storage")
    n0=$(log_count frontend "peer refused: side=client verdict=$verdict")
    for _ in $(seq 1 20); do
      LAST_OUT=$("${c[@]}" --timeout 5 get k1 --token "$token" 2>&1) && LAST_RC=0 || LAST_RC=$?
      [ "$LAST_RC" -eq 0 ] && break
      [ "$(log_count frontend "peer refused: side=client verdict=$verdict")" -gt "$n0" ] && break
      sleep 1
    done
    if [ "$LAST_RC" -eq 3 ] && grep -qF "UNAVAILABLE: storage service unavailable" <<<"$LAST_OUT"; then
      pass "...calls fail with 'storage service unavailable'"
    else
      fail "...call: exit $LAST_RC" "$LAST_OUT"
    fi
    local line
    line=$(grep -F "peer refused: side=client verdict=$verdict" "$work/frontend.log" | tail -n 1)
    if [ "$(log_count frontend "peer refused: side=client verdict=$verdict")" -gt "$n0" ] &&
       grep -qF -- "$needle" <<<"$line"; then
      pass "...the frontend refuses storage's new certificate: $verdict, naming '$needle'"
    else
      fail "...no 'peer refused ... verdict=$verdict' naming '$needle' in the frontend log" \
        "$(grep -F "peer refused" "$work/frontend.log" | tail -n 3)"
    fi
    if [ "$(log_count storage "call accepted service=storage")" -eq "$before_calls" ]; then
      pass "...storage served no call meanwhile"
    else
      fail "...storage served calls although the frontend's collateral is bad"
    fi
  }
  echo "-- garbage collateral"
  refused_with COLLATERAL_MALFORMED "front-collateral.json"
  echo "-- tampered TCB info (valid JSON, bad signature)"
  cp "$work/sim/collateral.json" "$bad"
  tamper_collateral "$bad" || fail "could not tamper with the collateral"
  mv "$bad" "$work/front-collateral.json"
  refused_with TCB_INFO_INVALID "signature"
  echo "-- collateral file removed"
  rm "$work/front-collateral.json"
  refused_with ERROR_NOT_FOUND "front-collateral.json"
  echo "-- collateral restored"
  cp "$work/sim/collateral.json" "$bad" && mv "$bad" "$work/front-collateral.json"
  if retry_until_rc 0 60 --timeout 5 get k1 --token "$token"; then
    pass "restored collateral: calls succeed again without restarting the frontend ($RECOVERY_MS ms)"
  else
    fail "restored collateral: exit $LAST_RC" "$LAST_OUT"
  fi
  expect_contains "...v1" "v1"

  echo "== the client's collateral corrupted"
  cp "$work/sim/collateral.json" "$work/sim-collateral.good"
  echo '{"tcbInfo": ' > "$work/sim/collateral.json"
  expect_rc_within 10 3 "mra-client with corrupt collateral refuses the frontend" \
    "${c[@]}" --timeout 5 get k1 --token "$token"
  expect_contains "...naming the check" "COLLATERAL_MALFORMED"
  cp "$work/sim-collateral.good" "$work/sim/collateral.json"
  expect_rc 0 "...and works again once it is restored" "${c[@]}" --timeout 5 get k1 --token "$token"
}

# ---------------------------------------------------------------------------
case_manifest() {
  start_platform || return
  local token
  expect_rc 0 "register alice" env MRA_PASSWORD='correct horse' "${c[@]}" register alice
  token=$(login alice)
  expect_rc 0 "put k0" "${c[@]}" put k0 v0 --token "$token"
  local st=$work/state
  cp "$st/enclave_info.toml" "$work/v1.toml"
  cp -r "$st/signatures" "$work/v1-signatures"
  sed 's/^version = 1$/version = 2/' "$work/v1.toml" > "$work/v2.toml"
  plat_sign_manifest "$work/v2.toml" "$work/v2-signatures" 1 2 3 || fail "sign v2"
  head -c 4000 /dev/urandom | base64 > "$work/garbage.toml"
  plat_sign_manifest "$work/garbage.toml" "$work/garbage-signatures" 1 2 3 || fail "sign garbage"

  # install FILE [SIG1 SIG2 SIG3]: atomically replaces the manifest (and the
  # given signatures; "-" removes one).
  install() {
    local file=$1 i=1 sig; shift
    cp "$file" "$st/.m.tmp" && mv "$st/.m.tmp" "$st/enclave_info.toml"
    for sig in "$@"; do
      if [ "$sig" = "-" ]; then
        rm -f "$st/signatures/auditor$i.sig"
      else
        cp "$sig" "$st/signatures/.s.tmp" && mv "$st/signatures/.s.tmp" "$st/signatures/auditor$i.sig"
      fi
      i=$((i + 1))
    done
  }
  local n=0
  # bad_reload DESC REASON TRIGGER FILE [SIGS...]: installs FILE (and SIGS)
  # as the manifest; the three services must refuse the reload and log
  # REASON; calls keep succeeding.
  bad_reload() {
    local what=$1 reason=$2 trigger=$3 svc ok=1
    shift 3
    declare -A want_of=()
    for svc in frontend authentication storage; do
      want_of[$svc]=$(($(log_count "$svc" "manifest reload REFUSED") + 1))
    done
    install "$@"
    if [ "$trigger" = sighup ]; then
      kill -HUP "${plat_pids[frontend]}" "${plat_pids[authentication]}" "${plat_pids[storage]}"
    fi
    # The files are replaced one by one, so a poll may first see (and
    # refuse) a mix; wait for a refusal of the complete set.
    local _ seen
    for svc in frontend authentication storage; do
      seen=0
      for _ in $(seq 1 100); do
        if [ "$(log_count "$svc" "manifest reload REFUSED")" -ge "${want_of[$svc]}" ] &&
           grep -F "manifest reload REFUSED" "$work/$svc.log" | tail -n 1 | grep -qF -- "$reason"; then
          seen=1; break
        fi
        sleep 0.1
      done
      if [ $seen -eq 0 ]; then
        ok=0; fail "$what: $svc logged no refusal with '$reason' within 10 s" \
          "$(grep -F "manifest reload" "$work/$svc.log" | tail -n 3)"
      fi
    done
    [ $ok -eq 1 ] && pass "$what ($trigger): refused by all three services: $reason"
    n=$((n + 1))
    expect_rc 0 "...calls still succeed (put)" "${c[@]}" --timeout 5 put "k$n" "v$n" --token "$token"
    expect_rc 0 "...(get)" env MRA_TOKEN="$token" "${c[@]}" --timeout 5 get "k$n"
    expect_contains "...with the value" "v$n"
  }

  echo "== manifest replaced by garbage (noticed by polling, no signal)"
  bad_reload "garbage manifest" "THRESHOLD_NOT_MET" poll \
    "$work/garbage.toml"
  LAST_OUT=$(grep -F "manifest reload REFUSED" "$work/storage.log" | tail -n 1)
  expect_contains "...the log line says the manifest in force stays" "the manifest in force stays"

  echo "== a service started meanwhile refuses to start"
  expect_rc_within 20 1 "mra-authentication with the garbage manifest on disk" \
    timeout 30 "$work/bin/mra-authentication" --config "$work/deploy.toml"
  expect_contains "...THRESHOLD_NOT_MET" "refusing to start: verify manifest: REFUSED: THRESHOLD_NOT_MET"

  echo "== truncated manifest (SIGHUP)"
  head -c 200 "$work/v2.toml" > "$work/truncated.toml"
  bad_reload "truncated manifest" "THRESHOLD_NOT_MET" sighup \
    "$work/truncated.toml" "$work/v2-signatures/auditor1.sig" "$work/v2-signatures/auditor2.sig" "$work/v2-signatures/auditor3.sig"

  echo "== version 2 signed by two of the three auditors (SIGHUP)"
  bad_reload "2 of 3 signatures" "THRESHOLD_NOT_MET" sighup \
    "$work/v2.toml" "$work/v2-signatures/auditor1.sig" "$work/v2-signatures/auditor2.sig" -

  echo "== version 2 with auditor 3's signature of version 1 (SIGHUP)"
  bad_reload "a stale third signature" "THRESHOLD_NOT_MET" sighup \
    "$work/v2.toml" "$work/v2-signatures/auditor1.sig" "$work/v2-signatures/auditor2.sig" "$work/v1-signatures/auditor3.sig"

  echo "== garbage signed by all three auditors (SIGHUP)"
  bad_reload "signed garbage" "MANIFEST_MALFORMED" sighup \
    "$work/garbage.toml" "$work/garbage-signatures/auditor1.sig" "$work/garbage-signatures/auditor2.sig" "$work/garbage-signatures/auditor3.sig"

  echo "== a valid version 2 (polling)"
  install "$work/v2.toml" "$work/v2-signatures/auditor1.sig" "$work/v2-signatures/auditor2.sig" "$work/v2-signatures/auditor3.sig"
  local svc ok=1
  for svc in frontend authentication storage; do
    if ! wait_log_count "$svc" "manifest reloaded service=$svc version=2" 1 10; then
      ok=0; fail "$svc did not accept version 2" "$(tail -n 5 "$work/$svc.log")"
    fi
  done
  [ $ok -eq 1 ] && pass "version 2 accepted by all three services"
  expect_rc 0 "...calls succeed under version 2" "${c[@]}" put k-v2 v2 --token "$token"
  expect_rc 0 "...and earlier writes are there" env MRA_TOKEN="$token" "${c[@]}" get k0
  expect_contains "...v0" "v0"

  echo "== version 1 again (genuine, older): rollback refused (SIGHUP)"
  bad_reload "genuine version 1 after version 2" "MANIFEST_ROLLBACK" sighup \
    "$work/v1.toml" "$work/v1-signatures/auditor1.sig" "$work/v1-signatures/auditor2.sig" "$work/v1-signatures/auditor3.sig"
  # The reloader's first poll re-verifies the start-up manifest (version 1);
  # after that only version 2 may ever have been swapped in.
  ok=1
  for svc in frontend authentication storage; do
    local swaps
    swaps=$(grep -F "manifest reloaded service=$svc" "$work/$svc.log" | grep -o 'version=[0-9]*' | tr '\n' ' ')
    if [ "$(log_count "$svc" "manifest reloaded service=$svc version=2")" -ne 1 ] ||
       ! grep -F "manifest reloaded service=$svc" "$work/$svc.log" | tail -n 1 | grep -qF "version=2 " ||
       grep -F "manifest reloaded service=$svc" "$work/$svc.log" | grep -vqE "version=(1|2) "; then
      ok=0; fail "$svc swapped in: $swaps; want version 2 once and nothing after it"
    fi
  done
  [ $ok -eq 1 ] && pass "no refused manifest was ever swapped in; version 2 is the one in force"
  expect_rc 0 "all three services still running" \
    kill -0 "${plat_pids[frontend]}" "${plat_pids[authentication]}" "${plat_pids[storage]}"
}

case "$case_name" in
  storage-kill) case_storage_kill ;;
  service-kill) case_service_kill ;;
  collateral) case_collateral ;;
  manifest) case_manifest ;;
  *) echo "unknown case '$case_name'"; exit 2 ;;
esac
finish
