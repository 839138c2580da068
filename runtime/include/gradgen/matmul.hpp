// Matrix products for generated code. Transposed operands are read through their indexing
// (nt: b stored [p, k]; tn: a stored [k, m]), never copied. Each result element is handed to
// an epilogue `epi(i, j, acc)`, so bias, activation and the store fuse into the product loop.
#pragma once

#include <cstdint>

namespace gg {

/// C[m, p] = A[m, k] · B[k, p].
template <class T, class Epi>
inline void matmul_nn(const T* a, const T* b, std::int64_t m, std::int64_t k, std::int64_t p, Epi&& epi) {
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < p; ++j) {
      T acc = T(0);
      for (std::int64_t t = 0; t < k; ++t) acc += a[i * k + t] * b[t * p + j];
      epi(i, j, acc);
    }
}

/// C[m, p] = A[m, k] · Bᵀ with B stored [p, k].
template <class T, class Epi>
inline void matmul_nt(const T* a, const T* b, std::int64_t m, std::int64_t k, std::int64_t p, Epi&& epi) {
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < p; ++j) {
      T acc = T(0);
      for (std::int64_t t = 0; t < k; ++t) acc += a[i * k + t] * b[j * k + t];
      epi(i, j, acc);
    }
}

/// C[m, p] = Aᵀ · B[k, p] with A stored [k, m].
template <class T, class Epi>
inline void matmul_tn(const T* a, const T* b, std::int64_t m, std::int64_t k, std::int64_t p, Epi&& epi) {
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < p; ++j) {
      T acc = T(0);
      for (std::int64_t t = 0; t < k; ++t) acc += a[t * m + i] * b[t * p + j];
      epi(i, j, acc);
    }
}

/// C[m, p] = Aᵀ · Bᵀ with A stored [k, m] and B stored [p, k].
template <class T, class Epi>
inline void matmul_tt(const T* a, const T* b, std::int64_t m, std::int64_t k, std::int64_t p, Epi&& epi) {
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < p; ++j) {
      T acc = T(0);
      for (std::int64_t t = 0; t < k; ++t) acc += a[t * m + i] * b[j * k + t];
      epi(i, j, acc);
    }
}

}  // namespace gg
