#!/usr/bin/env bash
# Runs each libFuzzer target of a -Dfuzz=true build for a bounded time and prints one line per target:
#   fuzz <target>: <executions> executions in <seconds> s, <crashes> crashes
# Usage: tests/fuzz/run.sh <build folder> <seconds per target> [target...]   (default: every target)
# New inputs go to a scratch folder, never into the committed seed corpus. A crash's input is kept in
# <build folder>/fuzz-artifacts/ and the script exits non-zero; turn it into a regression test in
# tests/nn/io_fuzz_regressions_test.cpp.
set -uo pipefail
source_dir=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
seconds=$2
shift 2
targets=("$@")
((${#targets[@]})) || targets=(idx_fuzz idx_gzip_fuzz safetensors_fuzz code_file_fuzz)

artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=0
for target in "${targets[@]}"; do
  mkdir -p "$scratch/$target"
  rm -f "$artifacts/$target-"*
  log="$build/fuzz-$target.log"
  # -malloc_limit_mb: no single allocation may exceed 64 MiB (inputs are at most 4 KiB, so only a
  # reader trusting a size field would ask for more); -rss_limit_mb leaves room for ASan's shadow;
  # an input taking over 10 s is a hang.
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    "$build/tests/fuzz/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=64 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$target-" \
    "$scratch/$target" "$source_dir/corpus/$target" >"$log" 2>&1
  status=$?
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  crashes=$(ls "$artifacts" | grep -cE "^$target-(crash|leak|oom|timeout|malloc-limit)-" || true)
  elapsed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
  echo "fuzz $target: ${executions:-0} executions in ${elapsed:-?} s, $crashes crashes"
  if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    failed=1
    grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -n 20 >&2
  fi
done
exit "$failed"
