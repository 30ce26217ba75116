#!/usr/bin/env bash
# `mra quote verify | show` on real DCAP quotes from ../shared/testdata/dcap:
# a real quote verifies (--json), a tampered one is refused with the right
# verdict name, and the documented exit codes.
set -euo pipefail
mra=$1; data=$2
. "$(dirname "$0")/../lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
sgx=$data/dcap-qvl/sample/sgx_quote
sgx_col=$data/dcap-qvl/sample/sgx_quote_collateral.json
sgx_now=1752919277
tdx=$data/dcap-qvl/sample/tdx_quote
tdx_col=$data/dcap-qvl/sample/tdx_quote_collateral.json
tdx_now=1752919234
for f in "$sgx" "$sgx_col" "$tdx" "$tdx_col"; do
  [ -f "$f" ] || { echo "shared test data missing: $f"; exit 1; }
done

expect_rc 0 "TDX quote verifies (UpToDate accepted by default)" \
  "$mra" quote verify --quote "$tdx" --collateral "$tdx_col" --now "$tdx_now" --json
expect_contains "json ok" '"ok": true'
expect_contains "json status" '"status": "UpToDate"'
expect_contains "json tee" '"tee": "TDX"'
expect_contains "json root is Intel's" '"simulation": false'

expect_rc 1 "SGX quote verifies but its status is not accepted by default" \
  "$mra" quote verify --quote "$sgx" --collateral "$sgx_col" --now "$sgx_now" --json
expect_contains "json verified" '"verified": true'
expect_contains "json verdict" '"failure": "TCB_STATUS_NOT_ACCEPTED"'
expect_contains "json advisories" '"INTEL-SA-00615"'
expect_rc 0 "SGX quote accepted with --allow-status" \
  "$mra" quote verify --quote "$sgx" --collateral "$sgx_col" --now "$sgx_now" \
  --allow-status ConfigurationAndSWHardeningNeeded
expect_contains "text status" "ConfigurationAndSWHardeningNeeded"
expect_contains "text accepted" "ACCEPTED"

# Tampered: one byte of MRENCLAVE (offset 112) flipped.
python3 - "$sgx" "$work/tampered.bin" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[112] ^= 1
open(sys.argv[2], 'wb').write(b)
PY
expect_rc 1 "tampered quote refused" \
  "$mra" quote verify --quote "$work/tampered.bin" --collateral "$sgx_col" --now "$sgx_now" --json
expect_contains "tampered verdict" '"failure": "QUOTE_SIGNATURE_INVALID"'
expect_contains "tampered not verified" '"verified": false'

# The same quote as hex text.
python3 -c "import sys; print('0x' + open(sys.argv[1], 'rb').read().hex())" "$sgx" > "$work/q.hex"
expect_rc 0 "hex quote file" \
  "$mra" quote verify --quote "$work/q.hex" --collateral "$sgx_col" --now "$sgx_now" \
  --allow-status ConfigurationAndSWHardeningNeeded

expect_rc 1 "collateral expired at --now" \
  "$mra" quote verify --quote "$sgx" --collateral "$sgx_col" --now 2025-07-19T10:10:00Z
expect_contains "expiry verdict" "QE_IDENTITY_EXPIRED"

# Trailing bytes: the TDX quote has 70 zero bytes; junk is refused unless --trailing any.
cp "$tdx" "$work/junk.bin"; printf 'junk' >> "$work/junk.bin"
expect_rc 2 "non-zero trailing bytes are malformed by default" \
  "$mra" quote verify --quote "$work/junk.bin" --collateral "$tdx_col" --now "$tdx_now"
expect_contains "trailing message" "non-zero byte after the signature data"
expect_rc 0 "--trailing any" \
  "$mra" quote verify --quote "$work/junk.bin" --collateral "$tdx_col" --now "$tdx_now" --trailing any

head -c 1000 "$sgx" > "$work/short.bin"
expect_rc 2 "truncated quote is malformed input" \
  "$mra" quote verify --quote "$work/short.bin" --collateral "$sgx_col" --now "$sgx_now"
expect_rc 3 "missing quote file" \
  "$mra" quote verify --quote "$work/nope.bin" --collateral "$sgx_col"
expect_rc 2 "bad --allow-status" \
  "$mra" quote verify --quote "$sgx" --collateral "$sgx_col" --allow-status Fine
expect_rc 2 "bad --now" \
  "$mra" quote verify --quote "$sgx" --collateral "$sgx_col" --now yesterday
expect_rc 2 "--root that is not a root" \
  "$mra" quote verify --quote "$sgx" --collateral "$sgx_col" --root "$sgx_col"

expect_rc 0 "show --json" "$mra" quote show "$tdx" --json
expect_contains "show fmspc" '"fmspc": "b0c06f000000"'
expect_contains "show says unverified" '"verified": false'
expect_rc 0 "show text" "$mra" quote show "$sgx"
expect_contains "show text unverified" "UNVERIFIED"
expect_rc 2 "show truncated" "$mra" quote show "$work/short.bin"
# Collateral picked from an offline bundle directory by the quote's FMSPC/CA.
mkdir -p "$work/offline"
cp "$sgx_col" "$work/offline/"
cp "$(dirname "$sgx_col")/tdx_quote_collateral.json" "$work/offline/"
expect_rc 0 "--offline picks the SGX bundle for the quote" \
  "$mra" quote verify --quote "$sgx" --offline "$work/offline" --now 1752919277 \
  --allow-status ConfigurationAndSWHardeningNeeded
expect_rc 2 "--collateral and --offline together" \
  "$mra" quote verify --quote "$sgx" --offline "$work/offline" --collateral "$sgx_col"
expect_rc 2 "no collateral source" "$mra" quote verify --quote "$sgx"
finish
