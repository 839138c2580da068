// Reductions along one line of a tensor for generated code; elements are read through a
// functor `x(k)` so the expression producing them fuses into the reduction loop.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace gg {

/// log Σ_k exp(x(k)) for k < len, shifted by the line maximum so it cannot overflow.
template <class T, class X>
inline T logsumexp(std::int64_t len, X&& x) {
  T m = -std::numeric_limits<T>::infinity();
  for (std::int64_t k = 0; k < len; ++k) {
    const T v = x(k);
    if (v > m) m = v;
  }
  if (std::isinf(m)) return m;
  T s = T(0);
  for (std::int64_t k = 0; k < len; ++k) s += std::exp(x(k) - m);
  return m + std::log(s);
}

/// logsumexp of x(k), k < len, as above; also writes softmax(x) to out[0, len): each
/// exp(x(k) - max) is computed once and divided by the row's sum.
template <class T, class X>
inline T logsumexp_softmax(std::int64_t len, X&& x, T* out) {
  T m = -std::numeric_limits<T>::infinity();
  for (std::int64_t k = 0; k < len; ++k) {
    const T v = x(k);
    if (v > m) m = v;
  }
  if (std::isinf(m)) {  // as exp(x - logsumexp(x)) gives it
    for (std::int64_t k = 0; k < len; ++k) out[k] = std::exp(x(k) - m);
    return m;
  }
  T s = T(0);
  for (std::int64_t k = 0; k < len; ++k) {
    const T e = std::exp(x(k) - m);
    out[k] = e;
    s += e;
  }
  for (std::int64_t k = 0; k < len; ++k) out[k] = out[k] / s;
  return m + std::log(s);
}

/// log(p) clamped at -100, as PyTorch's BCELoss does, so p = 0 gives a finite loss.
template <class T>
inline T clamped_log(T p) {
  const T l = std::log(p);
  return l > T(-100) ? l : T(-100);
}

}  // namespace gg
