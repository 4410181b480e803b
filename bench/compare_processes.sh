#!/usr/bin/env bash
# The seed's model (`ae_mnist`, 5 epochs on the default data) on one process with two threads and on
# two MPI processes with one thread each (the same two cores), in alternation, RUNS times each; prints
# the median epoch time (epochs 2-EPOCHS, training only) of each, their ratio, and the validation MSE
# after the last epoch of each (they use the same two row blocks, so it should be bitwise the same).
# usage: bench/compare_processes.sh [RUNS=3] [EPOCHS=5] [BUILD=build] [ae_mnist subcommand and flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
epochs=${2:-5}
build=${3:-build}
shift $(( $# < 3 ? $# : 3 ))
command -v mpirun >/dev/null || { echo "compare_processes: no mpirun (apt-get install openmpi-bin)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Open MPI's shared-memory transport copies through ptrace by default, which containers forbid.
export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}
summary() {  # history.csv -> "median_epoch_s last_val_loss"
  /usr/bin/python3 - "$1" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
seconds = [float(r["seconds"]) for r in rows]
print(statistics.median(seconds[1:] or seconds), rows[-1]["val_loss"])
PY
}
for run in $(seq 1 "$runs"); do
  "$build/apps/ae_mnist" "$@" --threads 2 --epochs "$epochs" --out "$work/one" >"$work/one.log" 2>&1
  echo "one $(summary "$work/one/history.csv")" >>"$work/results"
  mpirun --allow-run-as-root --oversubscribe -np 2 "$build/apps/ae_mnist" "$@" --epochs "$epochs" --out "$work/two" \
    >"$work/two.log" 2>&1
  echo "two $(summary "$work/two/history.csv")" >>"$work/results"
  cmp -s "$work/one/weights.safetensors" "$work/two/weights.safetensors" && echo "same weights" >>"$work/results" || true
done
/usr/bin/python3 - "$work/results" "$runs" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = statistics.median
one = [float(r[1]) for r in rows if r[0] == "one"]
two = [float(r[1]) for r in rows if r[0] == "two"]
val = {k: [r[2] for r in rows if r[0] == k] for k in ("one", "two")}
same = sum(1 for r in rows if r[0] == "same")
print(f"epoch: 1 process x 2 threads {med(one):.4f} s, 2 processes x 1 thread {med(two):.4f} s, "
      f"ratio {med(two) / med(one):.3f} (each run's median epoch: {one} / {two})")
print(f"validation loss after the last epoch: 1 process {val['one'][-1]}, 2 processes {val['two'][-1]}; "
      f"weights byte-identical in {same} of {sys.argv[2]} runs")
PY
