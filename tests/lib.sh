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
