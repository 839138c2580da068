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
exec "$exe" "$@"
