# Sourced by the compare_*_with_pytorch.sh scripts: PyTorch's strongest configuration on these machines
# runs its fp32 products on OpenBLAS. Debian's PyTorch calls whichever libblas.so.3 the alternatives
# system points to, and installed without recommended packages that is the reference BLAS, on which the
# seed model's fp32 epoch took 12 s against OpenBLAS's 0.6-1.0 s: a comparison against it would flatter
# us 20-fold, so the scripts refuse it.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || true)
if [[ "$blas" != *openblas* ]]; then
  echo "$(basename "$0"): PyTorch would run its products on the BLAS at '${blas:-no libblas.so.3}', not on" \
       "OpenBLAS, which is not its strongest configuration; install OpenBLAS first:" \
       "apt-get install -y libopenblas0-pthread" >&2
  exit 1
fi
