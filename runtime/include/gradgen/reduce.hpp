// Reductions along one line of a tensor for generated code; elements are read through a
// functor `x(k)` so the expression producing them fuses into the reduction loop.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "isa.hpp"

namespace gg {
inline namespace GG_ISA {

/// The type a sum of many T is added up in: double for float (a float running sum over
/// millions of terms keeps about 3 of its digits), T itself otherwise.
template <class T>
using Accum = std::conditional_t<(sizeof(T) < sizeof(double)), double, T>;

/// A term of such a sum, widened to its type in so many words (quiet under -Wdouble-promotion).
template <class T>
constexpr Accum<T> widen(T x) {
  return static_cast<Accum<T>>(x);
}

/// A line's log Σ_k exp(x(k)) kept in two parts, max + log Σ_k exp(x(k) − max), so that
/// x − lse rounds once, relative to the result: (x − max) − log_sum. Summed first, at logits
/// near 1000 the f32 sum would carry an ulp of 6e-5 into every log_softmax and softmax value.
template <class T>
struct Lse {
  T max;
  T log_sum;
};

/// log_softmax's x − logsumexp, as above (not a plain T: lse is never rounded to one).
template <class T>
inline T operator-(T x, Lse<T> lse) {
  return (x - lse.max) - lse.log_sum;
}

/// The largest x(k), k < len (−inf when len is 0).
template <class T, class X>
inline T line_max(std::int64_t len, X&& x) {
  T m = -std::numeric_limits<T>::infinity();
  for (std::int64_t k = 0; k < len; ++k) {
    const T v = x(k);
    if (v > m) m = v;
  }
  return m;
}

/// logsumexp of x(k) for k < len, shifted by the line maximum so it cannot overflow. An
/// infinite maximum is returned whole (log_sum 0), as exp(x − max) would give NaN.
template <class T, class X>
inline Lse<T> logsumexp(std::int64_t len, X&& x) {
  const T m = line_max<T>(len, x);
  if (std::isinf(m)) return {m, T(0)};
  T s = T(0);
  for (std::int64_t k = 0; k < len; ++k) s += std::exp(x(k) - m);
  return {m, std::log(s)};
}

/// logsumexp of x(k), k < len, as above; also writes softmax(x) to out[0, len): each
/// exp(x(k) − max) is computed once and divided by the row's sum.
template <class T, class X>
inline Lse<T> logsumexp_softmax(std::int64_t len, X&& x, T* out) {
  const T m = line_max<T>(len, x);
  if (std::isinf(m)) {  // as exp(x − logsumexp(x)) gives it
    for (std::int64_t k = 0; k < len; ++k) out[k] = std::exp(x(k) - m);
    return {m, T(0)};
  }
  T s = T(0);
  for (std::int64_t k = 0; k < len; ++k) {
    const T e = std::exp(x(k) - m);
    out[k] = e;
    s += e;
  }
  for (std::int64_t k = 0; k < len; ++k) out[k] = out[k] / s;
  return {m, std::log(s)};
}

/// log(p) clamped at -100, as PyTorch's BCELoss does, so p = 0 gives a finite loss; a NaN p
/// stays NaN (as torch.clamp keeps it), not a made-up -100.
template <class T>
inline T clamped_log(T p) {
  const T l = std::log(p);
  return l < T(-100) ? T(-100) : l;
}

}  // namespace GG_ISA
}  // namespace gg
