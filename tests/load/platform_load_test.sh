#!/usr/bin/env bash
# A tiny, bounded run of the platform load test (bench/platform_load.sh):
# 4 clients for 3 s attested, then 3 s over plain mutual TLS. Asserts that
# both modes ran with zero errors and non-zero throughput, that the numbers
# parse and are consistent, and that each mode really was the transport it
# claims (server logs). No speed is asserted here: speed targets belong to
# the benchmarks. Also: the plain-mTLS opt-in fails closed (no certificate
# directory, both opt-ins at once, a certificate naming another service, of
# another CA, or with another key: each refuses start-up).
#
# Usage: platform_load_test.sh BUILD_DIR REPO_ROOT
set -uo pipefail
build=$1 root=$2
# shellcheck source=../lib.sh
source "$root/tests/lib.sh"

work=$(mktemp -d /tmp/mra-platform-load-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

expect_rc 0 "bench/platform_load.sh: 4 clients x 3 s, attested then plain mTLS" \
  bash "$root/bench/platform_load.sh" "$build" --clients 4 --seconds 3 --out "$work/out"
echo "$LAST_OUT" | sed 's/^/    | /'
expect_contains "...prints the attested/plain ratio" "ratio attested/plain-mtls: throughput"
expect_contains "...and the machine load" "load average before"

check=$(python3 - "$work/out" <<'PY'
import json, sys, os
out = sys.argv[1]
ok = True
def check(cond, what):
    global ok
    print(("PASS: " if cond else "FAIL: ") + what)
    ok = ok and cond
want = {"attested": "attested-tls (sim", "plain-mtls": "PLAIN-MTLS-FOR-BENCHMARKS"}
for mode, transport in want.items():
    try:
        with open(os.path.join(out, mode + "-1.json")) as f:
            r = json.load(f)
    except (OSError, ValueError) as e:
        check(False, "%s: result JSON parses (%s)" % (mode, e))
        continue
    lat = r["latency"]
    check(r["errors"] == 0 and r["errors_by_kind"] == {},
          "%s: zero errors (%s)" % (mode, r["errors_by_kind"]))
    check(r["clients"] == 4 and r["clients_ready"] == 4,
          "%s: all 4 clients set up" % mode)
    check(r["ops"] > 0 and r["ops_per_second"] > 0,
          "%s: non-zero throughput (%d ops, %.1f ops/s)" % (mode, r["ops"], r["ops_per_second"]))
    check(r["ops"] == r["put"]["count"] + r["get"]["count"] and r["get"]["count"] > 0,
          "%s: ops = puts + gets, gets were checked" % mode)
    check(2.5 < r["elapsed_seconds"] < 60,
          "%s: bounded in time (%.2f s)" % (mode, r["elapsed_seconds"]))
    check(abs(r["ops_per_second"] * r["elapsed_seconds"] - r["ops"]) < 1,
          "%s: ops/s = ops / seconds" % mode)
    check(0 < lat["p50_ms"] <= lat["p99_ms"] <= lat["max_ms"],
          "%s: 0 < p50 <= p99 <= max (%.3f, %.3f, %.3f ms)" % (mode, lat["p50_ms"], lat["p99_ms"], lat["max_ms"]))
    check(transport in r["transport"],
          "%s: the client used the %s transport (%s)" % (mode, transport, r["transport"]))
sys.exit(0 if ok else 1)
PY
) && rc=0 || rc=$?
echo "$check"
num_pass=$((num_pass + $(grep -c '^PASS' <<<"$check")))
num_fail=$((num_fail + $(grep -c '^FAIL' <<<"$check")))
[ "$rc" -eq 0 ] || [ "$(grep -c '^FAIL' <<<"$check")" -gt 0 ] || { num_fail=$((num_fail + 1)); echo "FAIL: result check crashed"; }

echo "== each mode was what it claims (server logs)"
LAST_OUT=$(cat "$work/out/attested-1-storage.log" 2>/dev/null)
expect_contains "attested: storage attested itself" "attested self service=storage attester=sim"
expect_contains "attested: storage verified the frontend's attestation" "peer accepted: side=server service=frontend"
if grep -q "PLAIN-MTLS" <<<"$LAST_OUT"; then
  num_fail=$((num_fail + 1)); echo "FAIL: attested run mentions PLAIN-MTLS"
else
  num_pass=$((num_pass + 1)); echo "PASS: attested run has no PLAIN-MTLS"
fi
LAST_OUT=$(cat "$work/out/plain-mtls-1-storage.log" 2>/dev/null)
expect_contains "plain-mtls: storage says loudly that it is not attested" "attest: SKIPPED service=storage transport=PLAIN-MTLS-FOR-BENCHMARKS"
expect_contains "plain-mtls: storage identified the frontend by its test-CA certificate" \
  "call accepted service=storage method=Put peer=frontend (test-CA certificate, NOT ATTESTED)"
if grep -q "attested self" <<<"$LAST_OUT"; then
  num_fail=$((num_fail + 1)); echo "FAIL: plain-mtls run attested"
else
  num_pass=$((num_pass + 1)); echo "PASS: plain-mtls run did not attest"
fi

echo "== the plain-mTLS opt-in fails closed"
cd "$work" || exit 1
mkdir -p empty
expect_rc 3 "a service with --plain-mtls-for-benchmarks and no certificates refuses to start" \
  "$build/src/bin/mra-storage" --plain-mtls-for-benchmarks "$work/empty"
expect_contains "...naming the missing file" "ca.pem"
expect_rc 2 "--plain-mtls-for-benchmarks with --insecure-transport-for-tests: usage error" \
  "$build/src/bin/mra-storage" --plain-mtls-for-benchmarks "$work/empty" --insecure-transport-for-tests
# Certificates that exist but do not fit: each refuses start-up (exit 2:
# invalid configuration), naming the problem.
mkcert() {  # DIR NAME CN CA_DIR
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$1/$2.key" -out "$1/$2.csr" -subj "/CN=$3" 2>/dev/null
  printf 'subjectAltName=DNS:%s\n' "$3" > "$1/$2.ext"
  openssl x509 -req -in "$1/$2.csr" -CA "$4/ca.pem" -CAkey "$4/ca.key" \
    -CAcreateserial -days 1 -extfile "$1/$2.ext" -out "$1/$2.pem" 2>/dev/null
}
mkca() {  # DIR
  mkdir -p "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$1/ca.key" -out "$1/ca.pem" -days 1 -subj "/CN=test CA" 2>/dev/null
}
mkca ca1; mkca ca2
mkdir -p wrong-cn foreign mismatch
cp ca1/ca.pem wrong-cn/; mkcert wrong-cn storage frontend ca1
expect_rc 2 "a storage certificate naming another service: refused" \
  "$build/src/bin/mra-storage" --plain-mtls-for-benchmarks "$work/wrong-cn"
expect_contains "...naming the problem" "does not name the service 'storage'"
cp ca1/ca.pem foreign/; mkcert foreign storage storage ca2
expect_rc 2 "a storage certificate of another CA: refused" \
  "$build/src/bin/mra-storage" --plain-mtls-for-benchmarks "$work/foreign"
expect_contains "...naming the problem" "is not signed by"
cp ca1/ca.pem mismatch/; mkcert mismatch storage storage ca1
mkcert mismatch other storage ca1; cp mismatch/other.key mismatch/storage.key
expect_rc 2 "a key that is not the certificate's: refused" \
  "$build/src/bin/mra-storage" --plain-mtls-for-benchmarks "$work/mismatch"
expect_contains "...naming the problem" "is not the private key of"

expect_rc 1 "mra-load with no certificates: setup errors, exit 1" \
  "$build/tools/mra-load/mra-load" --frontend 127.0.0.1:1 --clients 1 --seconds 0.2 \
  --plain-mtls-for-benchmarks "$work/empty"
expect_contains "...counted as an error" "setup:factory"
finish
