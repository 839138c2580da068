// gradgen's own matrix product for large products in generated code (the default; `--blas`
// calls CBLAS instead). Same contract as gradgen/blas.hpp's gg::gemm, row-major:
//   C[m, p] = alpha · op(A) · op(B) + beta · C,  op(A) [m, k] (A stored [k, m] when ta),
//   op(B) [k, p] (B stored [p, k] when tb); beta == 0 never reads C.
// Blocked the usual way (Goto/BLIS): a kc × nc block of op(B) and MR rows × kc of op(A) are
// packed into contiguous panels (transposes are absorbed by the packing), and a register tile
// of MR rows × NR columns of C is accumulated in SIMD registers over kc. Bands of rows or
// columns of C go to gg::gemm_threads() threads (gemm_threads.hpp; the caller is one).
// A C at most two registers wide (10 or 20 classes) has its own kernel instead: see Narrow.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <vector>

#include <unistd.h>  // sysconf: the L2 size

#include "gemm_threads.hpp"
#include "isa.hpp"
#include "reduce.hpp"

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace gg {
inline namespace GG_ISA {

namespace gemm_detail {

using Index = std::int64_t;

// One SIMD register of T: width W, and the handful of operations the micro-kernel needs.
template <class T>
struct Simd;

#if defined(__AVX512F__)
template <>
struct Simd<float> {
  using R = __m512;
  static constexpr int W = 16;
  static R zero() { return _mm512_setzero_ps(); }
  static R load(const float* p) { return _mm512_load_ps(p); }
  static R loadu(const float* p) { return _mm512_loadu_ps(p); }
  static void storeu(float* p, R v) { _mm512_storeu_ps(p, v); }
  // The first n <= W lanes; the others are zero (load) or left alone (store) and never touched.
  static R load_first(const float* p, int n) { return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p); }
  static void store_first(float* p, R v, int n) { _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), v); }
  static R set1(float x) { return _mm512_set1_ps(x); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  // The sum of the lanes. Halves are taken with a zero-masked extract: GCC 12 warns falsely
  // (maybe-uninitialized, an error under -Werror) in _mm512_reduce_add_ps and in the plain
  // AVX-512 extracts and shuffles, which start from an undefined register.
  static float sum(R v) {
    const __m512d d = _mm512_castps_pd(v);
    const __m256 h = _mm256_add_ps(_mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xF, d, 0)),
                                   _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xF, d, 1)));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
  }
};
template <>
struct Simd<double> {
  using R = __m512d;
  static constexpr int W = 8;
  static R zero() { return _mm512_setzero_pd(); }
  static R load(const double* p) { return _mm512_load_pd(p); }
  static R loadu(const double* p) { return _mm512_loadu_pd(p); }
  static void storeu(double* p, R v) { _mm512_storeu_pd(p, v); }
  static R load_first(const double* p, int n) { return _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << n) - 1), p); }
  static void store_first(double* p, R v, int n) { _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << n) - 1), v); }
  static R set1(double x) { return _mm512_set1_pd(x); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_pd(a, b, c); }
  static R add(R a, R b) { return _mm512_add_pd(a, b); }
  static R mul(R a, R b) { return _mm512_mul_pd(a, b); }
  static double sum(R v) {
    const __m256d h = _mm256_add_pd(_mm512_maskz_extractf64x4_pd(0xF, v, 0), _mm512_maskz_extractf64x4_pd(0xF, v, 1));
    const __m128d q = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd(h, 1));
    return _mm_cvtsd_f64(_mm_add_sd(q, _mm_unpackhi_pd(q, q)));
  }
};
#elif defined(__AVX2__) && defined(__FMA__)
template <>
struct Simd<float> {
  using R = __m256;
  static constexpr int W = 8;
  static R zero() { return _mm256_setzero_ps(); }
  static R load(const float* p) { return _mm256_load_ps(p); }
  static R loadu(const float* p) { return _mm256_loadu_ps(p); }
  static void storeu(float* p, R v) { _mm256_storeu_ps(p, v); }
  static __m256i first(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
  static R load_first(const float* p, int n) { return _mm256_maskload_ps(p, first(n)); }
  static void store_first(float* p, R v, int n) { _mm256_maskstore_ps(p, first(n), v); }
  static R set1(float x) { return _mm256_set1_ps(x); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static float sum(R v) {
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
  }
};
template <>
struct Simd<double> {
  using R = __m256d;
  static constexpr int W = 4;
  static R zero() { return _mm256_setzero_pd(); }
  static R load(const double* p) { return _mm256_load_pd(p); }
  static R loadu(const double* p) { return _mm256_loadu_pd(p); }
  static void storeu(double* p, R v) { _mm256_storeu_pd(p, v); }
  static __m256i first(int n) { return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3)); }
  static R load_first(const double* p, int n) { return _mm256_maskload_pd(p, first(n)); }
  static void store_first(double* p, R v, int n) { _mm256_maskstore_pd(p, first(n), v); }
  static R set1(double x) { return _mm256_set1_pd(x); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_pd(a, b, c); }
  static R add(R a, R b) { return _mm256_add_pd(a, b); }
  static R mul(R a, R b) { return _mm256_mul_pd(a, b); }
  static double sum(R v) {
    const __m128d q = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(q, _mm_unpackhi_pd(q, q)));
  }
};
#endif

// Portable fallback: a "register" of 4 scalars the compiler may vectorise as it can.
template <class T>
struct Scalar4 {
  struct R {
    T v[4];
  };
  static constexpr int W = 4;
  static R zero() { return R{}; }
  static R load(const T* p) { return R{{p[0], p[1], p[2], p[3]}}; }
  static R loadu(const T* p) { return load(p); }
  static void storeu(T* p, R r) { p[0] = r.v[0], p[1] = r.v[1], p[2] = r.v[2], p[3] = r.v[3]; }
  static R load_first(const T* p, int n) {
    R r{};
    for (int i = 0; i < n; ++i) r.v[i] = p[i];
    return r;
  }
  static void store_first(T* p, R r, int n) {
    for (int i = 0; i < n; ++i) p[i] = r.v[i];
  }
  static R set1(T x) { return R{{x, x, x, x}}; }
  static R fma(R a, R b, R c) {
    for (int i = 0; i < 4; ++i) c.v[i] += a.v[i] * b.v[i];
    return c;
  }
  static R add(R a, R b) {
    for (int i = 0; i < 4; ++i) a.v[i] += b.v[i];
    return a;
  }
  static R mul(R a, R b) {
    for (int i = 0; i < 4; ++i) a.v[i] *= b.v[i];
    return a;
  }
  static T sum(R r) { return (r.v[0] + r.v[1]) + (r.v[2] + r.v[3]); }
};

template <class T, class = void>
struct SimdOf {
  using type = Scalar4<T>;
};
template <class T>
struct SimdOf<T, std::void_t<decltype(Simd<T>::W)>> {
  using type = Simd<T>;
};

// Register tile and cache blocks. MR rows × NV registers of C stay in registers (16 of the
// 32 AVX-512 registers: enough independent sums to cover FMA latency on two FMA pipes). A
// row of tiles reads an MR × kc panel of op(A) while it walks along the packed kc × nc block
// of op(B), which stays in L2: the order of BLIS and OpenBLAS. The other order (a kc × NR
// panel of op(B) in L1, the tile walking down a block of op(A)) measured 4-7% slower on W3's
// products. Both operands stream from L2 into the kernel, so kc is not bound by L1: f32 takes
// k up to 1024 in one block, which saves the passes over C and the short transposed reads of
// smaller blocks (W3's 1024-deep products 3-6% faster than in blocks of 342; blocks of 256
// were 1.5-2.5% slower again). f64 measured best at 384 (1024: 7-10% slower).
// kc fixes the order of each sum, so it is a constant: one build rounds the same on every
// machine. nc only splits columns; it is taken from the L2 size (see b_block_columns).
template <class T>
struct Blocking {
  using S = typename SimdOf<T>::type;
  // AVX-512 has 32 vector registers: 8 × 2 accumulators; AVX2 has 16: 6 × 2 (the portable
  // fallback's "registers" are arrays, 4 × 2).
  static constexpr int MR = std::is_same_v<S, Scalar4<T>> ? 4 : sizeof(typename S::R) == 64 ? 8 : 6;
  static constexpr int NV = 2;
  static constexpr Index KC = sizeof(T) == 4 ? 1024 : 384;
  static constexpr int NR = NV * S::W;
};

// Bytes of this core's L2 (sysconf; 1 MiB where the system does not say), read once.
inline Index l2_cache_bytes() {
  static const Index bytes = [] {
    Index reported = -1;  // sysconf's long, which Index holds
#if defined(_SC_LEVEL2_CACHE_SIZE)
    reported = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
    constexpr Index kDefault = Index(1) << 20, kLeast = Index(256) << 10, kMost = Index(8) << 20;
    return reported > 0 ? std::clamp(reported, kLeast, kMost) : kDefault;
  }();
  return bytes;
}

// Columns of a packed kc × nc block of op(B): half of L2, in whole panels (f32, kc = 1024, a
// 1 MiB L2: 128 columns, 512 KiB). A larger share measured no faster on W3 (3/8 to 3/4 of
// L2 within 2%); the rest of L2 holds the op(A) panels and the tile of C on their way.
template <class T>
Index b_block_columns(Index kc) {
  constexpr Index NR = Blocking<T>::NR;
  return std::max(NR, l2_cache_bytes() / 2 / (kc * Index(sizeof(T))) / NR * NR);
}

// Packing buffers that cannot be allocated: std::bad_alloc, or the end of a program built
// without exceptions (-fno-exceptions).
[[noreturn]] inline void out_of_memory() {
#if defined(__cpp_exceptions)
  throw std::bad_alloc();
#else
  std::abort();
#endif
}

// A thread's packing buffer. Trivially destructible, so that a product run after the thread's
// thread_local objects are destroyed (on the main thread: from an atexit handler or a static
// object's destructor) finds it, empty, and allocates it again; BufferRelease frees it when the
// thread ends.
template <class T>
struct Buffer {
  T* data;
  Index size;
  void release() {
    std::free(data);
    data = nullptr;
    size = 0;
  }
  T* reserve(Index n) {
    if (n > size) {
      std::free(data);
      size = 0;
      const Index bytes = (n * Index(sizeof(T)) + 63) / 64 * 64;
      data = static_cast<T*>(std::aligned_alloc(64, static_cast<size_t>(bytes)));
      if (!data) out_of_memory();
      size = n;
    }
    return data;
  }
};

template <class T>
struct BufferRelease {
  Buffer<T>* buffer;
  ~BufferRelease() { buffer->release(); }
};

// This thread's packing buffer number `Id` for element type T.
template <class T, int Id>
Buffer<T>& thread_buffer() {
  thread_local Buffer<T> buffer{nullptr, 0};
  thread_local BufferRelease<T> release{&buffer};
  return buffer;
}

// dst[c · ds + r] = src[r · ss + c] for r, c < TB: one block of a transposing copy, done in
// registers where the machine has AVX2 (8 × 8 floats, 4 × 4 doubles).
template <class T>
struct TransposeBlock {
  static constexpr int TB = 1;
  static void run(const T* src, Index, T* dst, Index) { *dst = *src; }
};
#if defined(__AVX2__)
template <>
struct TransposeBlock<float> {
  static constexpr int TB = 8;
  static void run(const float* src, Index ss, float* dst, Index ds) {
    __m256 r[8], t[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * ss);
#pragma GCC unroll 8
    for (int i = 0; i < 8; i += 2) t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]), t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
#pragma GCC unroll 8
    for (int i = 0; i < 8; i += 4) {
      r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
      r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
      r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
      r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
#pragma GCC unroll 8
    for (int i = 0; i < 4; ++i) {
      _mm256_storeu_ps(dst + i * ds, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
      _mm256_storeu_ps(dst + (i + 4) * ds, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
    }
  }
};
template <>
struct TransposeBlock<double> {
  static constexpr int TB = 4;
  static void run(const double* src, Index ss, double* dst, Index ds) {
    __m256d r[4], t[4];
#pragma GCC unroll 8
    for (int i = 0; i < 4; ++i) r[i] = _mm256_loadu_pd(src + i * ss);
    t[0] = _mm256_unpacklo_pd(r[0], r[1]), t[1] = _mm256_unpackhi_pd(r[0], r[1]);
    t[2] = _mm256_unpacklo_pd(r[2], r[3]), t[3] = _mm256_unpackhi_pd(r[2], r[3]);
    _mm256_storeu_pd(dst, _mm256_permute2f128_pd(t[0], t[2], 0x20));
    _mm256_storeu_pd(dst + ds, _mm256_permute2f128_pd(t[1], t[3], 0x20));
    _mm256_storeu_pd(dst + 2 * ds, _mm256_permute2f128_pd(t[0], t[2], 0x31));
    _mm256_storeu_pd(dst + 3 * ds, _mm256_permute2f128_pd(t[1], t[3], 0x31));
  }
};
#endif

// The wider block where AVX-512 has one: 16 × 16 floats in four rounds of 16 two-register
// shuffles (0.25 per element, against 0.375 for 8 × 8 in AVX2), the cost of transposing
// packs such as op(B) = Wᵀ of an input gradient.
template <class T>
struct WideTransposeBlock : TransposeBlock<T> {};
#if defined(__AVX512F__)
template <>
struct WideTransposeBlock<float> {
  static constexpr int TB = 16;
  // Zero-masked forms with every lane kept: the plain ones start from an undefined register
  // and GCC 12 warns falsely (see Simd<float>::sum).
  static constexpr __mmask16 kAll = 0xFFFF;
  static constexpr __mmask8 kAll8 = 0xFF;

  // N rows (N = 8 or 16), 16 columns each: rows 2h, 2h + 1 interleaved, then pairs of those,
  // so that in each 128-bit lane L register 4g + c holds column 4L + c of rows 4g .. 4g + 3.
  template <int N>
  static void columns_by_four(__m512 (&r)[N]) {
    __m512 t[N];
#pragma GCC unroll 16
    for (int i = 0; i < N; i += 2)
      t[i] = _mm512_maskz_unpacklo_ps(kAll, r[i], r[i + 1]), t[i + 1] = _mm512_maskz_unpackhi_ps(kAll, r[i], r[i + 1]);
#pragma GCC unroll 16
    for (int i = 0; i < N; i += 4) {
      const __m512d t0 = _mm512_castps_pd(t[i]), t1 = _mm512_castps_pd(t[i + 1]);
      const __m512d t2 = _mm512_castps_pd(t[i + 2]), t3 = _mm512_castps_pd(t[i + 3]);
      r[i] = _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(kAll8, t0, t2));
      r[i + 1] = _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(kAll8, t0, t2));
      r[i + 2] = _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(kAll8, t1, t3));
      r[i + 3] = _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(kAll8, t1, t3));
    }
  }

  static void run(const float* src, Index ss, float* dst, Index ds) {
    __m512 r[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * ss);
    columns_by_four(r);
    // Lane L of registers c, 4 + c, 8 + c, 12 + c gathered: row 4L + c of the result.
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      const __m512 even_lo = _mm512_maskz_shuffle_f32x4(kAll, r[c], r[4 + c], 0x88);
      const __m512 odd_lo = _mm512_maskz_shuffle_f32x4(kAll, r[c], r[4 + c], 0xDD);
      const __m512 even_hi = _mm512_maskz_shuffle_f32x4(kAll, r[8 + c], r[12 + c], 0x88);
      const __m512 odd_hi = _mm512_maskz_shuffle_f32x4(kAll, r[8 + c], r[12 + c], 0xDD);
      _mm512_storeu_ps(dst + c * ds, _mm512_maskz_shuffle_f32x4(kAll, even_lo, even_hi, 0x88));
      _mm512_storeu_ps(dst + (4 + c) * ds, _mm512_maskz_shuffle_f32x4(kAll, odd_lo, odd_hi, 0x88));
      _mm512_storeu_ps(dst + (8 + c) * ds, _mm512_maskz_shuffle_f32x4(kAll, even_lo, even_hi, 0xDD));
      _mm512_storeu_ps(dst + (12 + c) * ds, _mm512_maskz_shuffle_f32x4(kAll, odd_lo, odd_hi, 0xDD));
    }
  }

  // 8 rows × 16 columns into 16 consecutive columns of 8 (a packed op(A) panel, MR = 8): two
  // columns per store, 0.25 shuffles per element.
  static void run_8_rows(const float* src, Index ss, float* dst) {
    __m512 r[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) r[i] = _mm512_loadu_ps(src + i * ss);
    columns_by_four(r);
    // Columns 4L + c and 4L + c + 1 (c = 0, 2): lane L of registers c, 4 + c, c + 1, 5 + c.
#pragma GCC unroll 2
    for (int c = 0; c < 4; c += 2) {
      const __m512 low = _mm512_maskz_shuffle_f32x4(kAll, r[c], r[4 + c], 0x44);  // lanes 0, 1 of each
      const __m512 high = _mm512_maskz_shuffle_f32x4(kAll, r[c], r[4 + c], 0xEE);
      const __m512 next_low = _mm512_maskz_shuffle_f32x4(kAll, r[c + 1], r[5 + c], 0x44);
      const __m512 next_high = _mm512_maskz_shuffle_f32x4(kAll, r[c + 1], r[5 + c], 0xEE);
      _mm512_storeu_ps(dst + c * 8, _mm512_maskz_shuffle_f32x4(kAll, low, next_low, 0x88));
      _mm512_storeu_ps(dst + (4 + c) * 8, _mm512_maskz_shuffle_f32x4(kAll, low, next_low, 0xDD));
      _mm512_storeu_ps(dst + (8 + c) * 8, _mm512_maskz_shuffle_f32x4(kAll, high, next_high, 0x88));
      _mm512_storeu_ps(dst + (12 + c) * 8, _mm512_maskz_shuffle_f32x4(kAll, high, next_high, 0xDD));
    }
  }
};
#endif

// dst[c · ds + r] = src[r · ss + c] for r < rows, c < cols, in blocks of Block, and what is
// left over in element by element.
template <class T, class Block = TransposeBlock<T>>
void copy_transposed_by(const T* src, Index ss, Index rows, Index cols, T* dst, Index ds) {
  constexpr int TB = Block::TB;
  const Index rb = rows / TB * TB, cb = cols / TB * TB;
  for (Index r = 0; r < rb; r += TB)
    for (Index c = 0; c < cb; c += TB) Block::run(src + r * ss + c, ss, dst + c * ds + r, ds);
  for (Index r = 0; r < rows; ++r)
    for (Index c = r < rb ? cb : 0; c < cols; ++c) dst[c * ds + r] = src[r * ss + c];
}

// dst[c · ds + r] = src[r · ss + c] for r < rows, c < cols: wide blocks, then the strips
// they leave (right and below) in the narrower blocks.
template <class T>
void copy_transposed(const T* src, Index ss, Index rows, Index cols, T* dst, Index ds) {
  using Wide = WideTransposeBlock<T>;
  if constexpr (Wide::TB == TransposeBlock<T>::TB) {
    copy_transposed_by(src, ss, rows, cols, dst, ds);
  } else {
    constexpr int TB = Wide::TB;
    if (rows == 8 && ds == 8) {  // a panel of eight rows of op(A)
      const Index cb = cols / TB * TB;
      for (Index c = 0; c < cb; c += TB) Wide::run_8_rows(src + c, ss, dst + c * 8);
      return copy_transposed_by(src + cb, ss, rows, cols - cb, dst + cb * ds, ds);
    }
    const Index rb = rows / TB * TB, cb = cols / TB * TB;
    for (Index r = 0; r < rb; r += TB)
      for (Index c = 0; c < cb; c += TB) Wide::run(src + r * ss + c, ss, dst + c * ds + r, ds);
    copy_transposed_by(src + cb, ss, rb, cols - cb, dst + cb * ds, ds);
    copy_transposed_by(src + rb * ss, ss, rows - rb, cols, dst + rb, ds);
  }
}

// Packs `count` consecutive panels of an untransposed B (op(B) = B) from column j on: panel i
// at pb[i · kc · NR], its row kk at [kk · NR], zero-filled past `width_left` columns. Each row
// of B is read in runs of count · NR elements: its rows are usually 4 KiB apart (W of a
// 1024-wide layer) and one panel's rows overfill their cache sets, so packing panel by panel
// ran at half of memcpy speed; two at a time is most of the way there (W3 step -0.8%, W2
// -0.5%, paired runs).
template <class T, int NR>
void pack_b_panels(const T* b, Index ldb, Index k0, Index kc, Index j, Index width_left, Index count, T* pb) {
  const Index full = std::min(count, width_left / NR);
  for (Index kk = 0; kk < kc; ++kk) {
    const T* src = b + (k0 + kk) * ldb + j;
    for (Index i = 0; i < full; ++i)  // fixed-size copies: inlined as vector moves
      std::memcpy(pb + i * kc * NR + kk * NR, src + i * NR, sizeof(T) * NR);
  }
  if (full == count) return;
  const Index cols = width_left - full * NR;  // the last panel, narrower than NR
  for (Index kk = 0; kk < kc; ++kk) {
    const T* src = b + (k0 + kk) * ldb + j + full * NR;
    T* row = pb + full * kc * NR + kk * NR;
    for (Index jj = 0; jj < NR; ++jj) row[jj] = jj < cols ? src[jj] : T(0);
  }
}

// Packs op(B)[k0 + kk, j + jj] = B[j + jj, k0 + kk] of a transposed B, for kk < kc and
// jj < cols <= NR, into one panel (row kk at panel[kk · NR], zero-filled past cols), in
// register blocks.
template <class T, int NR>
void pack_bt_panel(const T* b, Index ldb, Index k0, Index kc, Index j, Index cols, T* panel) {
  // A narrow last panel is zeroed whole first: zeroing the tail of each row was a short
  // `rep stos` per row, half the time of an input gradient dZ·Wᵀ with p = 100.
  if (cols < NR) std::fill(panel, panel + kc * NR, T(0));
  copy_transposed(b + j * ldb + k0, ldb, cols, kc, panel, NR);
}

// Packs op(A)[i0 + ii, k0 + kk] for ii < rows, kk < kc into ceil(rows / MR) panels, panel
// p at panels[p · stride] with column kk at [kk · MR], zero-filled past `rows`. A transposed
// A is read a row of the stored A at a time, all the panels' columns of it at once: a tile's
// MR columns are half a cache line, and eight tiles' columns (four lines) per row read Xᵀ
// from L3 a third faster than tile by tile (W3's weight gradients).
template <class T, int MR>
void pack_a(bool ta, const T* a, Index lda, Index i0, Index rows, Index k0, Index kc, T* panels, Index stride) {
  const Index count = (rows + MR - 1) / MR, full = rows / MR;
  if (full < count) std::fill(panels + full * stride, panels + full * stride + kc * MR, T(0));  // whole, as in pack_bt_panel
  if (!ta) {
    for (Index p = 0; p < count; ++p)
      copy_transposed(a + (i0 + p * MR) * lda + k0, lda, std::min<Index>(MR, rows - p * MR), kc, panels + p * stride, MR);
    return;
  }
  for (Index kk = 0; kk < kc; ++kk) {
    const T* src = a + (k0 + kk) * lda + i0;
    for (Index p = 0; p < full; ++p) std::memcpy(panels + p * stride + kk * MR, src + p * MR, sizeof(T) * MR);
    for (Index ii = full * MR; ii < rows; ++ii) panels[full * stride + kk * MR + ii - full * MR] = src[ii];
  }
}

// How a tile's sum is combined with C: the first kc block applies alpha and beta (beta == 0
// never reads C), later blocks add alpha times their part.
template <class T>
struct Combine {
  T alpha;
  T beta;  // 1 after the first kc block
};

// The MR rows of op(A) one tile reads: packed (column kk at pa[kk · MR]) or straight from a
// row-major A.
template <class T, int MR>
struct PackedRows {
  const T* pa;
  PackedRows bind(Index) const { return *this; }
  T at(int i, Index kk) const { return pa[kk * MR + i]; }
};
// Straight from a row-major A: row i at a + i · lda. The kernel calls bind(rows) for the row
// pointers (rows past the edge repeat the last one, their sums unused), so that they are made
// in its registers. An array of pointers passed by value was built by GCC with one wide vector
// store and read back 8 bytes at a time, which store-to-load forwarding cannot serve: in
// profiles of dZ·W3ᵀ (k = 10, a tile every ~100 cycles) that store held most of the stalls.
template <class T, int MR>
struct DirectRows {
  const T* a;
  Index lda;
  struct Bound {
    static constexpr std::size_t kRows = MR;  // array bounds are size_t: see micro_kernel
    const T* row[kRows];
    T at(int i, Index kk) const { return row[i][kk]; }
    void prefetch(Index) const {}  // rows read along: the hardware prefetcher follows them
  };
  // Each pointer from the one before: computed independently, they are built in a vector
  // register and read back through memory again.
  Bound bind(Index rows) const {
    Bound b;
    const T* row = a;
    for (int i = 0; i < MR; ++i) {
      b.row[i] = row;
      if (i + 1 < rows) row += lda;
    }
    return b;
  }
};

// The kc × NR panel of op(B) one tile reads: packed (row kk at pb[kk · NR]) or straight from
// an untransposed B (row kk at b[kk · ldb]; only whole panels, which need no zero padding).
template <class T, int NR>
struct PackedPanel {
  const T* pb;
  const T* row(Index kk) const { return pb + kk * NR; }
};
template <class T>
struct DirectPanel {
  const T* b;
  Index ldb;
  const T* row(Index kk) const { return b + kk * ldb; }
};

// C[0..rows, 0..cols) (row stride ldc) combined with alpha·Ã·B̃ over kc, Ã the MR rows `a`
// and B̃ an NR panel. A full tile stores straight from the registers; an edge tile goes
// through a local tile so nothing outside C is touched.
template <class T, int MR, int NV, class Rows, class Panel>
inline void micro_kernel(Index kc, Rows rows_of_a, Panel panel, T* c, Index ldc, Index rows, Index cols,
                         Combine<T> how) {
  const auto a = rows_of_a.bind(rows);
  using S = typename SimdOf<T>::type;
  using R = typename S::R;
  constexpr int W = S::W;
  constexpr int NR = NV * W;
  // The tile of C is read (beta != 0) and written after the k loop: ask for it now, so that
  // its lines arrive while the FMAs run.
  for (Index i = 0; i < rows; ++i) {
    __builtin_prefetch(c + i * ldc, 1, 3);
    __builtin_prefetch(c + i * ldc + cols - 1, 1, 3);
  }
  // Array bounds as size_t: GCC's -Wsign-conversion warns about a template's int as a bound.
  constexpr std::size_t kRows = MR, kRegs = NV;
  // The fixed-trip loops are unrolled so that acc lives in registers.
  R acc[kRows][kRegs];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[i][v] = S::zero();
  for (Index kk = 0; kk < kc; ++kk) {
    // op(B) streams from L2: ask for its row 16 steps ahead (measured 1-2% on W3's products).
    constexpr int kAhead = 16, kLine = 64 / int(sizeof(T));
#pragma GCC unroll 8
    for (int x = 0; x < NR; x += kLine) __builtin_prefetch(panel.row(kk + kAhead) + x, 0, 3);
    const T* const b_row = panel.row(kk);
    R bv[kRegs];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) bv[v] = S::loadu(b_row + v * W);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const R av = S::set1(a.at(i, kk));
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] = S::fma(av, bv[v], acc[i][v]);
    }
  }
  const R alpha = S::set1(how.alpha), beta = S::set1(how.beta);
  const bool full = rows == MR && cols == NR;
  alignas(64) T edge[kRows * NR];
  T* out = full ? c : edge;
  const Index ldo = full ? ldc : NR;
  if (!full && how.beta != T(0))
    for (Index i = 0; i < rows; ++i)
      for (Index j = 0; j < cols; ++j) edge[i * NR + j] = c[i * ldc + j];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      T* o = out + i * ldo + v * W;
      R r = how.alpha == T(1) ? acc[i][v] : S::mul(alpha, acc[i][v]);
      if (how.beta == T(1))
        r = S::add(r, S::loadu(o));
      else if (how.beta != T(0))
        r = S::fma(beta, S::loadu(o), r);
      S::storeu(o, r);
    }
  if (!full)
    for (Index i = 0; i < rows; ++i)
      for (Index j = 0; j < cols; ++j) c[i * ldc + j] = edge[i * NR + j];
}

// When gemm_block reads whole panels of an untransposed B in place: rows of at most 2 KiB,
// and at most 32 rows of tiles to share each packed copy. A packed panel streams from L2 a
// little better (a 1000 × 128 × 128 product, 125 rows of tiles: 5% slower in place), but the
// copy is paid once for all rows of tiles: in place, 64 × 784 × 128 (W2's first layer) took
// 10% less time, 256 rows 2-3% less.
constexpr Index kDirectRowBytes = 2048, kDirectMaxTiles = 32;

// Rows a multiple of 1 KiB apart share cache sets and evict each other as a tile reads along
// them: such an operand is packed, not read in place.
inline bool rows_share_cache_sets(Index row_bytes) { return row_bytes % 1024 == 0; }

// Whether gemm_block reads the whole panels of op(B) in place (see kDirectRowBytes) for a
// product of m rows. Long rows put each row of a panel on its own page: those are packed, as
// are rows that share cache sets and a transposed B.
template <class T>
bool reads_b_in_place(bool tb, Index ldb, Index m) {
  const Index row_bytes = ldb * Index(sizeof(T)), tiles = (m + Blocking<T>::MR - 1) / Blocking<T>::MR;
  return !tb && row_bytes <= kDirectRowBytes && !rows_share_cache_sets(row_bytes) && tiles <= kDirectMaxTiles;
}

// C[m, n] (row stride ldc) = alpha · op(A) · op(B) + beta · C on one thread, with its own
// packing buffers; A and B have row strides lda and ldb. Each panel of op(B) is packed just
// before its first use, by the first row of tiles (an untransposed B two panels at a time),
// unless it is read in place (reads_b_in_place); the later rows of tiles read the block back
// from L2.
template <class T>
void gemm_block(bool ta, bool tb, Index m, Index k, Index n, T alpha, const T* a, Index lda, const T* b, Index ldb,
                T beta, T* c, Index ldc) {
  using B = Blocking<T>;
  constexpr int MR = B::MR, NR = B::NR;
  Buffer<T>& a_buf = thread_buffer<T, 0>();
  Buffer<T>& b_buf = thread_buffer<T, 1>();
  // A row-major op(A) is read in place unless its rows share cache sets: then packing is cheaper.
  const bool direct_a = !ta && !rows_share_cache_sets(lda * Index(sizeof(T)));
  const bool direct_b = reads_b_in_place<T>(tb, ldb, m);
  // Equal k blocks (f32, k = 1100: 2 × 550, not 1024 + 76): a short last block would pay a whole
  // pass over C for little work.
  const Index kblocks = (k + B::KC - 1) / B::KC, kc_even = (k + kblocks - 1) / kblocks;
  const Index tiles = (m + MR - 1) / MR;
  // With more than one block of op(B) columns, a packed op(A) of up to 1 MiB is packed whole
  // in the first block and read back in the others, not packed again for each: W3's weight
  // gradients (op(A) = Xᵀ, 4 KiB-strided columns) took 3% less time.
  const Index nc_block = b_block_columns<T>(kc_even);
  const bool keep_a = !direct_a && n > nc_block && tiles * MR * k * Index(sizeof(T)) <= (Index(1) << 20);
  T* const pa_all = keep_a ? a_buf.reserve(kblocks * tiles * MR * kc_even) : nullptr;
  // A transposed A is packed eight tiles at a time (see pack_a); a row-major one tile at a
  // time, so that the panel stays in L1 for the tile's products.
  const Index kTilesAtOnce = ta ? 8 : 1;
  for (Index j0 = 0; j0 < n; j0 += nc_block) {
    const Index nc = std::min(nc_block, n - j0), panels = (nc + NR - 1) / NR;
    for (Index k0 = 0; k0 < k; k0 += kc_even) {
      const Index kc = std::min(kc_even, k - k0);
      T* pb = b_buf.reserve(panels * NR * kc);
      T* const pa_group = direct_a || keep_a ? nullptr : a_buf.reserve(kTilesAtOnce * MR * kc);
      T* pa = pa_group;
      const Combine<T> how{alpha, k0 == 0 ? beta : T(1)};
      for (Index t = 0; t < tiles; ++t) {
        const Index ir = t * MR, rows = std::min<Index>(MR, m - ir);
        // Tiles packed together start at multiples of kTilesAtOnce.
        const Index group = t % kTilesAtOnce == 0 ? std::min(m - ir, kTilesAtOnce * MR) : 0;
        if (keep_a) {
          pa = pa_all + ((k0 / kc_even) * tiles + t) * MR * kc_even;
          if (j0 == 0 && group > 0) pack_a<T, MR>(ta, a, lda, ir, group, k0, kc, pa, MR * kc_even);
        } else if (!direct_a) {
          pa = pa_group + t % kTilesAtOnce * MR * kc;
          if (group > 0) pack_a<T, MR>(ta, a, lda, ir, group, k0, kc, pa, MR * kc);
        }
        // One tile of C from this row of tiles' op(A) (in place or packed) and a panel of op(B).
        const auto tile = [&](auto panel, T* ct, Index cols) {
          if (direct_a)
            micro_kernel<T, MR, B::NV>(kc, DirectRows<T, MR>{a + ir * lda + k0, lda}, panel, ct, ldc, rows, cols, how);
          else
            micro_kernel<T, MR, B::NV>(kc, PackedRows<T, MR>{pa}, panel, ct, ldc, rows, cols, how);
        };
        for (Index q = 0; q < panels; ++q) {
          const Index jr = q * NR, cols = std::min<Index>(NR, nc - jr);
          T* ct = c + ir * ldc + j0 + jr;
          if (direct_b && cols == NR) {
            tile(DirectPanel<T>{b + k0 * ldb + j0 + jr, ldb}, ct, cols);
            continue;
          }
          constexpr Index kPanelsAtOnce = 2;
          T* panel = pb + q * kc * NR;
          if (t == 0 && tb) pack_bt_panel<T, NR>(b, ldb, k0, kc, j0 + jr, cols, panel);
          // Read in place, B still packs its narrow last panel (whatever q's parity).
          if (t == 0 && !tb && (direct_b || q % kPanelsAtOnce == 0))
            pack_b_panels<T, NR>(b, ldb, k0, kc, j0 + jr, nc - jr, std::min(kPanelsAtOnce, panels - q), panel);
          tile(PackedPanel<T, NR>{panel}, ct, cols);
        }
      }
    }
  }
}

// C[m, n] from gemm_block on the pool's threads: bands of whole register tiles, of rows when
// C has more rows than columns, else of columns; each thread packs all of the operand that is
// not split, and that is then the smaller one. Below two tiles per thread, or for a small
// product, a split costs more than it saves.
template <class T>
void gemm_split(bool ta, bool tb, Index m, Index k, Index n, T alpha, const T* a, Index lda, const T* b, Index ldb,
                T beta, T* c, Index ldc) {
  threads_detail::Pool& pool = threads_detail::Pool::instance();
  const bool by_rows = m > n;
  const Index tile = by_rows ? Blocking<T>::MR : Blocking<T>::NR, extent = by_rows ? m : n;
  const Index tiles = (extent + tile - 1) / tile;
  const int parts = static_cast<int>(std::min<Index>(pool.threads(), std::max<Index>(1, tiles / 2)));
  if (parts <= 1 || m * k * n < (Index(1) << 18))
    return gemm_block(ta, tb, m, k, n, alpha, a, lda, b, ldb, beta, c, ldc);
  pool.run(parts, [&](int t) {
    const Index lo = tiles * t / parts * tile, hi = std::min(extent, tiles * (t + 1) / parts * tile);
    if (by_rows)
      gemm_block(ta, tb, hi - lo, k, n, alpha, ta ? a + lo : a + lo * lda, lda, b, ldb, beta, c + lo * ldc, ldc);
    else
      gemm_block(ta, tb, m, k, hi - lo, alpha, a, lda, tb ? b + lo * ldb : b + lo, ldb, beta, c + lo, ldc);
  });
}

// A narrow C (p <= 2·W columns, such as 10 or 20 classes): NV = 1 or 2 registers span a row
// of C, so a tile is rows × NV registers, op(A) is read in place (each element once) and only
// the last register of a row can hold padding. op(B) is packed k block by k block into rows
// of NV·W (zero past p) that stay in L1. With one register, an untransposed A gives MR rows
// from MR separate rows of memory, summed in two chains (even and odd k) to cover FMA latency,
// and a transposed one 2·MR consecutive elements per k, one cache line in one chain; with two
// registers, both give MR rows in one chain (MR · 2 sums).
template <class T>
struct Narrow {
  using S = typename SimdOf<T>::type;
  static constexpr int W = S::W;
  static constexpr int MR = std::is_same_v<S, Scalar4<T>> || sizeof(typename S::R) != 64 ? 4 : 8;
  template <int NV>
  static constexpr Index KC = 16384 / (NV * W * Index(sizeof(T)));  // a 16 KiB block of packed op(B)
  template <int NV>
  static constexpr int rows(bool ta) { return NV == 1 && ta ? 2 * MR : MR; }
  // Lanes of register v (0 or 1) of a row of p columns: W, fewer in the last, 0 past it.
  static int lanes(Index p, int v) { return static_cast<int>(std::clamp<Index>(p - v * W, 0, W)); }
};

// op(A)[i0 + r, k0 + kk] of a transposed A: column i0 + r of the stored A. Past the last
// row of C (an edge tile) the last column is repeated, its sums unused. A tile reads one
// line of each row of the stored A, rows usually 4 KiB apart, which no hardware prefetcher
// follows: the line 8 rows ahead is asked for (W3's h2ᵀ·dZ3, 1024 × 256 × 10: 150 → 90 us).
constexpr Index kColumnsAhead = 8;
template <class T>
struct ColumnsOfA {
  const T* at0;  // &A[k0][i0]
  Index lda, last;
  ColumnsOfA bind(Index) const { return *this; }
  T at(int r, Index kk) const { return at0[kk * lda + std::min<Index>(r, last)]; }
  void prefetch(Index kk) const { __builtin_prefetch(at0 + (kk + kColumnsAhead) * lda, 0, 3); }
};
template <class T>
struct FullColumnsOfA {
  const T* at0;
  Index lda;
  FullColumnsOfA bind(Index) const { return *this; }
  T at(int r, Index kk) const { return at0[kk * lda + r]; }
  void prefetch(Index kk) const { __builtin_prefetch(at0 + (kk + kColumnsAhead) * lda, 0, 3); }
};

// One tile of a narrow C: MR rows of op(A) (an accessor: DirectRows or ColumnsOfA) times the
// packed op(B) block pb (rows of NV·W), combined into rows of C in CH independent chains over k.
template <class T, int MR, int CH, int NV, class Rows>
void narrow_tile(Rows rows_of_a, Index rows, Index kc, const T* pb, T alpha, T beta, T* c, Index ldc, Index p) {
  const auto a = rows_of_a.bind(rows);
  using S = typename Narrow<T>::S;
  using R = typename S::R;
  constexpr int W = Narrow<T>::W, WP = NV * W;
  constexpr std::size_t kRows = MR, kSums = CH * NV, kRegs = NV;  // size_t bounds: see micro_kernel
  R acc[kRows][kSums];
#pragma GCC unroll 32
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int h = 0; h < CH * NV; ++h) acc[r][h] = S::zero();
  Index kk = 0;
  for (; kk + CH <= kc; kk += CH) {
    a.prefetch(kk);
#pragma GCC unroll 2
    for (int h = 0; h < CH; ++h) {
      R bv[kRegs];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) bv[v] = S::load(pb + (kk + h) * WP + v * W);
#pragma GCC unroll 32
      for (int r = 0; r < MR; ++r) {
        const R av = S::set1(a.at(r, kk + h));
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[r][h * NV + v] = S::fma(av, bv[v], acc[r][h * NV + v]);
      }
    }
  }
  for (; kk < kc; ++kk) {  // CH == 2 and kc odd: the last k
    const R bv = S::load(pb + kk * WP);
#pragma GCC unroll 32
    for (int r = 0; r < MR; ++r) acc[r][0] = S::fma(S::set1(a.at(r, kk)), bv, acc[r][0]);
  }
  for (Index r = 0; r < rows; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      const int n = Narrow<T>::lanes(p, v);
      R sum = acc[r][v];
      if constexpr (CH == 2) sum = S::add(sum, acc[r][NV + v]);
      if (alpha != T(1)) sum = S::mul(S::set1(alpha), sum);
      T* out = c + r * ldc + v * W;
      if (beta == T(1))
        sum = S::add(sum, S::load_first(out, n));
      else if (beta != T(0))
        sum = S::fma(S::set1(beta), S::load_first(out, n), sum);
      S::store_first(out, sum, n);
    }
}

// Rows [0, m) of a narrow C on one thread (see Narrow).
template <class T, int NV>
void narrow_block(bool ta, bool tb, Index m, Index k, Index p, T alpha, const T* a, Index lda, const T* b, Index ldb,
                  T beta, T* c, Index ldc) {
  using N = Narrow<T>;
  using S = typename N::S;
  constexpr int W = N::W, WP = NV * W, MR = N::MR, MRT = N::template rows<NV>(true);
  constexpr Index KC = N::template KC<NV>;
  Buffer<T>& b_buf = thread_buffer<T, 2>();
  for (Index k0 = 0; k0 < k; k0 += KC) {
    const Index kc = std::min(KC, k - k0);
    T* pb = b_buf.reserve(kc * WP);
    if (!tb) {
      for (Index kk = 0; kk < kc; ++kk)
        for (int v = 0; v < NV; ++v)
          S::storeu(pb + kk * WP + v * W, S::load_first(b + (k0 + kk) * ldb + v * W, N::lanes(p, v)));
    } else {
      std::fill(pb, pb + kc * WP, T(0));
      for (Index j = 0; j < p; ++j)
        for (Index kk = 0; kk < kc; ++kk) pb[kk * WP + j] = b[j * ldb + k0 + kk];
    }
    const T beta_k = k0 == 0 ? beta : T(1);
    constexpr int CH = NV == 1 ? 2 : 1;
    const Index rows = N::template rows<NV>(ta);
    for (Index i0 = 0; i0 < m; i0 += rows) {
      const Index n_rows = std::min(rows, m - i0);
      T* ct = c + i0 * ldc;
      if (!ta)
        narrow_tile<T, MR, CH, NV>(DirectRows<T, MR>{a + i0 * lda + k0, lda}, n_rows, kc, pb, alpha, beta_k, ct, ldc, p);
      else if (n_rows == MRT)
        narrow_tile<T, MRT, 1, NV>(FullColumnsOfA<T>{a + k0 * lda + i0, lda}, n_rows, kc, pb, alpha, beta_k, ct, ldc, p);
      else
        narrow_tile<T, MRT, 1, NV>(ColumnsOfA<T>{a + k0 * lda + i0, lda, n_rows - 1}, n_rows, kc, pb, alpha, beta_k, ct,
                                   ldc, p);
    }
  }
}

// A narrow C on the pool's threads, in bands of whole tiles of rows, when the product is
// large enough to be worth a split.
template <class T, int NV>
void narrow_split(bool ta, bool tb, Index m, Index k, Index p, T alpha, const T* a, Index lda, const T* b, Index ldb,
                  T beta, T* c, Index ldc) {
  threads_detail::Pool& pool = threads_detail::Pool::instance();
  const Index tile = Narrow<T>::template rows<NV>(true), tiles = (m + tile - 1) / tile;
  const int parts = static_cast<int>(std::min<Index>(pool.threads(), std::max<Index>(1, tiles / 2)));
  if (parts <= 1 || m * k * p < (Index(1) << 18))
    return narrow_block<T, NV>(ta, tb, m, k, p, alpha, a, lda, b, ldb, beta, c, ldc);
  pool.run(parts, [&](int t) {
    const Index lo = tiles * t / parts * tile, hi = std::min(m, tiles * (t + 1) / parts * tile);
    narrow_block<T, NV>(ta, tb, hi - lo, k, p, alpha, ta ? a + lo : a + lo * lda, lda, b, ldb, beta, c + lo * ldc, ldc);
  });
}

// c[0 .. n) = beta · c (beta == 0 never reads C).
template <class T>
void scale_by_beta(T* c, Index n, T beta) {
  if (beta == T(0))
    std::fill(c, c + n, T(0));
  else if (beta != T(1))
    for (Index i = 0; i < n; ++i) c[i] *= beta;
}

// A C of a few rows (one sample's forward or input gradient, or the weight gradient of a layer
// of up to 3 inputs), or a product over k <= 2 (one sample's weight gradient, an outer
// product): row by row, without packing or register tiles, which would be mostly padding and
// cost more than the product (4-21x OpenBLAS at m = 1). Untransposed B: each row of C gathers
// alpha·a(i, kk)·B[kk, :] along contiguous rows of B; transposed B: each element is a dot
// product of contiguous rows of op(A) and the stored B. Both sum k in blocks of kSumBlock terms,
// as the blocked kernels do: a weight gradient over a batch of 100000 rows, summed in one float
// chain, lost 3 digits.
constexpr Index kSumBlock = 256;

template <class T>
void row_by_row(bool ta, bool tb, Index m, Index k, Index p, T alpha, const T* a, Index lda, const T* b, Index ldb,
                T beta, T* c, Index ldc) {
  using S = typename SimdOf<T>::type;
  constexpr int W = S::W;
  auto a_at = [&](Index i, Index kk) { return ta ? a[kk * lda + i] : a[i * lda + kk]; };
  // out[0, p) += alpha · Σ_{kk in [k0, k1)} a(i, kk) · B[kk, :]
  auto gather = [&](Index i, Index k0, Index k1, T* out) {
    for (Index kk = k0; kk < k1; ++kk) {
      const typename S::R s = S::set1(alpha * a_at(i, kk));
      const T* bk = b + kk * ldb;
      Index j = 0;
      for (; j + W <= p; j += W) S::storeu(out + j, S::fma(s, S::loadu(bk + j), S::loadu(out + j)));
      if (j < p) {
        const int n = static_cast<int>(p - j);
        S::store_first(out + j, S::fma(s, S::load_first(bk + j, n), S::load_first(out + j, n)), n);
      }
    }
  };
  for (Index i = 0; i < m; ++i) {
    T* ci = c + i * ldc;
    if (!tb) {
      scale_by_beta(ci, p, beta);
      if (k <= kSumBlock) {
        gather(i, 0, k, ci);
        continue;
      }
      T* part = thread_buffer<T, 3>().reserve(p);
      for (Index k0 = 0; k0 < k; k0 += kSumBlock) {
        std::fill(part, part + p, T(0));
        gather(i, k0, std::min(k, k0 + kSumBlock), part);
        for (Index j = 0; j < p; ++j) ci[j] += part[j];
      }
      continue;
    }
    for (Index j = 0; j < p; ++j) {
      const T* bj = b + j * ldb;
      Accum<T> total = 0;
      for (Index k0 = 0; k0 < k; k0 += kSumBlock) {
        const Index k1 = std::min(k, k0 + kSumBlock);
        typename S::R acc[4] = {S::zero(), S::zero(), S::zero(), S::zero()};  // 4 chains: FMA latency
        Index kk = k0;
        if (!ta) {
          for (; kk + 4 * W <= k1; kk += 4 * W)
            for (int h = 0; h < 4; ++h)
              acc[h] = S::fma(S::loadu(a + i * lda + kk + h * W), S::loadu(bj + kk + h * W), acc[h]);
          for (; kk + W <= k1; kk += W) acc[0] = S::fma(S::loadu(a + i * lda + kk), S::loadu(bj + kk), acc[0]);
        }
        T sum = S::sum(S::add(S::add(acc[0], acc[1]), S::add(acc[2], acc[3])));
        for (; kk < k1; ++kk) sum += a_at(i, kk) * bj[kk];
        total += static_cast<Accum<T>>(sum);
      }
      ci[j] = alpha * static_cast<T>(total) + (beta == T(0) ? T(0) : beta * ci[j]);
    }
  }
}

template <class T>
void gemm(bool ta, bool tb, Index m, Index k, Index p, T alpha, const T* a, const T* b, T beta, T* c) {
  if (m <= 0 || p <= 0) return;
  if (k <= 0) return scale_by_beta(c, m * p, beta);  // an empty sum
  const Index lda = ta ? m : k, ldb = tb ? k : p;
  constexpr Index kFewRows = 3, kFewSums = 2;
  if (m <= kFewRows || (k <= kFewSums && !tb)) return row_by_row(ta, tb, m, k, p, alpha, a, lda, b, ldb, beta, c, p);
  if (p <= Narrow<T>::W) return narrow_split<T, 1>(ta, tb, m, k, p, alpha, a, lda, b, ldb, beta, c, p);
  if (p <= 2 * Narrow<T>::W) return narrow_split<T, 2>(ta, tb, m, k, p, alpha, a, lda, b, ldb, beta, c, p);
  gemm_split(ta, tb, m, k, p, alpha, a, lda, b, ldb, beta, c, p);
}

}  // namespace gemm_detail

/// C[m, p] = alpha · op(A) · op(B) + beta·C, op(A) [m, k] (A stored [k, m] when ta), op(B)
/// [k, p] (B stored [p, k] when tb).
inline void gemm(bool ta, bool tb, std::int64_t m, std::int64_t k, std::int64_t p, float alpha, const float* a,
                 const float* b, float beta, float* c) {
  gemm_detail::gemm<float>(ta, tb, m, k, p, alpha, a, b, beta, c);
}
inline void gemm(bool ta, bool tb, std::int64_t m, std::int64_t k, std::int64_t p, double alpha, const double* a,
                 const double* b, double beta, double* c) {
  gemm_detail::gemm<double>(ta, tb, m, k, p, alpha, a, b, beta, c);
}

}  // namespace GG_ISA
}  // namespace gg
