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
  echo "==> $name for ${seconds}s"
  "$fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build/fuzz/$name-" "$corpus"
done
[ $found -eq 1 ] || { echo "no fuzzers found in $build/fuzz" >&2; exit 1; }
