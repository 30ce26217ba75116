#!/usr/bin/env bash
# Multi-host platform on one machine: mra-frontend, mra-authentication and
# mra-storage each in its own network namespace, and mra-client in a fourth,
# joined by veth pairs to a bridge that lives in a fifth ("switch") namespace:
#
#     client 10.77.0.10 ─┐
#   frontend 10.77.0.2  ─┼─ br0 (namespace <prefix>-sw)
#      auth. 10.77.0.3  ─┤
#    storage 10.77.0.4  ─┘
#
# Nothing is added to the root namespace: parallel runs (unique namespace
# names per run) cannot collide, and the root namespace has no route to the
# 10.77.0.0/24 link (asserted: storage does not answer there from it). The services talk mutually attested gRPC (simulation attester,
# as tests/platform/platform_cli_test.sh) across the namespaces; the client
# runs register / login / put / get through the frontend, and its direct
# calls to storage (and authentication) are refused although the network
# path to them exists.
#
# Exits 77 (ctest SKIP_RETURN_CODE) only when the kernel refuses network
# namespaces or veth/bridge devices (EPERM in an unprivileged container, no
# veth support), saying why; any other failure fails. Namespaces, links and
# processes are removed by the EXIT trap, also on failure or a signal; the
# services die with the script even on SIGKILL (plat_start's pdeathsig), and
# namespaces left by a SIGKILLed run are removed by the next run.
#
# Usage: netns_test.sh BIN_DIR MRA MRA_CLIENT REPO_ROOT
#   BIN_DIR holds mra-frontend, mra-authentication and mra-storage.
# shellcheck source-path=SCRIPTDIR
set -uo pipefail
build_bin=$1 mra=$2 client=$3 root=$4
# shellcheck source=../lib.sh
source "$root/tests/lib.sh"

# Checks on top of tests/lib.sh's expect_rc / expect_contains / finish.
netns_pass() {  # description
  num_pass=$((num_pass + 1)); echo "PASS: $1"
}
netns_fail() {  # description [details]
  num_fail=$((num_fail + 1)); echo "FAIL: $1"
  if [ $# -gt 1 ]; then printf '%s\n' "$2" | sed 's/^/    /'; fi
}
check_ok() {  # description command...: PASS when the command succeeds
  local what=$1; shift
  if "$@"; then netns_pass "$what"; else netns_fail "$what"; fi
}
check_fails() {  # description command...: PASS when the command fails
  local what=$1; shift
  if "$@"; then netns_fail "$what"; else netns_pass "$what"; fi
}

readonly kSkip=77
if ! command -v ip >/dev/null 2>&1; then
  echo "FAIL: 'ip' (iproute2) is not installed; ./run.sh deps installs it"
  exit 1
fi

work=$(mktemp -d /tmp/mra-netns-test.XXXXXX)
# shellcheck source=../platform/platform_lib.sh
source "$root/tests/platform/platform_lib.sh"
run_id=${work##*.}
run_id=${run_id,,}
prefix="mra-$run_id"
declare -A ns=(
  [sw]="$prefix-sw" [frontend]="$prefix-fe" [authentication]="$prefix-au"
  [storage]="$prefix-st" [client]="$prefix-cl")
declare -A ip_of=(
  [frontend]=10.77.0.2 [authentication]=10.77.0.3 [storage]=10.77.0.4
  [client]=10.77.0.10)
declare -A port_of=([frontend]=7700 [authentication]=7701 [storage]=7702)
created_ns=()

cleanup() {
  local name pid
  plat_stop_all
  # Anything else still inside this run's namespaces was started by it.
  for name in "${created_ns[@]}"; do
    for pid in $(ip netns pids "$name" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null || true
    done
    ip netns del "$name" 2>/dev/null ||
      echo "warning: could not delete network namespace $name"
  done
  rm -rf "$work"
}
trap cleanup EXIT
# A signal ends the test through the EXIT trap too (a SIGKILL, e.g. a ctest
# timeout, cannot: see reap_stale below).
trap 'exit 130' INT
trap 'exit 143' TERM HUP
echo $$ > "$work/owner"

# reap_stale: removes the namespaces (and their processes) of earlier runs of
# this test that were killed before their EXIT trap could run: a namespace
# mra-<id>-{sw,fe,au,st,cl} whose run's work dir is gone or whose owner
# process is dead, and such a run's work dir. Live runs (in parallel) are
# left alone.
reap_stale() {
  local name id dir owner live pid
  for name in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    [[ "$name" =~ ^mra-([a-z0-9]{6})-(sw|fe|au|st|cl)$ ]] || continue
    id=${BASH_REMATCH[1]}
    live=0
    for dir in /tmp/mra-netns-test.*; do
      owner=${dir##*.}
      [ "${owner,,}" = "$id" ] || continue
      owner=$(cat "$dir/owner" 2>/dev/null) || continue
      if [[ "$owner" =~ ^[0-9]+$ ]] && kill -0 "$owner" 2>/dev/null; then
        live=1
      fi
    done
    [ "$live" -eq 1 ] && continue
    echo "note: removing namespace $name of an earlier, killed run"
    for pid in $(ip netns pids "$name" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null || true
    done
    ip netns del "$name" 2>/dev/null || true
  done
  for dir in /tmp/mra-netns-test.*; do
    owner=$(cat "$dir/owner" 2>/dev/null) || continue
    if [[ "$owner" =~ ^[0-9]+$ ]] && ! kill -0 "$owner" 2>/dev/null; then
      rm -rf "$dir"
    fi
  done
}
reap_stale

# setup_step WHAT SKIP_PATTERN COMMAND...: runs a namespace/link set-up
# command; when it fails with an error matching SKIP_PATTERN (the kernel
# refusing), the test is skipped with the reason, otherwise it fails.
setup_step() {
  local what=$1 skip_pattern=$2 out rc; shift 2
  out=$("$@" 2>&1) && return 0
  rc=$?
  if [ -n "$skip_pattern" ] && grep -qiE -- "$skip_pattern" <<<"$out"; then
    echo "SKIP: the kernel refuses $what here (uid $(id -u)): '$*' -> $out"
    echo "SKIP: the multi-namespace platform test needs CAP_SYS_ADMIN and CAP_NET_ADMIN"
    echo "      with network namespaces and veth/bridge devices (run as root, not in an"
    echo "      unprivileged container)."
    exit $kSkip
  fi
  echo "FAIL: $what: '$*' exited $rc:"; echo "$out" | sed 's/^/    /'
  exit 1
}
readonly kRefusedNs='operation not permitted|permission denied|function not implemented|invalid argument'
readonly kRefusedLink='operation not permitted|permission denied|not supported|unknown device type'

echo "== network namespaces (run $run_id)"
for name in sw frontend authentication storage client; do
  setup_step "network namespaces" "$kRefusedNs" ip netns add "${ns[$name]}"
  created_ns+=("${ns[$name]}")
done
# `ip netns exec` also needs a mount namespace (it remounts /sys).
setup_step "ip netns exec (mount namespaces)" "$kRefusedNs" \
  ip netns exec "${ns[client]}" true
setup_step "bridge devices" "$kRefusedLink" \
  ip -n "${ns[sw]}" link add br0 type bridge
setup_step "link up" "" ip -n "${ns[sw]}" link set br0 up
for name in frontend authentication storage client; do
  # The pair is created inside the switch namespace with its other end
  # directly in the host's namespace: no name ever exists in the root one.
  setup_step "veth devices" "$kRefusedLink" \
    ip -n "${ns[sw]}" link add "$name" type veth peer name eth0 netns "${ns[$name]}"
  setup_step "bridge port" "" ip -n "${ns[sw]}" link set "$name" master br0 up
  setup_step "address" "" ip -n "${ns[$name]}" addr add "${ip_of[$name]}/24" dev eth0
  setup_step "link up" "" ip -n "${ns[$name]}" link set eth0 up
  setup_step "loopback up" "" ip -n "${ns[$name]}" link set lo up
done
netns_pass "5 namespaces, bridge and 4 veth pairs created"

# inns NAME COMMAND...: runs COMMAND in NAME's namespace.
inns() {
  local name=$1; shift
  ip netns exec "${ns[$name]}" "$@"
}
# tcp_connects NAME IP PORT: can NAME's namespace open a TCP connection to
# IP:PORT within 3 seconds?
tcp_connects() {
  inns "$1" timeout 3 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}
# tls_probe NAME IP PORT [s_client options...]: a plain TLS handshake (no
# attestation) from NAME's namespace (root: the root one) to IP:PORT; its
# output goes to LAST_OUT ("Peer certificate: CN = storage" names the server,
# "CONNECTION ESTABLISHED" says the handshake completed).
tls_probe() {
  local name=$1 addr=$2 port=$3; shift 3
  local cmd=(timeout 10 openssl s_client -connect "$addr:$port" -alpn h2 -brief "$@")
  if [ "$name" = root ]; then
    LAST_OUT=$("${cmd[@]}" </dev/null 2>&1 | tr -d '\0')
  else
    LAST_OUT=$(inns "$name" "${cmd[@]}" </dev/null 2>&1 | tr -d '\0')
  fi
}

echo "== simulation set-up"
bin="$work/bin"
plat_sim_setup "$build_bin" "$bin" >"$work/setup.log" 2>&1 &&
  plat_write_manifest "$work/state/enclave_info.toml" 1 netns \
    frontend="$bin/mra-frontend" authentication="$bin/mra-authentication" \
    storage="$bin/mra-storage" >>"$work/setup.log" 2>&1 &&
  plat_sign_manifest "$work/state/enclave_info.toml" "$work/state/signatures" 1 2 3 ||
  { netns_fail "simulation set-up" "$(cat "$work/setup.log")"; finish; exit 1; }
netns_pass "simulation set-up: sim root, signed services, manifest signed by 3 PoC auditors"

plat_write_config "$work/deploy.toml" netns \
  "${ip_of[frontend]}:${port_of[frontend]}" \
  "${ip_of[authentication]}:${port_of[authentication]}" \
  "${ip_of[storage]}:${port_of[storage]}"

# Each service starts through a wrapper that execs it in its namespace
# (ip netns exec execs too), so plat_start's pid is the service's own and
# plat_stop / plat_stop_all work unchanged. No proxy from the environment
# may carry the gRPC connections, and gRPC keeps its default log level (its
# handshake errors are asserted below).
for name in frontend authentication storage; do
  cat > "$work/in-ns-$name" <<SH
#!/bin/sh
exec ip netns exec ${ns[$name]} env -u http_proxy -u https_proxy -u grpc_proxy \\
  -u HTTP_PROXY -u HTTPS_PROXY -u GRPC_VERBOSITY -u GRPC_TRACE "$bin/mra-$name" "\$@"
SH
  chmod +x "$work/in-ns-$name"
done
start() {
  plat_start "$1" "$work/in-ns-$1" "$work/deploy.toml" "$work/$1.log"
}

echo "== the platform, one service per namespace"
start storage && start authentication && start frontend || { finish; exit 1; }

# Each service really is in its own namespace, not the root one.
for name in frontend authentication storage; do
  got=$(ip netns identify "${plat_pids[$name]}" 2>&1)
  check_ok "mra-$name (pid ${plat_pids[$name]}) runs in namespace ${ns[$name]}" \
    test "$got" = "${ns[$name]}"
done
inodes=$(for name in frontend authentication storage; do
           stat -L -c %i "/proc/${plat_pids[$name]}/ns/net"; done
         stat -L -c %i /proc/self/ns/net
         stat -L -c %i "/run/netns/${ns[client]}")
check_ok "frontend, authentication, storage, client and root: 5 distinct network namespaces" \
  test "$(sort -u <<<"$inodes" | wc -l)" -eq 5

# The storage address exists in storage's namespace only.
check_ok "storage's namespace holds ${ip_of[storage]}" \
  grep -qF "inet ${ip_of[storage]}/" <<<"$(ip -n "${ns[storage]}" -o -4 addr show)"
check_fails "the root namespace has no interface with ${ip_of[storage]}" \
  grep -qF "inet ${ip_of[storage]}/" <<<"$(ip -o -4 addr show)"
# ss prints IPv4 listeners of a dual-stack socket as [::ffff:A.B.C.D]:PORT.
listener="${ip_of[storage]//./\\.}\\]?:${port_of[storage]}"
check_ok "storage listens on ${ip_of[storage]}:${port_of[storage]} in its namespace" \
  grep -qE "$listener" <<<"$(inns storage ss -Hltn)"
check_fails "...and that socket is not in the root namespace" \
  grep -qE "$listener" <<<"$(ss -Hltn)"
check_ok "the client's namespace reaches storage's port over the bridge (TCP)" \
  tcp_connects client "${ip_of[storage]}" "${port_of[storage]}"
tls_probe client "${ip_of[storage]}" "${port_of[storage]}"
expect_contains "...and storage's certificate answers there" "Peer certificate: CN = storage"
# From the root namespace the address is not routed to storage: depending on
# the host nothing answers, or whatever the default route leads to (e.g. a
# sandbox's egress proxy), but never storage.
tls_probe root "${ip_of[storage]}" "${port_of[storage]}"
check_fails "the root namespace does not reach storage on ${ip_of[storage]}:${port_of[storage]} (not routed)" \
  grep -qF "Peer certificate: CN = storage" <<<"$LAST_OUT"

echo "== the client, from its namespace, through the frontend"
c=(ip netns exec "${ns[client]}" env -u http_proxy -u https_proxy -u grpc_proxy -u HTTP_PROXY -u HTTPS_PROXY
   "$client" --config "$work/deploy.toml" --timeout 10)
expect_rc 0 "register alice" env MRA_PASSWORD='correct horse' "${c[@]}" register alice
expect_rc 1 "register alice again" env MRA_PASSWORD='correct horse' "${c[@]}" register alice
expect_contains "...ALREADY_EXISTS" "ALREADY_EXISTS"
expect_rc 1 "login with a wrong password" env MRA_PASSWORD='wrong horse' "${c[@]}" login alice
expect_contains "...UNAUTHENTICATED" "UNAUTHENTICATED"
token=$(printf 'correct horse\n' | "${c[@]}" login alice --password-stdin 2>/dev/null)
check_ok "login prints a 64-hex token" grep -qxE '[0-9a-f]{64}' <<<"$token"
expect_rc 0 "put" "${c[@]}" put greeting 'hello across namespaces' --token "$token"
expect_rc 0 "get" env MRA_TOKEN="$token" "${c[@]}" get greeting
expect_contains "...returns the value" "hello across namespaces"
expect_rc 1 "get a missing key" env MRA_TOKEN="$token" "${c[@]}" get nothing
expect_contains "...NOT_FOUND" "NOT_FOUND"

echo "== direct calls to the back-end services are refused"
expect_rc 3 "mra-client aimed at storage (${ip_of[storage]}) refuses it: not the frontend" \
  env MRA_TOKEN="$token" "${c[@]}" --frontend "${ip_of[storage]}:${port_of[storage]}" get greeting
expect_contains "...because of the peer's attested identity" "peer refused"
expect_rc 3 "mra-client aimed at authentication (${ip_of[authentication]}) refuses it" \
  env MRA_TOKEN="$token" "${c[@]}" --frontend "${ip_of[authentication]}:${port_of[authentication]}" get greeting
# A TLS client with no certificate, from the client's namespace (TLS 1.2, so
# the server's verdict comes before the handshake completes): storage demands
# a client certificate and aborts; the frontend, which serves anonymous
# clients, completes the same handshake.
before=$(grep -c "peer did not return a certificate" "$work/storage.log")
tls_probe client "${ip_of[frontend]}" "${port_of[frontend]}" -tls1_2
expect_contains "a TLS 1.2 client without a certificate: the frontend completes the handshake" \
  "CONNECTION ESTABLISHED"
tls_probe client "${ip_of[storage]}" "${port_of[storage]}" -tls1_2
check_fails "...storage aborts it" grep -qF "CONNECTION ESTABLISHED" <<<"$LAST_OUT"
after=$(grep -c "peer did not return a certificate" "$work/storage.log")
check_ok "...and logs 'peer did not return a certificate'" test "$after" -gt "$before"
# A TLS client with a certificate that carries no attestation evidence:
# storage's attested-peer verifier refuses it (and logs the verdict).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=not-attested -keyout "$work/rogue.key" -out "$work/rogue.pem" >/dev/null 2>&1
before=$(grep -c "peer refused: side=server" "$work/storage.log")
tls_probe client "${ip_of[storage]}" "${port_of[storage]}" \
  -cert "$work/rogue.pem" -key "$work/rogue.key"
after=$(grep -c "peer refused: side=server" "$work/storage.log")
check_ok "storage's verifier refused a non-attested client certificate" \
  test "$after" -gt "$before"
LAST_OUT=$(grep "peer refused: side=server" "$work/storage.log" | tail -1)
echo "    storage: ${LAST_OUT#*] }"
expect_contains "...as carrying no attestation evidence" "verdict=EVIDENCE_MISSING"
# Storage admitted no caller but the frontend, and no call from the client's address.
LAST_OUT=$(grep -E "peer accepted|call accepted" "$work/storage.log")
check_fails "storage accepted nobody but the frontend" \
  grep -vqE "service=frontend|peer=frontend" <<<"$LAST_OUT"
check_fails "storage accepted nothing from the client's address ${ip_of[client]}" \
  grep -qF "${ip_of[client]}:" <<<"$LAST_OUT"

echo "== the services' logs show the cross-namespace paths"
LAST_OUT=$(cat "$work/storage.log")
expect_contains "storage verified the frontend in the handshake" "peer accepted: side=server service=frontend"
expect_contains "storage served Put for the frontend from ${ip_of[frontend]}" \
  "call accepted service=storage method=Put peer=frontend"
check_ok "...whose address is the frontend namespace's" \
  grep -qE "method=Put peer=frontend.*addr=ipv4:${ip_of[frontend]//./\\.}:" <<<"$LAST_OUT"
LAST_OUT=$(cat "$work/authentication.log")
check_ok "authentication served the frontend from ${ip_of[frontend]}" \
  grep -qE "call accepted service=authentication .*peer=frontend.*addr=ipv4:${ip_of[frontend]//./\\.}:" <<<"$LAST_OUT"
LAST_OUT=$(cat "$work/frontend.log")
check_ok "the frontend served the anonymous client from ${ip_of[client]}" \
  grep -qE "call accepted service=frontend .*addr=ipv4:${ip_of[client]//./\\.}:" <<<"$LAST_OUT"
expect_contains "the frontend verified authentication (client side)" "peer accepted: side=client service=authentication"
expect_contains "the frontend verified storage (client side)" "peer accepted: side=client service=storage"

for name in storage authentication frontend; do
  rc=0
  plat_stop "$name" || rc=$?
  check_ok "mra-$name stops cleanly on SIGTERM (exit $rc)" test "$rc" -eq 0
done
finish
