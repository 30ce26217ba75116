#!/usr/bin/env bash
# Runs every libFuzzer target built by the 'fuzz' preset for SECONDS each,
# starting from (and adding to) its checked-in corpus under fuzz/corpus/.
set -euo pipefail
build=$1; seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
found=0
for fuzzer in "$build"/fuzz/*_fuzzer; do
  [ -x "$fuzzer" ] || continue
  found=1
  name=$(basename "$fuzzer" _fuzzer)
  corpus="$root/fuzz/corpus/$name"
  mkdir -p "$corpus"
  seeds=()
  if [ -f "$fuzzer.seeds" ]; then
    while IFS= read -r d; do
      [ -n "$d" ] && seeds+=("$d")
    done <"$fuzzer.seeds"
  fi
  echo "==> $name for ${seconds}s (corpus $corpus ${seeds[*]})"
  # New inputs go to the first (writable) directory; seeds are only read.
  "$fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build/fuzz/$name-" "$corpus" "${seeds[@]}"
done
[ $found -eq 1 ] || { echo "no fuzzers found in $build/fuzz" >&2; exit 1; }
