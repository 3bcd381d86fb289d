#!/usr/bin/env bash
# The few-row kernel of a recurrent step against one thread of OpenBLAS (few_rows_bench.c).
# Usage: Benchmarks/recurrent/few_rows.sh   (needs libopenblas-dev; OUTDIR=dir for the binary)
# Compiled with clang -O2, as SwiftPM compiles the C target: with gcc -O2 the kernel's blocks of
# accumulators stay in memory instead of registers and it runs 2 to 3 times slower.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUTDIR=${OUTDIR:-$HERE/out}
mkdir -p "$OUTDIR"
KERNELS=$ROOT/Sources/RecurrentKernels
clang -O2 -I"$KERNELS/include" $(pkg-config --cflags openblas) "$HERE/few_rows_bench.c" "$KERNELS/few_rows.c" \
    "$KERNELS/recurrent_kernels.c" -o "$OUTDIR/few_rows_bench" $(pkg-config --libs openblas) -lm
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}"
"$OUTDIR/few_rows_bench"
