#!/usr/bin/env bash
# The two set-up commands of README.md, on a fresh Debian 12 machine:
#   ./setup.sh main   installs the packages, builds (release, -O3) and runs the main job
#   ./setup.sh test   installs the packages, builds and runs the whole test suite
#   ./setup.sh sanitize [seconds]   also installs clang, builds the suite with AddressSanitizer and
#                     UndefinedBehaviorSanitizer (folder build-sanitize), runs it, then runs each
#                     libFuzzer target of tests/fuzz for `seconds` (default 60)
# Run as root, or as a user who may sudo (for apt-get). BUILD=<dir> changes the build folder.
set -euo pipefail
cd "$(dirname "$0")"
BUILD=${BUILD:-build}

packages=(meson ninja-build pkg-config g++ cmake libxsimd-dev libtbb-dev doctest-dev libbenchmark-dev
          zlib1g-dev libcli11-dev libfmt-dev libstb-dev libplplot-dev plplot-driver-cairo nlohmann-json3-dev
          doxygen   # the API reference and its test, docs.doxygen (about 16 s to install, 2-10 s to run)
          libopenmpi-dev openmpi-bin)  # training on several processes (nn/distributed.hpp) and its tests
[ "${1:-}" = main ] && packages+=(dataset-fashion-mnist)

install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  local sudo=; [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
  # An existing build folder silently ignores new options unless reconfigured (meson 1.0).
  if [ -f "$BUILD/meson-private/coredata.dat" ]; then
    meson setup --reconfigure "$BUILD" --buildtype=release >/dev/null
  else
    meson setup "$BUILD" --buildtype=release >/dev/null
  fi
  meson compile -C "$BUILD"
}

# clang builds the sanitizer folder because libFuzzer needs it, and one folder then serves both the
# sanitized suite and the fuzz targets (a second, g++, sanitizer build would double the build time).
# Shared libraries only: the static ones serve the install test, which a sanitizer build does not run.
# Without MPI: Open MPI's own allocations would need suppressing, and the code that runs only with
# several processes (nn/block_gradient_sum.cpp, the exchanges) is the plain build's distributed suite.
# -O1 with line tables only (clang's -gline-tables-only), as the sanitizers' own docs advise: reports
# keep their file and line, and the library, kernel and app files compile 20-55% faster than at -O2 -g
# (debugoptimized), which kept CI over 20 minutes on a slow host (Intel Xeon, 2 vCPUs: 23m55s).
sanitize_build() {
  local options=(--buildtype=plain -Doptimization=1 -Db_ndebug=false -Dcpp_args=-gline-tables-only
                 -Db_sanitize=address,undefined -Db_lundef=false
                 -Dbenchmarks=false -Dfuzz=true -Ddefault_library=shared -Dmpi=disabled)
  if [ -f "$BUILD/meson-private/coredata.dat" ]; then
    meson setup --reconfigure "$BUILD" "${options[@]}" >/dev/null
  else
    CXX=clang++ meson setup "$BUILD" "${options[@]}" >/dev/null
  fi
  meson compile -C "$BUILD"
}

case "${1:-}" in
  main)
    install_missing "${packages[@]}"
    build
    shift
    if [ -x "$BUILD/apps/ae_mnist" ]; then
      "$BUILD/apps/ae_mnist" "$@"
    else
      # Until the apps exist the main job is the GEMM benchmark of one training step.
      "$BUILD/bench/gemm_bench" --benchmark_filter='training_step' "$@"
    fi
    ;;
  test)
    install_missing "${packages[@]}"
    build
    meson test -C "$BUILD" --print-errorlogs
    ;;
  sanitize)
    BUILD=${BUILD_SANITIZE:-build-sanitize}
    install_missing "${packages[@]}" clang libclang-rt-14-dev
    sanitize_build
    status=0
    meson test -C "$BUILD" --print-errorlogs || status=1
    tests/fuzz/run.sh "$BUILD" "${2:-60}" || status=1
    exit "$status"
    ;;
  *)
    echo "usage: ./setup.sh main [app flags...] | ./setup.sh test | ./setup.sh sanitize [seconds]" >&2
    exit 2
    ;;
esac
