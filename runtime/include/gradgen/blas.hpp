// Matrix products through CBLAS for generated code built with `gradgen generate --blas`
// (link a CBLAS such as OpenBLAS: -lopenblas, or CMake's BLAS::BLAS). Row-major; a transposed
// operand is passed as a transpose flag, never copied.
#pragma once

#include <cblas.h>

#include <cstdint>

namespace gg {
// Its own inline namespace: a program may link networks generated with and without --blas,
// whose gg::gemm(...) calls must stay gradgen/gemm.hpp's and this one's respectively.
inline namespace cblas {

/// C[m, p] = op(A) · op(B) + beta·C, op(A) [m, k] (A stored [k, m] when ta), op(B) [k, p]
/// (B stored [p, k] when tb).
inline void gemm(bool ta, bool tb, std::int64_t m, std::int64_t k, std::int64_t p, float alpha, const float* a,
                 const float* b, float beta, float* c) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(p), static_cast<int>(k), alpha, a, static_cast<int>(ta ? m : k), b,
              static_cast<int>(tb ? k : p), beta, c, static_cast<int>(p));
}

inline void gemm(bool ta, bool tb, std::int64_t m, std::int64_t k, std::int64_t p, double alpha, const double* a,
                 const double* b, double beta, double* c) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(p), static_cast<int>(k), alpha, a, static_cast<int>(ta ? m : k), b,
              static_cast<int>(tb ? k : p), beta, c, static_cast<int>(p));
}

}  // namespace cblas
}  // namespace gg
