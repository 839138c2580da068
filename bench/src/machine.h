// Machine measurements for the table: fp32 FMA peak, and heap accounting per implementation.
#pragma once

#include <cstddef>

namespace bench {

/// Best-of-`trials` fp32 throughput of a register-blocked FMA loop on `threads` threads, GFLOP/s
/// (per-thread CPU time, so other processes on the machine do not lower it).
double measure_fp32_peak(int threads, int trials);
/// fp32 throughput of the same loop run once for a few ms on `threads` threads, on the wall
/// clock: the bench runs one between its rounds of steps, so that %peak divides by the rate
/// the cores had while the steps ran (on a shared VM it drifts by 20% within seconds).
double measure_fp32_burst(int threads);
/// The SIMD width the peak loop was compiled for, e.g. "AVX-512".
const char* peak_isa();

/// Heap bytes currently live / the high-water mark since reset_heap_peak() (every malloc family
/// call in the process, libraries included; memory a library maps with mmap is not seen).
long long heap_live();
long long heap_peak();
void reset_heap_peak();

/// Process maximum resident set size, bytes (getrusage).
long long max_rss();

}  // namespace bench
