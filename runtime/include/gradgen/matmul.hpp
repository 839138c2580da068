// Matrix products for generated code. Transposed operands are read through their indexing
// (nt: b stored [p, k]; tn: a stored [k, m]), never copied. Each result element is handed to
// an epilogue `epi(i, j, acc)`, so bias, activation and the store fuse into the product loop.
// nn and tn accumulate a block of up to kBlock columns of one row at a time (the innermost loop
// runs along contiguous columns of b, so it vectorises); every element still sums over k in
// order, as the interpreter does, in chunks of kChunk terms whose sums are added up in Accum<T>
// (double for float): a float running sum of k same-sign products loses ~k·2⁻²⁴ of itself
// (1e-5 at k = 70000, a weight gradient over a large batch), a chunk's at most kChunk·2⁻²⁴.
// Up to kChunk terms the result is the plain running sum, bit for bit.
#pragma once

#include <cstdint>

#include "isa.hpp"
#include "reduce.hpp"

namespace gg {
inline namespace GG_ISA {

namespace detail {
constexpr std::int64_t kBlock = 64;
constexpr std::int64_t kChunk = 256;

// The end of the chunk of k that starts at t0.
inline std::int64_t chunk_end(std::int64_t t0, std::int64_t k) { return k - t0 < kChunk ? k : t0 + kChunk; }

// Row i of C for columns [j0, j0 + jn): acc[jj] = Σ_t a(t) · b[t * p + j0 + jj].
template <class T, class A, class Epi>
inline void row_block(A&& a, const T* b, std::int64_t i, std::int64_t j0, std::int64_t jn, std::int64_t k,
                      std::int64_t p, Epi& epi) {
  T acc[kBlock];
  Accum<T> total[kBlock];
  for (std::int64_t jj = 0; jj < jn; ++jj) total[jj] = Accum<T>(0);
  for (std::int64_t t0 = 0; t0 < k; t0 += kChunk) {
    for (std::int64_t jj = 0; jj < jn; ++jj) acc[jj] = T(0);
    for (std::int64_t t = t0, t1 = chunk_end(t0, k); t < t1; ++t) {
      const T av = a(t);
      const T* br = b + t * p + j0;
      for (std::int64_t jj = 0; jj < jn; ++jj) acc[jj] += av * br[jj];
    }
    for (std::int64_t jj = 0; jj < jn; ++jj) total[jj] += static_cast<Accum<T>>(acc[jj]);
  }
  for (std::int64_t jj = 0; jj < jn; ++jj) epi(i, j0 + jj, static_cast<T>(total[jj]));
}

// Σ_t x(t) over t < k, in chunks as above.
template <class T, class X>
inline T chunked_sum(std::int64_t k, X&& x) {
  Accum<T> total = 0;
  for (std::int64_t t0 = 0; t0 < k; t0 += kChunk) {
    T acc = T(0);
    for (std::int64_t t = t0, t1 = chunk_end(t0, k); t < t1; ++t) acc += x(t);
    total += static_cast<Accum<T>>(acc);
  }
  return static_cast<T>(total);
}
}  // namespace detail

/// C[m, p] = A[m, k] · B[k, p].
template <class T, class Epi>
inline void matmul_nn(const T* a, const T* b, std::int64_t m, std::int64_t k, std::int64_t p, Epi&& epi) {
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j0 = 0; j0 < p; j0 += detail::kBlock)
      detail::row_block<T>([&](std::int64_t t) { return a[i * k + t]; }, b, i, j0,
                           p - j0 < detail::kBlock ? p - j0 : detail::kBlock, k, p, epi);
}

/// C[m, p] = A[m, k] · Bᵀ with B stored [p, k]. Four columns at a time (independent sums for
/// instruction-level parallelism; each still sums over k in order, in chunks).
template <class T, class Epi>
inline void matmul_nt(const T* a, const T* b, std::int64_t m, std::int64_t k, std::int64_t p, Epi&& epi) {
  const std::int64_t p4 = p - p % 4;
  for (std::int64_t i = 0; i < m; ++i) {
    const T* ar = a + i * k;
    for (std::int64_t j = 0; j < p4; j += 4) {
      const T* b0 = b + j * k;
      Accum<T> s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (std::int64_t t0 = 0; t0 < k; t0 += detail::kChunk) {
        T c0 = T(0), c1 = T(0), c2 = T(0), c3 = T(0);
        for (std::int64_t t = t0, t1 = detail::chunk_end(t0, k); t < t1; ++t) {
          const T av = ar[t];
          c0 += av * b0[t];
          c1 += av * b0[k + t];
          c2 += av * b0[2 * k + t];
          c3 += av * b0[3 * k + t];
        }
        s0 += static_cast<Accum<T>>(c0);
        s1 += static_cast<Accum<T>>(c1);
        s2 += static_cast<Accum<T>>(c2);
        s3 += static_cast<Accum<T>>(c3);
      }
      epi(i, j, static_cast<T>(s0));
      epi(i, j + 1, static_cast<T>(s1));
      epi(i, j + 2, static_cast<T>(s2));
      epi(i, j + 3, static_cast<T>(s3));
    }
    for (std::int64_t j = p4; j < p; ++j) {
      const T* br = b + j * k;
      epi(i, j, detail::chunked_sum<T>(k, [&](std::int64_t t) { return ar[t] * br[t]; }));
    }
  }
}

/// C[m, p] = Aᵀ · B[k, p] with A stored [k, m].
template <class T, class Epi>
inline void matmul_tn(const T* a, const T* b, std::int64_t m, std::int64_t k, std::int64_t p, Epi&& epi) {
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j0 = 0; j0 < p; j0 += detail::kBlock)
      detail::row_block<T>([&](std::int64_t t) { return a[t * m + i]; }, b, i, j0,
                           p - j0 < detail::kBlock ? p - j0 : detail::kBlock, k, p, epi);
}

/// C[m, p] = Aᵀ · Bᵀ with A stored [k, m] and B stored [p, k].
template <class T, class Epi>
inline void matmul_tt(const T* a, const T* b, std::int64_t m, std::int64_t k, std::int64_t p, Epi&& epi) {
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < p; ++j)
      epi(i, j, detail::chunked_sum<T>(k, [&](std::int64_t t) { return a[t * m + i] * b[j * k + t]; }));
}

}  // namespace GG_ISA
}  // namespace gg
