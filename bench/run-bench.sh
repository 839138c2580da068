#!/usr/bin/env bash
# Runs gradgen_bench against OpenBLAS at its best: some machines pin an older kernel through
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, and OpenBLAS reads them only at start-up, so they are
# removed here, before the process starts (tests and CI leave them alone); and where OpenBLAS
# does not know the CPU, the best kernel for its instruction set is named (below).
#   usage: bench/run-bench.sh BUILD_DIR/bench/gradgen_bench [bench options]
set -euo pipefail
exe=${1:?usage: run-bench.sh GRADGEN_BENCH_EXE [options]}
shift
for v in OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; do
  [ -n "${!v:-}" ] && echo "run-bench: unsetting $v=${!v} for this run" >&2
  unset "$v"
done
# OpenBLAS at its best: DYNAMIC_ARCH picks a kernel by CPU model, and a CPU newer than the
# library (Debian 12's 0.3.21 on an Emerald Rapids Xeon, model 207) falls back to Prescott, an
# SSE3 kernel 4-5x slower there than the AVX-512 one the CPU can run. When the detected kernel
# is older than what the CPU's instruction set allows, the best of those is named instead.
kernel_rank() {
  case "${1,,}" in
    sapphirerapids) echo 5 ;;
    cooperlake) echo 4 ;;
    skylakex) echo 3 ;;
    haswell | zen) echo 2 ;;
    sandybridge | bulldozer | piledriver | steamroller | excavator) echo 1 ;;
    *) echo 0 ;;
  esac
}
best_kernel_for_cpu() {
  local flags
  flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
  has() { for f in "$@"; do [[ $flags == *" $f "* ]] || return 1; done; }
  if has avx512f avx512bw avx512vl avx512dq avx512_bf16; then echo Cooperlake
  elif has avx512f avx512bw avx512vl avx512dq; then echo SkylakeX
  elif has avx2 fma; then echo Haswell
  fi
}
detected=$("$exe" --blas-kernel 2>/dev/null || true)
best=$( [ "$(uname -m)" = x86_64 ] && best_kernel_for_cpu || true)
if [ -n "$detected" ] && [ -n "$best" ] && [ "$(kernel_rank "$detected")" -lt "$(kernel_rank "$best")" ]; then
  if [ "$(OPENBLAS_CORETYPE=$best "$exe" --blas-kernel 2>/dev/null)" = "$best" ]; then
    echo "run-bench: OpenBLAS detected $detected for this CPU; the CPU runs $best, so OPENBLAS_CORETYPE=$best" >&2
    export OPENBLAS_CORETYPE=$best
  else
    echo "run-bench: OpenBLAS detected $detected; this build has no $best kernel to use instead" >&2
  fi
fi
# libtorch's OpenMP workers spin after each parallel region while OpenBLAS's workers spin
# after each GEMM; with 2 threads on 2 cores the two pools then take turns on the cores and a
# libtorch step slows down by 10-100x. Passive OpenMP waiting avoids that (libtorch is the only
# OpenMP user in the bench). An OMP_WAIT_POLICY already set is kept.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
exec "$exe" "$@"
