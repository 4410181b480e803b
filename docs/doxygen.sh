#!/usr/bin/env bash
# Writes the API reference (docs/Doxyfile.in) into the build folder, failing on any Doxygen warning
# (the Doxyfile sets WARN_AS_ERROR = FAIL_ON_WARNINGS; its warnings are printed as "error:").
# Doxygen is optional: without it this says so and exits with the second argument, 0 for
# `meson compile docs`, 77 for the test docs.doxygen (meson counts 77 as skipped).
set -euo pipefail
doxyfile=$1
exit_without_doxygen=$2
if ! command -v doxygen >/dev/null; then
  echo "docs: doxygen is not installed (apt-get install doxygen), so the API reference is not built"
  exit "$exit_without_doxygen"
fi
start=$EPOCHREALTIME
doxygen "$doxyfile"
printf 'docs: %s/html/index.html, no warnings, in %.1f s\n' "$(cd "$(dirname "$doxyfile")" && pwd)" \
  "$(awk "BEGIN { print $EPOCHREALTIME - $start }")"
