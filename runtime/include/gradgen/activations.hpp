// Scalar elementwise functions called by generated code (the op table's `emit` texts name
// them): numerically stable where it matters, kink conventions as in PyTorch.
#pragma once

#include <cmath>

namespace gg {

/// 1/(1 + e^-x), written so that e^|x| never overflows.
template <class T>
inline T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}
template <class T>
inline T tanh(T x) { return std::tanh(x); }
template <class T>
inline T relu(T x) { return x > T(0) ? x : T(0); }
template <class T, class A>
inline T leaky_relu(T x, A alpha) { return x > T(0) ? x : static_cast<T>(alpha) * x; }
/// log(1 + e^x) = max(x, 0) + log1p(e^-|x|): finite for any x.
template <class T>
inline T softplus(T x) { return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::fabs(x))); }
template <class T>
inline T exp(T x) { return std::exp(x); }
template <class T>
inline T log(T x) { return std::log(x); }
template <class T>
inline T sqrt(T x) { return std::sqrt(x); }
template <class T>
inline T square(T x) { return x * x; }
template <class T>
inline T abs(T x) { return std::fabs(x); }
template <class T>
inline T sin(T x) { return std::sin(x); }
template <class T>
inline T cos(T x) { return std::cos(x); }
template <class T, class P>
inline T pow(T x, P p) { return std::pow(x, static_cast<T>(p)); }
/// relu'(x) with relu'(0) = 0.
template <class T>
inline T step(T x) { return x > T(0) ? T(1) : T(0); }
/// leaky_relu'(x) with leaky_relu'(0) = alpha.
template <class T, class A>
inline T leaky_step(T x, A alpha) { return x > T(0) ? T(1) : static_cast<T>(alpha); }
/// abs'(x) with abs'(0) = 0.
template <class T>
inline T sign(T x) { return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0)); }

}  // namespace gg
