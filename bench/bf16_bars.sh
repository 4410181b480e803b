#!/usr/bin/env bash
# Measures every bar of the bf16 mixed-precision issue on this machine and prints them as one table,
# with the processor, each figure, the bar and whether it is met; every run's figure is kept under
# the table, since on these shared machines a median alone hides a slow run:
#   - bf16 and fp32 epochs against PyTorch's, and bf16's validation MSE (bench/compare_with_pytorch.sh);
#   - the training step's GEMMs in bf16 against fp32 on 2 threads (bench/gemm_bench), 3x with AMX,
#     1.6x without; with AMX also the bf16 epoch against ours in fp32 (0.5x);
#   - the main job's peak RSS in fp32 and bf16 (/usr/bin/time -v build/apps/ae_mnist);
#   - the fp32 epoch from 1 to 2 threads (bench/mnist_training, alternated).
# usage: bench/bf16_bars.sh [RUNS=5] [BUILD=build]   (needs AVX512_BF16, python3-torch, libopenblas0-pthread)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
build=${2:-build}
if ! grep -q avx512_bf16 /proc/cpuinfo; then
  echo "$(basename "$0"): this CPU lacks AVX512_BF16, so no bf16 product runs here" >&2
  exit 1
fi
amx=$(grep -q amx_bf16 /proc/cpuinfo && echo yes || echo no)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "processor: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, amx_bf16: $amx"

echo "[1/4] bench/compare_with_pytorch.sh $runs" >&2
bash bench/compare_with_pytorch.sh "$runs" "$build" >"$work/compare.txt"

echo "[2/4] gemm_bench, $runs runs" >&2
for run in $(seq 1 "$runs"); do
  "$build/bench/gemm_bench" --benchmark_filter='^BM_(bf16_)?training_step_gemms(_row_blocks)?/2' \
    --benchmark_repetitions=7 --benchmark_enable_random_interleaving=true \
    --benchmark_report_aggregates_only=true --benchmark_format=json 2>/dev/null >"$work/gemm_$run.json"
done

echo "[3/4] the main job's peak RSS" >&2
for precision in fp32 bf16; do
  /usr/bin/time -v "$build/apps/ae_mnist" --precision "$precision" --out "$work/out_$precision" \
    >"$work/main_$precision.txt" 2>"$work/rss_$precision.txt"
done

echo "[4/4] bench/mnist_training --threads 1 and 2, $runs alternated pairs" >&2
for run in $(seq 1 "$runs"); do
  for threads in 1 2; do
    "$build/bench/mnist_training" --threads "$threads" --seed "$run" 2>/dev/null | grep RESULT \
      | sed "s/^RESULT /$threads /" >>"$work/scaling.txt"
  done
done

/usr/bin/python3 - "$work" "$runs" "$amx" <<'PY'
import json, re, statistics, sys
work, runs, amx = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "yes"
compare = open(f"{work}/compare.txt").read()
def ratio(label, impl):
    m = re.search(rf"^{re.escape(label)}\s+{impl}\s+\S+\s+\S+\s+\S+\s+ratio\s+(\S+)", compare, re.M)
    return float(m.group(1))
def value(label, impl):
    m = re.search(rf"^{re.escape(label)}\s+{impl}\s+(\S+)", compare, re.M)
    return float(m.group(1))
epoch, mse = "training epoch, s (median of epochs 2-5)", "validation MSE after the last epoch"
rows = []
def bar(name, figure, target, met, command):
    rows.append((name, figure, target, "met" if met else "MISSED", command))

bf16_mse = value(mse, "smallnet-bf16")
bar("bf16 validation MSE after 5 epochs", f"{bf16_mse:.4f}", "<= 0.0160", bf16_mse <= 0.0160, "compare_with_pytorch.sh")
r = ratio(epoch, "smallnet-bf16")
bar("bf16 epoch / PyTorch --bf16 --threads 2", f"{r:.3f}", "<= 0.35", r <= 0.35, "compare_with_pytorch.sh")
r = ratio(epoch, "smallnet")
bar("fp32 epoch / PyTorch's strongest fp32", f"{r:.3f}", "<= 0.35", r <= 0.35, "compare_with_pytorch.sh")
if amx:
    r = value(epoch, "smallnet-bf16") / value(epoch, "smallnet")
    bar("bf16 epoch / our fp32 epoch (AMX)", f"{r:.3f}", "<= 0.5", r <= 0.5, "compare_with_pytorch.sh")

gemm = {"step": [], "row_blocks": []}
for run in range(1, runs + 1):
    t = {b["run_name"]: b["real_time"] for b in json.load(open(f"{work}/gemm_{run}.json"))["benchmarks"]
         if b.get("aggregate_name") == "median"}
    gemm["step"].append(t["BM_training_step_gemms/2/real_time"] / t["BM_bf16_training_step_gemms/2/real_time"])
    gemm["row_blocks"].append(t["BM_training_step_gemms_row_blocks/2/real_time"] / t["BM_bf16_training_step_gemms_row_blocks/2/real_time"])
target = 3.0 if amx else 1.6
for key, name in (("step", "training_step_gemms/2"), ("row_blocks", "training_step_gemms_row_blocks/2")):
    r = statistics.median(gemm[key])
    bar(f"bf16 GEMM rate / fp32, {name}", f"{r:.3f}", f">= {target}", r >= target, "gemm_bench")

for precision in ("fp32", "bf16"):
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(f"{work}/rss_{precision}.txt").read()).group(1))
    bar(f"main job peak RSS, {precision}", f"{kb / 1024:.1f} MB", "<= 120 MB", kb / 1024 <= 120, "ae_mnist")

epochs = {1: [], 2: []}
parts = ("step_us", "batch_us", "forward_us", "backward_us", "update_us")
part_runs = {1: {p: [] for p in parts}, 2: {p: [] for p in parts}}
for line in open(f"{work}/scaling.txt"):
    threads, result = line.split(" ", 1)
    figures = json.loads(result)
    epochs[int(threads)].append(figures["median_epoch_2_5_s"])
    for p in parts:
        part_runs[int(threads)][p].append(figures[p])
pairs = [a / b for a, b in zip(epochs[1], epochs[2])]
r = statistics.median(pairs)
bar("fp32 epoch, 1 thread / 2 threads", f"{r:.3f}", ">= 1.6", r >= 1.6, "mnist_training")

width = max(len(row[0]) for row in rows)
for name, figure, target, verdict, command in rows:
    print(f"{name:{width}s}  {figure:>9s}  {target:>10s}  {verdict:6s}  ({command})")
print()
print(compare.rstrip())
for key in gemm:
    print(f"bf16 GEMM ratio {key} per run:", ", ".join(f"{r:.3f}" for r in gemm[key]))
print("fp32 epoch 1 thread / 2 threads per pair:",
      ", ".join(f"{a:.4f}/{b:.4f} = {a / b:.3f}" for a, b in zip(epochs[1], epochs[2])))
# Where the second thread goes (History's EpochTimings): per step, medians of the runs; the passes are
# summed over the two row blocks, so on 2 threads they are thread-microseconds, and a pass that takes
# more of them than on 1 thread is where the second core is lost.
print("fp32 step, us (medians):", "; ".join(
    f"{p[:-3]} {statistics.median(part_runs[1][p]):.0f} on 1 thread, {statistics.median(part_runs[2][p]):.0f} on 2"
    for p in parts))
PY
