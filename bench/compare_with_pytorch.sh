#!/usr/bin/env bash
# Trains the seed's MNIST autoencoder with smallnet and with PyTorch (shared/peers/torch_mnist_ae.py,
# in its strongest configuration on these machines: one thread, OpenBLAS's AVX-512 kernels) in
# alternation, RUNS times each, and prints the medians and the ratios smallnet / PyTorch. On a CPU
# with AVX512_BF16 it also sets the bf16 pair side by side: `mnist_training --precision bf16` (its
# default threads: one per core) against the peer's `--bf16 --threads 2` (CPU autocast, oneDNN).
# usage: bench/compare_with_pytorch.sh [RUNS=3] [BUILD=build]   (needs python3-torch and libopenblas0-pthread)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
build=${2:-build}
peer=../shared/peers/torch_mnist_ae.py
source bench/require_openblas.sh
log=$(mktemp)
for run in $(seq 1 "$runs"); do
  for seed in 0; do
    /usr/bin/time -f 'WALL %e' "$build/bench/mnist_training" --seed "$run" 2>>"$log" | grep RESULT >>"$log"
    OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$peer" --threads 1 --seed "$run" | grep RESULT >>"$log"
    if grep -q avx512_bf16 /proc/cpuinfo; then
      "$build/bench/mnist_training" --seed "$run" --precision bf16 2>/dev/null | grep RESULT >>"$log"
      /usr/bin/python3 "$peer" --threads 2 --bf16 --seed "$run" | grep RESULT >>"$log"
    fi
  done
done
/usr/bin/python3 - "$log" <<'PY'
import json, statistics, sys
rows = [json.loads(l.split("RESULT ", 1)[1]) for l in open(sys.argv[1]) if l.startswith("RESULT ")]
def med(impl, key, f=lambda v: v):
    return statistics.median(f(r[key]) for r in rows if r["impl"] == impl)
def pair(ours_impl, theirs_impl):
  for key, f, label in [("median_epoch_2_5_s", lambda v: v, "training epoch, s (median of epochs 2-5)"),
                      ("infer_10k_batched_s", lambda v: v, "inference of the 10k test images, s"),
                      ("peak_rss_mb", lambda v: v, "peak RSS, MB"),
                      ("val_mse", lambda v: v[-1], "validation MSE after the last epoch")]:
    ours, theirs = med(ours_impl, key, f), med(theirs_impl, key, f)
    print(f"{label:45s} {ours_impl:>13s} {ours:9.4f}   {theirs_impl:>12s} {theirs:9.4f}   ratio {ours / theirs:6.3f}")
pair("smallnet", "pytorch")
if any(r["impl"] == "smallnet-bf16" for r in rows):
  pair("smallnet-bf16", "pytorch-bf16")
for impl in ("smallnet", "smallnet-bf16"):
  if any(r["impl"] == impl for r in rows):
    print("runs:", sum(r["impl"] == impl for r in rows), f"each; {impl} val_mse per run:",
          [round(r["val_mse"][-1], 5) for r in rows if r["impl"] == impl])
# Each run's pair (they ran one after the other), so the spread the medians hide is seen: on these
# shared machines either side can have a slow run.
for ours_impl, theirs_impl in (("smallnet", "pytorch"), ("smallnet-bf16", "pytorch-bf16")):
  ours = [r["median_epoch_2_5_s"] for r in rows if r["impl"] == ours_impl]
  theirs = [r["median_epoch_2_5_s"] for r in rows if r["impl"] == theirs_impl]
  if ours and theirs:
    print(f"{ours_impl} / {theirs_impl} epoch per run:",
          ", ".join(f"{a:.4f}/{b:.4f} = {a / b:.3f}" for a, b in zip(ours, theirs)))
PY
rm -f "$log"
