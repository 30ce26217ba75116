#!/usr/bin/env bash
# The platform load test (issue 5): N concurrent clients doing put/get
# through frontend -> authentication + storage for T seconds, first over the
# ATTESTED transport (simulation mode), then the same services, binaries and
# workload over PLAIN MUTUAL TLS (test-CA certificates, no attestation), and
# the ratio of the two.
#
#   bench/platform_load.sh BUILD_DIR [--clients N] [--seconds T]
#                          [--rounds R] [--value-bytes B]
#                          [--log-level LEVEL] [--out DIR]
#
# Defaults: 8 clients, 10 s per mode, 1 round, 64-byte values, the services'
# default log level (info: one line per accepted call, as deployed). With
# R rounds the modes alternate (attested, plain, attested, ...) so drifting
# machine load hits both alike, and the ratio is of the per-mode medians.
# --out DIR keeps each run's mra-load JSON (DIR/<mode>-<round>.json) and the
# service logs (DIR/<mode>-<round>-<service>.log); without it everything is
# removed.
#
# One run does, all under a temporary directory removed by the trap:
#   1. simulation set-up as an operator would (tests/platform/
#      platform_cli_test.sh): mra sim init; mra enclave keygen; copies of the
#      three service binaries signed with mra enclave sign; the manifest from
#      mra enclave measure --json; signatures of the three PoC auditors
#      (config/keys);
#   2. a test CA and one ECDSA P-256 certificate per service (openssl; CN =
#      SAN = service name), for the plain-mTLS baseline only;
#   3. for each round and mode: start storage, authentication, frontend
#      (fresh data directories), wait until each accepts connections, run
#      mra-load, sample the services' CPU time, stop them (SIGTERM; a clean
#      exit is required);
#   4. print every run, the attested/plain ratios (throughput, p50, p99 and
#      the services' CPU per operation, which a loaded machine disturbs much
#      less than wall-clock numbers), the machine's load and build type.
# Exit status: 0 when both modes ran with zero errors, non-zero otherwise.
#
# Each simulated client is one mra-client: its own channel factory (in the
# attested mode it verifies the manifest and attests the frontend), its own
# connection, user and token; connections are set up (and attested) before
# the measured phase, so the numbers are the steady state of established
# connections. The ratio therefore measures what attestation costs per call
# (peer-identity lookup, logging of attested identities), not per handshake
# (bench/handshake_benchmark.cc measures that).
set -euo pipefail

usage() { sed -n '2,43p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
build=$1; shift
clients=8 seconds=10 rounds=1 value_bytes=64 log_level="" out=""
while [ $# -gt 0 ]; do
  case $1 in
    --clients) clients=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --value-bytes) value_bytes=$2; shift 2 ;;
    --log-level) log_level=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) usage ;;
  esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
mra=$build/tools/mra/mra
load=$build/tools/mra-load/mra-load
for f in "$mra" "$load" "$build"/src/bin/mra-{frontend,authentication,storage}; do
  [ -x "$f" ] || { echo "platform_load: $f is not built" >&2; exit 2; }
done
command -v openssl >/dev/null || { echo "platform_load: needs openssl" >&2; exit 2; }
if [ -n "$out" ]; then mkdir -p "$out"; out=$(cd "$out" && pwd); fi

work=$(mktemp -d /tmp/mra-platform-load.XXXXXX)
declare -A pids=()
cleanup() {
  for name in "${!pids[@]}"; do
    kill -TERM "${pids[$name]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

read -r p_front p_auth p_store < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

# One config per mode: only the data directory differs, so each mode starts
# with an empty store and user table.
for mode in attested plain-mtls; do
  cat > "$work/$mode.toml" <<TOML
deployment = "load"
data_dir = "data-$mode"

[manifest]
path = "manifest/enclave_info.toml"

[attester]
kind = "sim"
sim_dir = "sim"

[policy]
allow_simulation = true
cert_lifetime = "1h"

[services.frontend]
listen = "127.0.0.1:$p_front"

[services.authentication]
listen = "127.0.0.1:$p_auth"
scrypt_log2_n = 10

[services.storage]
listen = "127.0.0.1:$p_store"
TOML
done

# quiet CMD...: runs a set-up step; its output is shown only if it fails.
quiet() {
  "$@" >>setup.log 2>&1 || {
    echo "platform_load: set-up step failed: $*" >&2
    sed 's/^/    /' setup.log >&2
    exit 1
  }
}

echo "== set-up: simulation PKI, signed service binaries, auditor-signed manifest" >&2
quiet "$mra" sim init --dir sim
quiet "$mra" enclave keygen --out signer.pem
mkdir -p bin manifest/signatures
for svc in frontend authentication storage; do
  cp "$build/src/bin/mra-$svc" "bin/mra-$svc"
  quiet "$mra" enclave sign "bin/mra-$svc" --key signer.pem
done
{
  echo "version = 1"
  echo "expires = $(date -u -d '+7 days' +%Y-%m-%dT%H:%M:%SZ)"
  echo 'deployment = "load"'
  for svc in frontend authentication storage; do
    echo
    echo "[$svc]"
    "$mra" enclave measure "bin/mra-$svc" --json 2>>setup.log | python3 -c '
import json, sys
m = json.load(sys.stdin)
print("mr_enclave = \"%s\"" % m["mr_enclave"])
print("mr_signer = \"%s\"" % m["mr_signer"])'
  done
} > manifest/enclave_info.toml
for i in 1 2 3; do
  quiet "$mra" manifest sign manifest/enclave_info.toml \
    --key "$root/config/keys/auditor$i.private.pem" \
    --out "manifest/signatures/auditor$i.sig"
done

echo "== set-up: test CA and plain-mTLS certificates (baseline only)" >&2
mkdir -p mtls
(
  cd mtls
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout ca.key -out ca.pem -days 2 -subj "/CN=mra-load test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  for svc in frontend authentication storage; do
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout "$svc.key" -out "$svc.csr" -subj "/CN=$svc" 2>/dev/null
    printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n' \
      "$svc" > "$svc.ext"
    openssl x509 -req -in "$svc.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
      -days 2 -extfile "$svc.ext" -out "$svc.pem" 2>/dev/null
    chmod 600 "$svc.key"
  done
  rm -f ca.key ./*.csr ./*.ext ca.srl
)

# start NAME MODE RUN FLAGS...: starts bin/mra-NAME and waits until its port
# accepts connections (it listens only after attesting, verifying the
# manifest and building its transport).
start() {
  local name=$1 mode=$2 run=$3 port; shift 3
  case $name in frontend) port=$p_front ;; authentication) port=$p_auth ;; storage) port=$p_store ;; esac
  local level=()
  [ -n "$log_level" ] && level=(--log-level "$log_level")
  "bin/mra-$name" --config "$mode.toml" "${level[@]}" "$@" >"$run-$name.log" 2>&1 &
  pids[$name]=$!
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    kill -0 "${pids[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "platform_load: mra-$name ($mode) did not start:" >&2
  sed 's/^/    /' "$run-$name.log" >&2
  return 1
}

# stop NAME: SIGTERM; a clean shutdown exits 0.
stop() {
  local name=$1 rc=0
  kill -TERM "${pids[$name]}"
  wait "${pids[$name]}" || rc=$?
  unset "pids[$name]"
  if [ "$rc" -ne 0 ]; then
    echo "platform_load: mra-$name exited $rc on SIGTERM" >&2
    return 1
  fi
}

# keep RUN: copies the run's result and logs to --out.
keep() {
  local run=$1
  [ -n "$out" ] || return 0
  cp "$run.json" "$run.cpu" "$out/" 2>/dev/null || true
  for svc in frontend authentication storage; do
    cp "$run-$svc.log" "$out/" 2>/dev/null || true
  done
}

status=0
# service_cpu_ticks: user+system CPU of the three running services, in clock
# ticks (/proc/PID/stat fields 14 and 15).
service_cpu_ticks() {
  local total=0 svc t
  for svc in frontend authentication storage; do
    t=$(awk '{print $14 + $15}' "/proc/${pids[$svc]}/stat")
    total=$((total + t))
  done
  echo "$total"
}

# run_mode MODE ROUND FLAGS...: one measured run on fresh data directories.
run_mode() {
  local mode=$1 round=$2; shift 2
  local run=$mode-$round
  echo "== $mode (round $round/$rounds): $clients clients x ${seconds}s" >&2
  rm -rf "data-$mode"
  local rc=0
  if start storage "$mode" "$run" "$@" && start authentication "$mode" "$run" "$@" &&
    start frontend "$mode" "$run" "$@"; then
    local cpu0 cpu1
    cpu0=$(service_cpu_ticks)
    "$load" --config "$mode.toml" --clients "$clients" --seconds "$seconds" \
      --value-bytes "$value_bytes" --label "$mode" --json "$run.json" "$@" \
      >"$run.out" 2>"$run.err" || rc=$?
    cpu1=$(service_cpu_ticks)
    # The services' CPU over mra-load's whole run (its set-up included: the
    # registrations, logins and the first frontend -> peer handshakes).
    echo "$((cpu1 - cpu0)) $(getconf CLK_TCK)" > "$run.cpu"
    cat "$run.out"
    # mra-load's warnings (one per client and connection) only on failure.
    [ "$rc" -eq 0 ] || sed 's/^/    mra-load: /' "$run.err" >&2
  else
    rc=1
  fi
  for svc in frontend authentication storage; do
    if [ -n "${pids[$svc]:-}" ]; then
      stop "$svc" || rc=1
    fi
  done
  keep "$run"
  return "$rc"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 1 "$rounds"); do
  run_mode attested "$round" || status=1
  run_mode plain-mtls "$round" --plain-mtls-for-benchmarks "$work/mtls" || status=1
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
echo
echo "== platform load: $clients clients, ${seconds}s per mode and round, $rounds round(s), ${value_bytes}-byte values, put+get"
python3 - "$work" "$rounds" <<'PY' || status=1
import json, os, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
runs = {"attested": [], "plain-mtls": []}
for mode in runs:
    for r in range(1, rounds + 1):
        path = os.path.join(work, "%s-%d.json" % (mode, r))
        try:
            with open(path) as f:
                r = json.load(f)
            with open(path[:-len(".json")] + ".cpu") as f:
                ticks, hz = (int(x) for x in f.read().split())
            r["service_cpu_ms_per_op"] = (
                1000.0 * ticks / hz / r["ops"] if r["ops"] else 0.0)
            runs[mode].append(r)
        except (OSError, ValueError) as e:
            print("missing result: %s (%s)" % (path, e))
            sys.exit(1)
fmt = "{:<11} {:>5} {:>7} {:>7} {:>8} {:>6} {:>9} {:>8} {:>8} {:>8} {:>11}"
print(fmt.format("mode", "round", "clients", "seconds", "ops", "errors",
                 "ops/s", "p50 ms", "p99 ms", "max ms", "cpu ms/op"))
for mode, rs in runs.items():
    for i, r in enumerate(rs, 1):
        print(fmt.format(mode, i, r["clients"], "%.2f" % r["elapsed_seconds"],
                         r["ops"], r["errors"], "%.1f" % r["ops_per_second"],
                         "%.3f" % r["latency"]["p50_ms"],
                         "%.3f" % r["latency"]["p99_ms"],
                         "%.3f" % r["latency"]["max_ms"],
                         "%.3f" % r["service_cpu_ms_per_op"]))
med = {}
for mode, rs in runs.items():
    med[mode] = {
        "ops_per_second": statistics.median(r["ops_per_second"] for r in rs),
        "p50_ms": statistics.median(r["latency"]["p50_ms"] for r in rs),
        "p99_ms": statistics.median(r["latency"]["p99_ms"] for r in rs),
        "errors": sum(r["errors"] for r in rs),
        "cpu": statistics.median(r["service_cpu_ms_per_op"] for r in rs),
    }
    if rounds > 1:
        m = med[mode]
        print(fmt.format(mode, "med", rs[0]["clients"], "", "", m["errors"],
                         "%.1f" % m["ops_per_second"], "%.3f" % m["p50_ms"],
                         "%.3f" % m["p99_ms"], "", "%.3f" % m["cpu"]))
a, p = med["attested"], med["plain-mtls"]
def ratio(x, y):
    return "%.2f" % (x / y) if y else "n/a"
print("ratio attested/plain-mtls%s: throughput %s, p50 %s, p99 %s, "
      "service CPU per op %s" % (
    " (medians)" if rounds > 1 else "",
    ratio(a["ops_per_second"], p["ops_per_second"]),
    ratio(a["p50_ms"], p["p50_ms"]), ratio(a["p99_ms"], p["p99_ms"]),
    ratio(a["cpu"], p["cpu"])))
print("(cpu ms/op: user+system CPU of the three services during the run, "
      "set-up included, per successful operation)")
for mode, rs in runs.items():
    print("%s transport: %s (set-up of %d clients: %s s)" % (
        mode, rs[0]["transport"], rs[0]["clients"],
        ", ".join("%.2f" % r["setup_seconds"] for r in rs)))
    for r in rs:
        if r["errors"]:
            print("  ERRORS: %s" % json.dumps(r["errors_by_kind"]))
PY
echo "machine: $(nproc) CPUs; load average before $load_before, after $load_after; build type ${build_type:-unknown}; $(date -u +%Y-%m-%dT%H:%M:%SZ)"
exit "$status"
