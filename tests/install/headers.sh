#!/usr/bin/env bash
# Each installed public header compiles on its own: a user's file that includes only it, built with
# `g++ -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror` and the include flags of
# `pkg-config --cflags smallnet` alone, must compile (each header includes what it uses) and must read
# no header of smallnet's dependencies (PLplot, stb, nlohmann_json, ...: foreign_headers.sh). Installs
# the build into a temporary folder, checks every header there (two at a time: the machine has two
# cores), names each one that fails with its first errors, and says how long it took.
set -euo pipefail
source "$(dirname "$0")/foreign_headers.sh"
build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

meson install -C "$build" --no-rebuild --destdir "$dest" --quiet >/dev/null
pc=$(find "$dest" -name smallnet.pc | head -n 1)
[ -n "$pc" ] || { echo "no smallnet.pc was installed" >&2; exit 1; }
# The flags of smallnet.pc alone (no other .pc visible), as in tests/install/check.sh; the headers of
# smallnet-plot (nn/io/plot.hpp, png.hpp) are held to them too: none may need PLplot's or stb's.
export PKG_CONFIG_LIBDIR=$(dirname "$pc") PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR=$dest
cflags=$(pkg-config --cflags smallnet)
include_root=$(pkg-config --variable=includedir smallnet)/smallnet
[ -d "$include_root" ] || { echo "pkg-config gave '$cflags', not one include folder" >&2; exit 1; }

check_header() {  # header (relative to the include folder) -> prints "FAILED header" and why
  local header=$1 log depfile
  depfile=$dest/$(tr / _ <<<"$header").d
  if ! log=$(printf '#include <%s>\n' "$header" |
             g++ -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror $cflags -MD -MF "$depfile" \
                 -x c++ - 2>&1); then
    printf 'FAILED %s\n%s\n' "$header" "$(head -n 8 <<<"$log")"
  elif log=$(foreign_headers_in "$depfile"); then
    printf 'FAILED %s: includes the headers of a dependency\n%s\n' "$header" "$(head -n 3 <<<"$log")"
  fi
}
export -f check_header foreign_headers_in
export cflags dest foreign_headers

start=$EPOCHREALTIME
headers=$(cd "$include_root" && find . -name '*.hpp' | sed 's|^\./||' | sort)
report=$(xargs -P 2 -n 1 bash -c 'check_header "$0"' <<<"$headers")
seconds=$(awk "BEGIN { print $EPOCHREALTIME - $start }")
count=$(wc -l <<<"$headers")
failed=$(grep -c '^FAILED ' <<<"$report" || true)

[ -z "$report" ] || echo "$report"
printf 'headers: %d compiled alone, %d failed, in %.1f s\n' "$count" "$failed" "$seconds"
[ "$failed" -eq 0 ]
