#!/usr/bin/env bash
# Proves that an installed smallnet is usable by an outside program with pkg-config alone: installs the
# build into a temporary folder, compiles tests/install/example.cpp with
# `g++ -Wall -Wextra -Wpedantic -Werror example.cpp $(pkg-config --cflags --libs smallnet)` and runs it.
set -euo pipefail
build=$1
source=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

meson install -C "$build" --no-rebuild --destdir "$dest" --quiet >/dev/null
pc=$(find "$dest" -name smallnet.pc | head -n 1)
[ -n "$pc" ] || { echo "no smallnet.pc was installed" >&2; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$dest
g++ -std=c++20 -O2 -Wall -Wextra -Wpedantic -Werror "$source/tests/install/example.cpp" -o "$dest/example" $(pkg-config --cflags --libs smallnet)
LD_LIBRARY_PATH=$(dirname "$(find "$dest" -name 'libsmallnet_tensor.so' | head -n 1)") "$dest/example"
