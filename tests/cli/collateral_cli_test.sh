#!/usr/bin/env bash
# `mra collateral fetch` against tests/pcs/fake_pcs.py on 127.0.0.1 (real
# collateral from ../shared/testdata/dcap), through the cache, with the server
# up, down, and after expiry; plus offline bundles and usage errors.
set -euo pipefail
mra=$1; root=$2; shared=$3
. "$(dirname "$0")/../lib.sh"
work=$(mktemp -d)
server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT
samples=$shared/testdata/dcap/dcap-qvl/sample
sgx_src=$samples/sgx_quote_collateral.json
tdx_src=$samples/tdx_quote_collateral.json

# The server stops by itself after 120 s even if this script is killed.
python3 "$root/tests/pcs/fake_pcs.py" --bundle "$sgx_src" --bundle "$tdx_src" \
  --max-seconds 120 > "$work/server.out" 2>"$work/server.err" < /dev/null &
server_pid=$!
for _ in $(seq 1 300); do
  grep -q '^PORT ' "$work/server.out" 2>/dev/null && break
  sleep 0.1
done
port=$(awk '/^PORT /{print $2}' "$work/server.out")
[ -n "$port" ] || { echo "FAIL: fake PCS did not start"; cat "$work/server.err"; exit 1; }
url=http://127.0.0.1:$port
requests() {
  python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1] + "/control/stats", timeout=5))["requests"])' "$url"
}
same_as() {  # description fetched source: same JSON, signed parts byte-for-byte
  if python3 - "$2" "$3" <<'PY'
import json, sys
got, want = (json.load(open(p)) for p in sys.argv[1:3])
sys.exit(0 if got == want and got["tcb_info"] == want["tcb_info"] else 1)
PY
  then num_pass=$((num_pass + 1)); echo "PASS: $1"
  else num_fail=$((num_fail + 1)); echo "FAIL: $1: $2 differs from $3"; fi
}
expect_requests() {  # description n
  local n; n=$(requests)
  if [ "$n" -eq "$2" ]; then num_pass=$((num_pass + 1)); echo "PASS: $1 ($n requests)"
  else num_fail=$((num_fail + 1)); echo "FAIL: $1: $n requests, want $2"; fi
}

expect_rc 0 "fetch SGX collateral from the fake PCCS" \
  "$mra" collateral fetch --fmspc 00A067110000 --ca processor --out "$work/sgx.json" \
    --pccs-url "$url" --allow-http
expect_contains "source is upstream" "source: upstream"
expect_contains "expiry is the QE identity's nextUpdate" "valid until: 2025-07-19T10:01:18Z (qe_identity nextUpdate)"
expect_contains "expired collateral is flagged" "warning: this collateral expired"
same_as "SGX bundle equals the source" "$work/sgx.json" "$sgx_src"
expect_requests "four requests" 4

expect_rc 0 "fetch TDX collateral" \
  "$mra" collateral fetch --fmspc b0c06f000000 --tdx --out "$work/tdx.json" \
    --pccs-url "$url" --allow-http
same_as "TDX bundle equals the source" "$work/tdx.json" "$tdx_src"

# Through the cache, at the collateral's own dates.
cache=$work/cache
fetch_cached() {  # now
  "$mra" collateral fetch --fmspc 00a067110000 --ca processor --out "$work/c.json" \
    --pccs-url "$url" --allow-http --cache "$cache" --now "$1"
}
expect_rc 0 "cached fetch: miss" fetch_cached 2025-06-20T00:00:00Z
expect_contains "miss goes upstream" "source: upstream"
expect_requests "miss made four more requests" 12
expect_rc 0 "cached fetch: hit" fetch_cached 2025-06-20T06:00:00Z
expect_contains "hit" "source: cache"
expect_requests "hit made no request" 12
same_as "cached bundle equals the source" "$work/c.json" "$sgx_src"

stop_server
expect_rc 0 "server down, cache valid" fetch_cached 2025-07-01T00:00:00Z
expect_contains "stale cache" "source: stale-cache"
expect_contains "refresh failure reported" "warning: refresh failed"
expect_rc 1 "server down, cache expired: fails closed" fetch_cached 2025-07-19T10:01:19Z
expect_contains "verdict" "COLLATERAL_TOO_OLD"
expect_contains "names the expiry" "expired at 2025-07-19T10:01:18Z"
expect_rc 3 "server down, no cache" \
  "$mra" collateral fetch --fmspc 00a067110000 --out "$work/x.json" --pccs-url "$url" --allow-http

# Offline bundles.
expect_rc 0 "offline directory" \
  "$mra" collateral fetch --fmspc 00606a000000 --out "$work/o.json" --offline "$shared/testdata/dcap/assembled"
same_as "freshest matching bundle chosen" "$work/o.json" "$shared/testdata/dcap/assembled/automata-0825-sgx-00606a-2508.collateral.json"
expect_rc 1 "offline file for another platform" \
  "$mra" collateral fetch --fmspc 00606a000000 --out "$work/o.json" --offline "$tdx_src"
expect_contains "mismatch verdict" "TCB_INFO_MISMATCH"

# Usage errors.
expect_rc 2 "bad FMSPC" "$mra" collateral fetch --fmspc 00a0 --out "$work/u.json" --offline "$sgx_src"
expect_rc 2 "bad CA type" "$mra" collateral fetch --fmspc 00a067110000 --ca root --out "$work/u.json" --offline "$sgx_src"
expect_rc 2 "http without --allow-http" "$mra" collateral fetch --fmspc 00a067110000 --out "$work/u.json" --pccs-url "$url"
expect_contains "says why" "must start with https://"
finish
