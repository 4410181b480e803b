#!/usr/bin/env bash
# Proves that an installed smallnet is usable by an outside program with pkg-config alone, linked
# shared and linked static: installs the build into a temporary folder, compiles
# tests/install/example.cpp once with `-Wall -Wextra -Wpedantic -Werror $(pkg-config --cflags smallnet)`,
# links it with `pkg-config --libs smallnet` and runs it, then removes the shared libraries (leaving
# what `meson setup -Ddefault_library=static` installs), links it with `pkg-config --static --libs
# smallnet` and runs it again.
#
# The bar is "with no PLplot, stb or nlohmann_json development files installed". This machine has
# them and a test cannot uninstall them, so it shows the same another way:
# - pkg-config searches a folder holding smallnet.pc alone (PKG_CONFIG_LIBDIR replaces the system's
#   folders): any Requires of another package's .pc would fail the query;
# - the compiler lists every header the example includes (-MD), and none may be PLplot's, stb's,
#   nlohmann_json's or another dependency's (foreign_headers.sh; headers.sh checks every header so);
# - the static link needs only the libraries of smallnet.pc's Libs.private (oneTBB, zlib).
set -euo pipefail
source "$(dirname "$0")/foreign_headers.sh"
build=$1
source=$2
kinds=${3:-both}   # the build's default_library: which of the two links it installs
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

meson install -C "$build" --no-rebuild --destdir "$dest" --quiet >/dev/null
pc=$(find "$dest" -name smallnet.pc | head -n 1)
[ -n "$pc" ] || { echo "no smallnet.pc was installed" >&2; exit 1; }
libdir=$(dirname "$(dirname "$pc")")
mkdir "$dest/pkgconfig-smallnet-only"
cp "$pc" "$dest/pkgconfig-smallnet-only/"
export PKG_CONFIG_LIBDIR=$dest/pkgconfig-smallnet-only PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR=$dest
echo "pkg-config --cflags --libs smallnet: $(pkg-config --cflags --libs smallnet)"
echo "pkg-config --static --libs smallnet: $(pkg-config --static --libs smallnet)"

# One compilation serves both links; the link is what differs.
g++ -std=c++20 -O2 -Wall -Wextra -Wpedantic -Werror -MD -MF "$dest/example.d" \
    -c "$source/tests/install/example.cpp" -o "$dest/example.o" $(pkg-config --cflags smallnet)
if foreign_headers_in "$dest/example.d"; then
  echo "the example includes the headers above through smallnet's public headers" >&2
  exit 1
fi

if [ "$kinds" != static ]; then
  g++ "$dest/example.o" -o "$dest/example_shared" $(pkg-config --libs smallnet)
  echo "linked shared:"
  LD_LIBRARY_PATH=$libdir "$dest/example_shared"
fi
[ "$kinds" != shared ] || { echo "static link not tested: this build has shared libraries only"; exit 0; }

rm -f "$libdir"/libsmallnet_*.so*
g++ "$dest/example.o" -o "$dest/example_static" $(pkg-config --static --libs smallnet)
if readelf -d "$dest/example_static" | grep -F 'libsmallnet_'; then
  echo "the static link still needs smallnet's shared libraries" >&2
  exit 1
fi
echo "linked static:"
"$dest/example_static"
