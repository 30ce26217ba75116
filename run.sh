#!/usr/bin/env bash
# mra developer entry point.
#   ./run.sh demo            install deps, build, run the demo platform end to end
#   ./run.sh test            install deps, build, run the whole test suite (ctest)
#   ./run.sh build [PRESET]  install deps and build (default preset: dev)
#   ./run.sh asan            build and test with AddressSanitizer + UBSan
#   ./run.sh fuzz [SECONDS]  build the clang-14 fuzzers and run each for SECONDS
#   ./run.sh bench           build the release preset and run the benchmarks
#   ./run.sh deps            only install missing Debian packages
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

# Debian 12 packages the build, tests, demo and benchmarks need.
PACKAGES=(
  g++ cmake ninja-build pkg-config git ca-certificates openssl
  clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14
  libssl-dev libabsl-dev libgrpc++-dev libprotobuf-dev protobuf-compiler
  protobuf-compiler-grpc libtomlplusplus-dev nlohmann-json3-dev libsimdjson-dev
  libcbor-dev libfmt-dev libspdlog-dev libcli11-dev libcurl4-openssl-dev
  libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 iproute2 procps
)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  log "installing missing packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to apt-get install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

check_shared() {
  if [ ! -d "$ROOT/../shared/testdata" ]; then
    echo "error: ../shared/testdata not found beside the repository ($ROOT/../shared)." >&2
    echo "The tests read real DCAP quotes and reference keys from there." >&2
    exit 1
  fi
}

build() {
  local preset=${1:-dev}
  log "configuring and building preset '$preset'"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$(nproc)"
}

cmd=${1:-help}
shift || true
case "$cmd" in
  deps)
    install_deps ;;
  build)
    install_deps; build "${1:-dev}" ;;
  test)
    install_deps; check_shared; build dev
    log "running the test suite"
    ctest --preset dev "$@" ;;
  asan)
    install_deps; check_shared; build asan
    ctest --preset asan "$@" ;;
  demo)
    install_deps; build dev
    exec "$ROOT/scripts/demo.sh" "$ROOT/build/dev" ;;
  fuzz)
    install_deps; build fuzz
    exec "$ROOT/scripts/fuzz.sh" "$ROOT/build/fuzz" "${1:-60}" ;;
  bench)
    install_deps; check_shared; build release
    exec "$ROOT/scripts/bench.sh" "$ROOT/build/release" ;;
  help|-h|--help)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' ;;
  *)
    echo "unknown command '$cmd'; try ./run.sh help" >&2; exit 2 ;;
esac
