#!/usr/bin/env bash
# Runs every libFuzzer target built by the 'fuzz' preset for SECONDS each.
#
#   scripts/fuzz.sh BUILD_DIR [SECONDS] [TARGET...]     (./run.sh fuzz SECONDS)
#
# Each target starts from its checked-in corpus (fuzz/corpus/NAME) and its
# seeds from ../shared (BUILD_DIR/fuzz/NAME_fuzzer.seeds). New inputs go to a
# working corpus under BUILD_DIR/fuzz/work/NAME, so a long run does not flood
# the repository; at the end, `-merge=1` adds to fuzz/corpus/NAME only the
# inputs that reach new coverage (review and commit them: ctest replays that
# corpus). Crashes are written to BUILD_DIR/fuzz/NAME-crash-* and fail the run.
# A one-line summary per target (executions, coverage, corpus size, result) is
# printed at the end and appended to BUILD_DIR/fuzz/summary.tsv.
set -euo pipefail
build=${1:?usage: scripts/fuzz.sh BUILD_DIR [SECONDS] [TARGET...]}
seconds=${2:-60}
shift 2 || shift $#
root=$(cd "$(dirname "$0")/.." && pwd)

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for fuzzer in "$build"/fuzz/*_fuzzer; do
    [ -x "$fuzzer" ] && targets+=("$(basename "$fuzzer" _fuzzer)")
  done
fi
[ ${#targets[@]} -gt 0 ] || { echo "no fuzzers found in $build/fuzz" >&2; exit 1; }

summary=()
failed=0
for name in "${targets[@]}"; do
  fuzzer="$build/fuzz/${name}_fuzzer"
  [ -x "$fuzzer" ] || { echo "no fuzzer $fuzzer" >&2; exit 1; }
  corpus="$root/fuzz/corpus/$name"
  work="$build/fuzz/work/$name"
  mkdir -p "$corpus" "$work"
  seeds=()
  if [ -f "$fuzzer.seeds" ]; then
    while IFS= read -r d; do
      [ -n "$d" ] && seeds+=("$d")
    done <"$fuzzer.seeds"
  fi
  log="$build/fuzz/$name.log"
  echo "==> $name for ${seconds}s (corpus $corpus ${seeds[*]})"
  rc=0
  # The first directory is the writable one; the others are only read.
  "$fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz/$name-" "$work" "$corpus" "${seeds[@]}" \
    >"$log" 2>&1 || rc=$?
  tail -n 3 "$log"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  before=$(find "$corpus" -type f | wc -l)
  if [ "$rc" -eq 0 ]; then
    "$fuzzer" -merge=1 "$corpus" "$work" >"$log.merge" 2>&1 ||
      { echo "merge failed for $name (see $log.merge)" >&2; rc=1; }
    result=ok
  else
    result="FAILED rc=$rc (see $log, artifacts $build/fuzz/$name-*)"
    failed=1
  fi
  after=$(find "$corpus" -type f | wc -l)
  line=$(printf '%s\t%ss\t%s execs\tcov %s\tcorpus %s -> %s\t%s' \
    "$name" "$seconds" "${execs:-?}" "${cov:-?}" "$before" "$after" "$result")
  summary+=("$line")
  printf '%s\t%s\n' "$(date -u +%FT%TZ)" "$line" >>"$build/fuzz/summary.tsv"
done

echo
echo "target	time	executions	coverage	corpus	result"
printf '%s\n' "${summary[@]}"
exit $failed
