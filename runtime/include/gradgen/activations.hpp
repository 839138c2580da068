// Scalar elementwise functions called by generated code (the op table's `emit` texts name
// them): numerically stable where it matters, kink conventions as in PyTorch.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace gg {

namespace detail {

/// e^x for float to ~2 ulp (Cephes' polynomial), without branches or calls so that loops
/// over it vectorise (libm's expf does so only under -ffast-math). Clamped to [-87, 88]:
/// below that range e^x is 0 within float precision for the uses here, above it overflows.
inline float exp_poly(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round(x / ln 2)
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float q = 1.9875691500e-4f;
  q = q * r + 1.3981999507e-3f;
  q = q * r + 8.3334519073e-3f;
  q = q * r + 4.1665795894e-2f;
  q = q * r + 1.6666665459e-1f;
  q = q * r + 5.0000001201e-1f;
  const float y = q * r * r + r + 1.0f;
  const std::int32_t bits = (static_cast<std::int32_t>(n) + 127) * (1 << 23);  // 2^n
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return y * scale;
}

}  // namespace detail

/// 1/(1 + e^-x), written so that e^|x| never overflows (as the interpreter computes it).
template <class T>
inline T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}
/// float: branch-free, with a vectorisable e^x; e^-x saturating at e^87 still gives 1/(1 + e^87)
/// ≈ 0 to float precision, so it is stable for any x.
template <>
inline float sigmoid(float x) { return 1.0f / (1.0f + detail::exp_poly(-x)); }
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
