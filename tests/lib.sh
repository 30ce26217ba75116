# Shared helpers for the shell-level tests: each check prints PASS/FAIL and the
# script exits non-zero if any failed.
num_pass=0
num_fail=0
expect_rc() {  # expected_rc description command...
  local want=$1 what=$2; shift 2
  local out rc
  out=$("$@" 2>&1) && rc=0 || rc=$?
  if [ "$rc" -eq "$want" ]; then
    num_pass=$((num_pass + 1)); echo "PASS: $what (exit $rc)"
  else
    num_fail=$((num_fail + 1)); echo "FAIL: $what: exit $rc, want $want"; echo "$out" | sed 's/^/    /'
  fi
  LAST_OUT=$out
}
expect_contains() {  # description needle
  if grep -qF -- "$2" <<<"$LAST_OUT"; then
    num_pass=$((num_pass + 1)); echo "PASS: $1"
  else
    num_fail=$((num_fail + 1)); echo "FAIL: $1: output lacks '$2'"; echo "$LAST_OUT" | sed 's/^/    /'
  fi
}
finish() {
  echo "$num_pass passed, $num_fail failed"
  [ "$num_fail" -eq 0 ]
}
pass() {  # description
  num_pass=$((num_pass + 1)); echo "PASS: $1"
}
fail() {  # description [details...]
  num_fail=$((num_fail + 1)); echo "FAIL: $1"
  shift
  if [ $# -gt 0 ]; then printf '%s\n' "$@" | sed 's/^/    /'; fi
}
check() {  # description command...: PASS when the command succeeds
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
expect_rc_within() {  # max_seconds expected_rc description command...
  # As expect_rc, and the command must also return within max_seconds
  # (LAST_MS holds how long it took).
  local max=$1 want=$2 what=$3; shift 3
  local out rc t0 t1
  t0=$(date +%s%N)
  out=$("$@" 2>&1) && rc=0 || rc=$?
  t1=$(date +%s%N)
  LAST_MS=$(((t1 - t0) / 1000000))
  LAST_OUT=$out
  if [ "$rc" -eq "$want" ] && [ "$LAST_MS" -le $((max * 1000)) ]; then
    pass "$what (exit $rc, ${LAST_MS} ms)"
  else
    fail "$what: exit $rc in ${LAST_MS} ms, want exit $want within ${max} s" "$out"
  fi
}
