#!/usr/bin/env bash
# Compares mra's DCAP quote verification with its peers, in one run (issue 3).
#
#   bench/compare_dcap.sh [BUILD_DIR]      (default: build/release)
#
# 1. builds the dcap_benchmark target in BUILD_DIR (configured with
#    `cmake --preset release` when BUILD_DIR is build/release and not yet
#    configured; any other directory must already be configured);
# 2. installs the pinned peers from bench/js/package-lock.json (npm ci) if
#    bench/js/node_modules is missing;
# 3. runs, single-threaded and pinned to one CPU (taskset -c $MRA_BENCH_CPU,
#    default 0, when taskset exists): dcap_benchmark --benchmark_format=json
#    and bench/js/dcap_peers.mjs (@phala/dcap-qvl and @phala/dcap-qvl-web);
# 4. prints one table: per case, mra cold and cached, both peers, the ratio of
#    the faster peer to mra cold and to mra cached, and PASS/FAIL against the
#    targets (>= 10x cold, >= 30x cached).
#
# Each side checks the verdict (status + advisory IDs from
# shared/testdata/dcap/cases.json) before timing and aborts otherwise.
# Raw JSON goes to BUILD_DIR/bench/results/. Exit status: 0 when every target
# is met, 1 when one is missed (MRA_BENCH_ALLOW_FAIL=1 turns that into 0),
# 2 on usage errors, 3 when a step fails.
#
# Environment: MRA_SHARED_DIR (default ../shared beside the repository),
# MRA_BENCH_CPU (CPU to pin to), MRA_BENCH_MIN_TIME (seconds per measurement,
# default 1), MRA_BENCH_REPETITIONS (default 5; medians are reported).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
shared=${MRA_SHARED_DIR:-$root/../shared}
min_time=${MRA_BENCH_MIN_TIME:-1}
reps=${MRA_BENCH_REPETITIONS:-5}
cpu=${MRA_BENCH_CPU:-0}

die() { echo "compare_dcap: $*" >&2; exit 3; }
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

[ $# -le 1 ] || { echo "usage: $0 [BUILD_DIR]" >&2; exit 2; }
[ -f "$shared/testdata/dcap/cases.json" ] ||
  die "shared test data not found at $shared (set MRA_SHARED_DIR)"
command -v node >/dev/null || die "node is required (apt-get install nodejs npm)"
command -v python3 >/dev/null || die "python3 is required"

# --- 1. build ---------------------------------------------------------------
if [ ! -f "$build/CMakeCache.txt" ]; then
  if [ "$build" = "$root/build/release" ]; then
    log "configuring $build (cmake --preset release)"
    (cd "$root" && cmake --preset release >/dev/null)
  else
    die "$build is not a configured build directory"
  fi
fi
if ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release' "$build/CMakeCache.txt"; then
  echo "compare_dcap: WARNING: $build is not a Release build; numbers are meaningless" >&2
fi
log "building dcap_benchmark in $build"
cmake --build "$build" --target dcap_benchmark >&2 ||
  die "build failed (is bench/ added to the top-level CMakeLists.txt and MRA_BUILD_BENCHMARKS on?)"
bench_bin=$build/bench/dcap_benchmark
[ -x "$bench_bin" ] || die "$bench_bin not built"

# --- 2. peers ---------------------------------------------------------------
if [ ! -d "$root/bench/js/node_modules/@phala/dcap-qvl" ] ||
   [ ! -d "$root/bench/js/node_modules/@phala/dcap-qvl-web" ]; then
  command -v npm >/dev/null || die "npm is required to install the peers"
  log "installing the pinned peers (npm ci in bench/js)"
  (cd "$root/bench/js" && npm ci --no-audit --no-fund >&2) || die "npm ci failed"
fi

# --- 3. run -----------------------------------------------------------------
pin=()
if command -v taskset >/dev/null; then
  pin=(taskset -c "$cpu")
else
  echo "compare_dcap: taskset not found; not pinned to one CPU" >&2
fi
results=$build/bench/results
mkdir -p "$results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
ours=$results/dcap_benchmark-$stamp.json
peers=$results/dcap_peers-$stamp.json

log "mra: dcap_benchmark (${pin[*]:-unpinned}, ${reps} x ${min_time}s per case)"
MRA_SHARED_DIR=$shared "${pin[@]}" "$bench_bin" \
  --benchmark_format=json --benchmark_out_format=json --benchmark_out="$ours" \
  --benchmark_min_time="$min_time" --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true >/dev/null || die "dcap_benchmark failed"

log "peers: bench/js/dcap_peers.mjs (${pin[*]:-unpinned}, ${reps} x ${min_time}s per case)"
"${pin[@]}" node "$root/bench/js/dcap_peers.mjs" --shared "$shared" \
  --min-time "$min_time" --rounds "$reps" >"$peers" || die "dcap_peers.mjs failed"

# --- 4. table ---------------------------------------------------------------
set +e
python3 - "$ours" "$peers" <<'EOF'
import json, sys

COLD_TARGET, CACHED_TARGET = 10.0, 30.0
ours = json.load(open(sys.argv[1]))
peers = json.load(open(sys.argv[2]))

def to_us(value, unit):
    return value * {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[unit]

# dcap/<kind>/<case> -> median real time in microseconds.
mra = {}
for b in ours["benchmarks"]:
    if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
        continue
    name = b.get("run_name", b["name"])
    mra[name] = to_us(b["real_time"], b["time_unit"])

ctx = ours.get("context", {})
print()
print(f"host: {ctx.get('host_name', '?')}, {ctx.get('num_cpus', '?')} CPUs @ "
      f"{ctx.get('mhz_per_cpu', '?')} MHz; library build: {ctx.get('library_build_type', '?')}; "
      f"node {peers['node']}")
for name, p in peers["peers"].items():
    print(f"peer {name}: {p['package']} {p['version']} ({p['crypto']})")
print("peers have no collateral cache: every call is cold, so their one number is used for both columns")
print()
hdr = ["case", "mra parse µs", "mra cold µs", "mra cached µs", "dcap-qvl (JS) µs",
       "dcap-qvl-web (wasm) µs", "cold ratio", "cached ratio", "cold ≥10x", "cached ≥30x"]
rows, ok = [], True
for case, entry in peers["cases"].items():
    try:
        parse = mra[f"dcap/parse/{case}"]
        cold = mra[f"dcap/cold/{case}"]
        cached = mra[f"dcap/cached/{case}"]
    except KeyError as e:
        print(f"compare_dcap: no mra result {e} in {sys.argv[1]}", file=sys.stderr)
        sys.exit(3)
    js = entry["peers"]["js"]["us_per_op"]
    wasm = entry["peers"]["wasm"]["us_per_op"]
    faster = min(js, wasm)
    rc, rk = faster / cold, faster / cached
    pc, pk = rc >= COLD_TARGET, rk >= CACHED_TARGET
    ok = ok and pc and pk
    rows.append([case.upper(), f"{parse:.1f}", f"{cold:.1f}", f"{cached:.1f}", f"{js:.1f}",
                 f"{wasm:.1f}", f"{rc:.1f}x", f"{rk:.1f}x",
                 "PASS" if pc else "FAIL", "PASS" if pk else "FAIL"])
print("| " + " | ".join(hdr) + " |")
print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(hdr))) + "|")
for r in rows:
    print("| " + " | ".join(r) + " |")
print()
print("ratio = faster peer µs / mra µs (median of repetitions, wall time, one pinned CPU)")
print(f"raw results: {sys.argv[1]}\n             {sys.argv[2]}")
sys.exit(0 if ok else 1)
EOF
rc=$?
set -e
if [ $rc -eq 1 ]; then
  echo "compare_dcap: performance target missed" >&2
  [ "${MRA_BENCH_ALLOW_FAIL:-0}" = 1 ] && exit 0
  exit 1
fi
exit $rc
