#!/usr/bin/env bash
# The simulation mode through the CLI: `mra sim init | refresh-collateral |
# quote` and `mra enclave keygen | sign | measure`, with the development PKI
# and collateral checked independently by the openssl command line.
set -euo pipefail
mra=$1
. "$(dirname "$0")/../lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
sim=$work/sim

check() {  # description command...: passes when the command succeeds
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then
    num_pass=$((num_pass + 1)); echo "PASS: $what"
  else
    num_fail=$((num_fail + 1)); echo "FAIL: $what"
  fi
}

# --- sim init ---------------------------------------------------------------
expect_rc 0 "sim init" "$mra" sim init --dir "$sim" --collateral-days 20
expect_contains "init names the development root" "DEVELOPMENT"
check "dir is 0700" test "$(stat -c %a "$sim")" = 700
for k in root_ca pck_platform_ca tcb_signing pck attestation; do
  check "keys/$k.key is 0600" test "$(stat -c %a "$sim/keys/$k.key")" = 600
done
check "README marks DEVELOPMENT ONLY" grep -q "DEVELOPMENT ONLY" "$sim/README-DEVELOPMENT-ONLY.txt"
expect_rc 2 "re-running init without --force is refused" "$mra" sim init --dir "$sim"
expect_contains "refusal says --force" "--force"
cp "$sim/root.pem" "$work/root1.pem"

# The PKI, checked by openssl.
check "root CN" sh -c "openssl x509 -in '$sim/root.pem' -noout -subject | grep -q 'mra DEVELOPMENT Root CA - NOT FOR PRODUCTION'"
check "PCK chain verifies to the dev root" \
  openssl verify -CAfile "$sim/root.pem" -untrusted "$sim/pck_platform_ca.pem" "$sim/pck.pem"
check "TCB signing cert verifies to the dev root" \
  openssl verify -CAfile "$sim/root.pem" "$sim/tcb_signing.pem"
check "PCK cert carries the SGX extension" \
  sh -c "openssl asn1parse -in '$sim/pck.pem' | grep -q ':1.2.840.113741.1.13.1$'"
check "PCK CN contains 'SGX PCK Certificate'" \
  sh -c "openssl x509 -in '$sim/pck.pem' -noout -subject | grep -q 'SGX PCK Certificate'"

# The collateral: CRLs and the r||s signatures over the exact JSON bytes.
check "collateral shape (TCB info v3 SGX, QE identity v2)" python3 - "$sim" "$work" <<'PY'
import json, sys
sim, work = sys.argv[1], sys.argv[2]
c = json.load(open(sim + "/collateral.json"))
open(work + "/root.crl", "wb").write(bytes.fromhex(c["root_ca_crl"]))
open(work + "/pck.crl", "wb").write(bytes.fromhex(c["pck_crl"]))
def der_int(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80: b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b
for part in ("tcb_info", "qe_identity"):
    open(work + "/" + part + ".json", "wb").write(c[part].encode())
    rs = bytes.fromhex(c[part + "_signature"])
    body = der_int(rs[:32]) + der_int(rs[32:])
    open(work + "/" + part + ".sig", "wb").write(b"\x30" + bytes([len(body)]) + body)
t = json.loads(c["tcb_info"])
assert t["id"] == "SGX" and t["version"] == 3, t
assert [l["tcbStatus"] for l in t["tcbLevels"]] == ["UpToDate", "OutOfDate"], t
q = json.loads(c["qe_identity"])
assert q["id"] == "QE" and q["version"] == 2, q
PY
openssl x509 -in "$sim/tcb_signing.pem" -noout -pubkey > "$work/tcb.pub"
for part in tcb_info qe_identity; do
  check "$part signature verifies (openssl)" \
    openssl dgst -sha256 -verify "$work/tcb.pub" -signature "$work/$part.sig" "$work/$part.json"
done
check "root CRL signed by the root" \
  openssl crl -inform DER -in "$work/root.crl" -CAfile "$sim/root.pem" -noout
check "PCK CRL signed by the PCK Platform CA" \
  sh -c "cat '$sim/pck_platform_ca.pem' '$sim/root.pem' > '$work/ca.pem' && openssl crl -inform DER -in '$work/pck.crl' -CAfile '$work/ca.pem' -noout"

# --- enclave identities -----------------------------------------------------
expect_rc 0 "enclave keygen" "$mra" enclave keygen --out "$work/signer.pem"
expect_contains "keygen prints mr_signer" "mr_signer = "
check "signer key is 0600" test "$(stat -c %a "$work/signer.pem")" = 600
check "signer key is RSA-3072 e=3" \
  sh -c "openssl pkey -in '$work/signer.pem' -noout -text | grep -q 'publicExponent: 3 '"
expect_rc 2 "keygen refuses to overwrite" "$mra" enclave keygen --out "$work/signer.pem"
printf 'service binary v1\n' > "$work/app"
expect_rc 0 "enclave sign" "$mra" enclave sign --key "$work/signer.pem" --isv-prod-id 7 --isv-svn 3 "$work/app"
check "sidecar written" test -s "$work/app.sigstruct"
expect_rc 0 "enclave measure" "$mra" enclave measure "$work/app"
expect_contains "MRENCLAVE = sha256 of the file" "mr_enclave = \"$(sha256sum "$work/app" | cut -d' ' -f1)\""
expect_contains "manifest-ready isv_prod_id" "isv_prod_id = 7"
expect_rc 0 "enclave measure --json" "$mra" enclave measure --json "$work/app"
expect_contains "json isv_svn" '"isv_svn": 3'
expect_contains "json debug" '"debug": false'
expect_rc 2 "isv-prod-id out of range" "$mra" enclave sign --key "$work/signer.pem" --isv-prod-id 70000 "$work/app"

cp "$work/app.sigstruct" "$work/app.sigstruct.good"
sed -i 's/"isv_svn": 3/"isv_svn": 4/' "$work/app.sigstruct"
expect_rc 1 "tampered sidecar is refused" "$mra" enclave measure "$work/app"
expect_contains "tamper message" "signature does not verify"
cp "$work/app.sigstruct.good" "$work/app.sigstruct"
printf 'service binary v2\n' > "$work/app2"; cp "$work/app.sigstruct" "$work/app2.sigstruct"
expect_rc 1 "changed binary is refused" "$mra" enclave measure "$work/app2"
expect_contains "changed-binary message" "changed after signing"
expect_rc 3 "missing sidecar" "$mra" enclave measure "$sim/root.pem"

# --- simulated quotes -------------------------------------------------------
rd=$(printf '%02x' $(seq 1 64))
expect_rc 0 "sim quote" "$mra" sim quote --dir "$sim" --exe "$work/app" --report-data "$rd" --out "$work/q.bin"
expect_contains "quote is labelled simulated" "SIMULATED"
check "quote fields (version, vendor, MRENCLAVE, ISV ids, REPORTDATA)" \
  python3 - "$work/q.bin" "$work/app" "$rd" <<'PY'
import hashlib, struct, sys
q = open(sys.argv[1], "rb").read()
assert struct.unpack_from("<HH", q, 0) == (3, 2), "version 3, ECDSA P-256"
assert q[12:28].hex() == "939a7233f79c4ca9940a0db3957f0607", "Intel QE vendor id"
assert q[112:144] == hashlib.sha256(open(sys.argv[2], "rb").read()).digest(), "MRENCLAVE"
assert struct.unpack_from("<HH", q, 304) == (7, 3), "ISVPRODID/ISVSVN"
assert q[96] & 2 == 0, "not DEBUG"
assert q[368:432].hex() == sys.argv[3], "REPORTDATA"
assert struct.unpack_from("<I", q, 432)[0] == len(q) - 436, "sig data length"
assert b"mra DEVELOPMENT SGX PCK Certificate" not in q  # PEM is base64.
assert q.rstrip(b"\0").endswith(b"-----END CERTIFICATE-----\n"), "PEM chain"
PY
expect_rc 2 "report data too long" "$mra" sim quote --dir "$sim" --exe "$work/app" --report-data "${rd}00" --out "$work/q2.bin"
expect_rc 1 "sim quote refuses a changed binary" "$mra" sim quote --dir "$sim" --exe "$work/app2" --out "$work/q2.bin"
expect_rc 3 "sim quote needs a sim dir" "$mra" sim quote --dir "$work/none" --exe "$work/app" --out "$work/q2.bin"

# --- refresh ----------------------------------------------------------------
cp "$sim/collateral.json" "$work/collateral1.json"
expect_rc 0 "refresh-collateral" "$mra" sim refresh-collateral --dir "$sim"
check "refresh keeps the root" cmp "$sim/root.pem" "$work/root1.pem"
check "refresh re-signs the collateral" sh -c "! cmp -s '$sim/collateral.json' '$work/collateral1.json'"
expect_rc 3 "refresh of a non-sim dir" "$mra" sim refresh-collateral --dir "$work/none"
expect_rc 0 "init --force replaces the platform" "$mra" sim init --dir "$sim" --force
check "new root after --force" sh -c "! cmp -s '$sim/root.pem' '$work/root1.pem'"
finish
