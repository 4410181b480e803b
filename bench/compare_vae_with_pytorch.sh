#!/usr/bin/env bash
# Trains the Keras blog's variational autoencoder with smallnet (`ae_mnist vae`) and with PyTorch
# (shared/peers/torch_vae.py at 1 and at 2 threads: its faster counts) in alternation, RUNS times each,
# and prints the medians and ratios: epoch time (median of epochs 2-EPOCHS, training only) and the
# test loss after the last epoch (784 · BCE + KL per image, one sample of z, the same formula in both).
# usage: bench/compare_vae_with_pytorch.sh [RUNS=3] [EPOCHS=5] [BUILD=build]   (needs python3-torch and libopenblas0-pthread)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
epochs=${2:-5}
build=${3:-build}
peer=../shared/peers/torch_vae.py
source bench/require_openblas.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log="$work/log"
for run in $(seq 1 "$runs"); do
  "$build/apps/ae_mnist" vae --epochs "$epochs" --seed "$run" --out "$work/vae" >"$work/vae.log" 2>&1
  /usr/bin/python3 - "$work/vae/history.csv" >>"$log" <<'PY'
import csv, json, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
epochs = [float(r["seconds"]) for r in rows]
print("RESULT " + json.dumps(dict(impl="smallnet", threads=0, median_epoch_s=statistics.median(epochs[1:] or epochs),
      epoch_s=epochs, test_loss=[float(r["val_loss"]) for r in rows])))
PY
  for threads in 1 2; do
    OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=$threads /usr/bin/python3 "$peer" --epochs "$epochs" \
      --threads "$threads" --seed "$run" | grep RESULT >>"$log"
  done
done
/usr/bin/python3 - "$log" <<'PY'
import json, statistics, sys
rows = [json.loads(l.split("RESULT ", 1)[1]) for l in open(sys.argv[1]) if l.startswith("RESULT ")]
med = statistics.median
ours = [r for r in rows if r["impl"] == "smallnet"]
theirs = {t: [r for r in rows if r["impl"] == "pytorch" and r["threads"] == t] for t in (1, 2)}
best = min((1, 2), key=lambda t: med(r["median_epoch_s"] for r in theirs[t]))
o, t = med(r["median_epoch_s"] for r in ours), med(r["median_epoch_s"] for r in theirs[best])
print(f"vae: epoch smallnet {o:.4f} s, pytorch {t:.4f} s ({best} thread{'s' if best > 1 else ''}; the other: "
      f"{med(r['median_epoch_s'] for r in theirs[3 - best]):.4f} s), ratio {o / t:.3f}")
lo, lt = med(r["test_loss"][-1] for r in ours), med(r["test_loss"][-1] for r in theirs[best])
print(f"  test loss after {len(ours[0]['test_loss'])} epochs: smallnet {lo:.3f}, pytorch {lt:.3f} ({100 * (lo / lt - 1):+.2f}%)")
print(f"  smallnet per run: {[round(r['test_loss'][-1], 3) for r in ours]}, epochs {[[round(e, 3) for e in r['epoch_s']] for r in ours]}")
PY
