#!/usr/bin/env bash
# Runs gradgen_bench with OpenBLAS free to pick its best kernel: some machines pin an older
# one through OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, and OpenBLAS reads them only at start-up,
# so they are removed here, before the process starts. Tests and CI leave them alone.
#   usage: bench/run-bench.sh BUILD_DIR/bench/gradgen_bench [bench options]
set -euo pipefail
exe=${1:?usage: run-bench.sh GRADGEN_BENCH_EXE [options]}
shift
for v in OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; do
  [ -n "${!v:-}" ] && echo "run-bench: unsetting $v=${!v} for this run" >&2
  unset "$v"
done
# libtorch's OpenMP workers spin after each parallel region while OpenBLAS's workers spin
# after each GEMM; with 2 threads on 2 cores the two pools then take turns on the cores and a
# libtorch step slows down by 10-100x. Passive OpenMP waiting avoids that (libtorch is the only
# OpenMP user in the bench). An OMP_WAIT_POLICY already set is kept.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
exec "$exe" "$@"
