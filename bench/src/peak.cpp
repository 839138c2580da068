// fp32 peak: independent FMA chains, enough of them to cover FMA latency × FMA ports, so the
// loop runs at the core's FMA throughput.
#include <immintrin.h>

#include <time.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "machine.h"

namespace bench {
namespace {

#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16;
inline Vec splat(float x) { return _mm512_set1_ps(x); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline float first(Vec v) { return _mm512_cvtss_f32(v); }
constexpr const char* kIsa = "AVX-512 FMA";
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
inline Vec splat(float x) { return _mm256_set1_ps(x); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline float first(Vec v) { return _mm256_cvtss_f32(v); }
constexpr const char* kIsa = "AVX2 FMA";
#else
#error "the peak loop needs FMA (build with -march=native on an FMA machine)"
#endif

constexpr int kChains = 16;  // >= latency (4) x ports (2), with margin

float fma_loop(long iters) {
  Vec acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = splat(static_cast<float>(i));
  const Vec m = splat(0.999999f), a = splat(1e-6f);  // converges, never overflows
  for (long it = 0; it < iters; ++it)
    for (int i = 0; i < kChains; ++i) acc[i] = fma(acc[i], m, a);
  float s = 0;
  for (int i = 0; i < kChains; ++i) s += first(acc[i]);
  return s;
}

volatile float g_sink;

// GFLOP/s of one thread on `clock`: per-thread CPU time for the peak (on a shared machine wall
// time would measure the other processes, and the peak is a property of the core), wall time
// for the bursts that run between the steps, which are timed on the wall clock too.
double thread_rate(long iters, clockid_t clock) {
  timespec a{}, b{};
  clock_gettime(clock, &a);
  g_sink = fma_loop(iters);
  clock_gettime(clock, &b);
  const double s = static_cast<double>(b.tv_sec - a.tv_sec) + 1e-9 * static_cast<double>(b.tv_nsec - a.tv_nsec);
  return 2.0 * kLanes * kChains * static_cast<double>(iters) / s * 1e-9;
}

// Sum of the threads' rates, all threads running the loop at once.
double run(int threads, long iters, clockid_t clock) {
  std::vector<double> rate(threads);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back([&rate, t, iters, clock] { rate[t] = thread_rate(iters, clock); });
  rate[0] = thread_rate(iters, clock);
  for (auto& th : pool) th.join();
  double sum = 0;
  for (double r : rate) sum += r;
  return sum;
}

}  // namespace

double measure_fp32_peak(int threads, int trials) {
  constexpr long kIters = 4'000'000;  // ~30 ms per thread at 4 GHz with AVX-512
  double best = 0;
  for (int t = 0; t < trials; ++t) best = std::max(best, run(threads, kIters, CLOCK_THREAD_CPUTIME_ID));
  return best;
}

double measure_fp32_burst(int threads) {
  constexpr long kIters = 1'000'000;  // ~2.5 ms per thread at 200 GFLOP/s
  return run(threads, kIters, CLOCK_MONOTONIC);
}

const char* peak_isa() { return kIsa; }

}  // namespace bench
