# shellcheck shell=bash
# Shell helpers that set up and run the platform in SIMULATION mode, as an
# operator would, for tests/platform/platform_cli_test.sh and scripts/demo.sh:
#
#   mra sim init --dir sim                      development PKI + collateral
#   mra enclave keygen --out signer.pem         enclave signing key
#   mra enclave sign BIN --key signer.pem       BIN.sigstruct for each service
#   mra enclave measure BIN --json              -> the manifest's identities
#   mra manifest sign enclave_info.toml --key auditorN.private.pem (x3)
#
# and a deployment config with [attester] kind = "sim", sim_dir, and [policy]
# allow_simulation = true (the sim dir's root.pem is then trusted).
#
# The caller sets `mra` (the CLI), `root` (the repository) and `work` (a
# private scratch directory) before sourcing, and calls plat_stop_all from its
# EXIT trap. Every function returns non-zero on failure.

plat_services=(frontend authentication storage)
declare -A plat_pids=()

# plat_free_ports N: prints N free loopback TCP ports.
plat_free_ports() {
  python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])' "$1"
}

# plat_write_config FILE DEPLOYMENT FRONTEND AUTH STORAGE: a simulation
# deployment; each listen address is HOST:PORT, or a bare PORT on loopback.
# Paths are relative to FILE's directory
# (data in ./state, the sim dir in ./sim). Fast password hashing (scrypt
# N=2^10) keeps tests quick.
plat_listen() { case $1 in *:*) echo "$1" ;; *) echo "127.0.0.1:$1" ;; esac; }
plat_write_config() {
  cat > "$1" <<TOML
deployment = "$2"
data_dir = "state"

[attester]
kind = "sim"
sim_dir = "sim"

[policy]
allow_simulation = true
cert_lifetime = "10m"

[services.frontend]
listen = "$(plat_listen "$3")"

[services.authentication]
listen = "$(plat_listen "$4")"
scrypt_log2_n = 10

[services.storage]
listen = "$(plat_listen "$5")"
TOML
}

# plat_sim_setup BUILD_BIN BIN_DIR: the development root in $work/sim, an
# enclave signing key $work/signer.pem, and signed copies of the three service
# executables in BIN_DIR (the build tree stays untouched; in simulation
# MRENCLAVE is the SHA-256 of the binary, MRSIGNER that of the key).
plat_sim_setup() {
  local build_bin=$1 bin=$2 svc
  "$mra" sim init --dir "$work/sim" || return 1
  "$mra" enclave keygen --out "$work/signer.pem" || return 1
  mkdir -p "$bin"
  for svc in "${plat_services[@]}"; do
    cp "$build_bin/mra-$svc" "$bin/mra-$svc" || return 1
    "$mra" enclave sign "$bin/mra-$svc" --key "$work/signer.pem" || return 1
  done
}

# plat_write_manifest OUT VERSION DEPLOYMENT SERVICE=BINARY...: a manifest
# (expiring in 30 days) with each service's measured identity.
plat_write_manifest() {
  local out=$1 version=$2 deployment=$3 pair measured
  shift 3
  mkdir -p "$(dirname "$out")"
  {
    echo "version = $version"
    echo "expires = $(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)"
    echo "deployment = \"$deployment\""
  } > "$out" || return 1
  for pair in "$@"; do
    measured=$("$mra" enclave measure "${pair#*=}" --json) || return 1
    printf '\n[%s]\n' "${pair%%=*}" >> "$out"
    python3 -c '
import json, sys
m = json.load(sys.stdin)
print("mr_enclave = \"%s\"" % m["mr_enclave"])
print("mr_signer = \"%s\"" % m["mr_signer"])' <<<"$measured" >> "$out" || return 1
  done
}

# plat_sign_manifest MANIFEST SIG_DIR N...: PoC auditor N signs the manifest's
# exact bytes into SIG_DIR/auditorN.sig.
plat_sign_manifest() {
  local manifest=$1 dir=$2 i
  shift 2
  mkdir -p "$dir"
  for i in "$@"; do
    "$mra" manifest sign "$manifest" \
      --key "$root/config/keys/auditor$i.private.pem" \
      --out "$dir/auditor$i.sig" >/dev/null 2>&1 || return 1
  done
}

# plat_start NAME BINARY CONFIG LOG: starts BINARY --config CONFIG in the
# background (output appended to LOG) and waits up to 30 s until it serves.
# The process gets SIGTERM if this shell dies, even by SIGKILL (setpriv
# --pdeathsig), so nothing outlives the caller.
plat_start() {
  local name=$1 binary=$2 config=$3 log=$4 _
  local offset
  offset=$(stat -c %s "$log" 2>/dev/null || echo 0)
  setpriv --pdeathsig TERM -- "$binary" --config "$config" >>"$log" 2>&1 &
  plat_pids[$name]=$!
  for _ in $(seq 1 300); do
    if tail -c +"$((offset + 1))" "$log" | grep -q "serving service="; then
      return 0
    fi
    if ! kill -0 "${plat_pids[$name]}" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "$name did not start:" >&2
  tail -c +"$((offset + 1))" "$log" | sed 's/^/    /' >&2
  return 1
}

# plat_stop NAME: SIGTERM; returns the process's exit code (0 on a clean
# shutdown).
plat_stop() {
  local name=$1 rc=0
  kill -TERM "${plat_pids[$name]}" 2>/dev/null || true
  wait "${plat_pids[$name]}" || rc=$?
  unset "plat_pids[$name]"
  return $rc
}

# plat_stop_all: stops every process plat_start started (for EXIT traps).
plat_stop_all() {
  local name
  for name in "${!plat_pids[@]}"; do
    kill -TERM "${plat_pids[$name]}" 2>/dev/null || true
  done
  for name in "${!plat_pids[@]}"; do
    wait "${plat_pids[$name]}" 2>/dev/null || true
    unset "plat_pids[$name]"
  done
}
