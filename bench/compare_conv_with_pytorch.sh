#!/usr/bin/env bash
# Trains the two convolutional autoencoders with smallnet (build/apps/ae_mnist) and with PyTorch
# (shared/peers/torch_conv_ae.py at 1 and at 2 threads: its faster counts) in alternation, RUNS times
# each, and prints the medians and the ratios smallnet / PyTorch:
#   blog:    `ae_mnist conv` against `torch_conv_ae.py --model blog` on all 60k images: median epoch of
#            epochs 2-EPOCHS, validation BCE after 2 epochs, and peak RSS beside the dense `ae_mnist`;
#   denoise: `ae_mnist denoise --model conv --limit 12000` against `--model denoise --limit 12000`.
# Epoch times are the training passes only (both leave validation out), from history.csv and from the
# peer's RESULT line.
# usage: bench/compare_conv_with_pytorch.sh [RUNS=1] [EPOCHS=5] [BUILD=build]   (needs python3-torch and libopenblas0-pthread)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
epochs=${2:-5}
build=${3:-build}
peer=../shared/peers/torch_conv_ae.py
source bench/require_openblas.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log="$work/log"

# RESULT lines in the peer's form for a smallnet run: its history.csv and /usr/bin/time's peak RSS.
smallnet_result() {  # model out_folder time_file
  /usr/bin/python3 - "$1" "$2/history.csv" "$3" <<'PY'
import csv, json, statistics, sys
model, history, timing = sys.argv[1:4]
rows = list(csv.DictReader(open(history)))
epochs = [float(r["seconds"]) for r in rows]
rss = [float(l.split()[1]) / 1024 for l in open(timing) if l.startswith("RSS ")][0]
print("RESULT " + json.dumps(dict(impl="smallnet", model=model, epoch_s=epochs,
      median_epoch_s=statistics.median(epochs[1:] or epochs), val_bce=[float(r["val_loss"]) for r in rows],
      peak_rss_mb=rss)))
PY
}

for run in $(seq 1 "$runs"); do
  echo "run $run of $runs" >&2
  /usr/bin/time -f 'RSS %M' -o "$work/time" "$build/apps/ae_mnist" conv --epochs "$epochs" --seed "$run" \
    --out "$work/blog" >"$work/blog.log" 2>&1
  smallnet_result blog "$work/blog" "$work/time" >>"$log"
  /usr/bin/time -f 'RSS %M' -o "$work/time" "$build/apps/ae_mnist" --seed "$run" --out "$work/dense" >"$work/dense.log" 2>&1
  echo "DENSE_RSS $(awk '/^RSS /{print $2 / 1024}' "$work/time")" >>"$log"
  /usr/bin/time -f 'RSS %M' -o "$work/time" "$build/apps/ae_mnist" denoise --model conv --limit 12000 --epochs "$epochs" \
    --seed "$run" --out "$work/denoise" >"$work/denoise.log" 2>&1
  smallnet_result denoise "$work/denoise" "$work/time" >>"$log"
  for threads in 1 2; do
    for model in blog denoise; do
      limit=0; [ "$model" = denoise ] && limit=12000
      OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=$threads /usr/bin/python3 "$peer" --model "$model" \
        --epochs "$epochs" --threads "$threads" --seed "$run" --limit "$limit" | grep RESULT >>"$log"
    done
  done
done

/usr/bin/python3 - "$log" <<'PY'
import json, statistics, sys
lines = open(sys.argv[1]).read().splitlines()
rows = [json.loads(l.split("RESULT ", 1)[1]) for l in lines if l.startswith("RESULT ")]
dense_rss = [float(l.split()[1]) for l in lines if l.startswith("DENSE_RSS ")]
med = statistics.median
for model in ["blog", "denoise"]:
    ours = [r for r in rows if r["impl"] == "smallnet" and r["model"] == model]
    theirs = {t: [r for r in rows if r["impl"] == "pytorch" and r["model"] == model and r["threads"] == t] for t in (1, 2)}
    best = min((1, 2), key=lambda t: med(r["median_epoch_s"] for r in theirs[t]))
    our_epoch, their_epoch = med(r["median_epoch_s"] for r in ours), med(r["median_epoch_s"] for r in theirs[best])
    print(f"{model}: epoch (median of epochs 2-{len(ours[0]['epoch_s'])}) smallnet {our_epoch:.3f} s, pytorch {their_epoch:.3f} s "
          f"({best} thread{'s' if best > 1 else ''}; the other: {med(r['median_epoch_s'] for r in theirs[3 - best]):.3f} s), "
          f"ratio {our_epoch / their_epoch:.3f}")
    for k in (2, len(ours[0]["val_bce"])):
        o, t = med(r["val_bce"][k - 1] for r in ours), med(r["val_bce"][k - 1] for r in theirs[best])
        print(f"  validation BCE after {k} epochs: smallnet {o:.5f}, pytorch {t:.5f} ({100 * (o / t - 1):+.2f}%)")
    print(f"  peak RSS: smallnet {med(r['peak_rss_mb'] for r in ours):.1f} MB, pytorch {med(r['peak_rss_mb'] for r in theirs[best]):.1f} MB"
          + (f"; dense ae_mnist {med(dense_rss):.1f} MB, ratio {med(r['peak_rss_mb'] for r in ours) / med(dense_rss):.3f}"
             if model == "blog" else ""))
    print(f"  smallnet epochs per run: {[[round(e, 3) for e in r['epoch_s']] for r in ours]}")
PY
