// Scalar elementwise functions called by generated code (the op table's `emit` texts name
// them): numerically stable where it matters, kink conventions as in PyTorch.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "isa.hpp"

namespace gg {
inline namespace GG_ISA {

namespace detail {

/// e^x for float as s·(1 + y): s = 2^n with n = round(x / ln 2), y = e^r − 1 with
/// r = x − n·ln 2, |r| ≤ ln(2)/2 (Cephes' polynomial, ~1 ulp). No branches or calls, so that
/// loops over it vectorise (libm's expf does so only under -ffast-math), and a short
/// dependency chain, since a small network's step waits on it:
///  - |x| is clamped to 87 (e^-87 ≈ 1.6e-38 is 0 for the uses here, e^88 is near overflow) by
///    an integer min on the bits; a compare-and-select clamp gets vectorised into masked paths
///    with constant-folded copies of the rest. A NaN keeps its bits (so stays NaN).
///  - 2^n comes from the bits of x/ln 2 + 1.5·2^23, whose low bits hold n (no float-to-int
///    conversion).
///  - the polynomial is evaluated by Estrin's scheme (3 dependent steps instead of Horner's 5).
struct ExpParts {
  float s, y;
};
inline ExpParts exp_parts(float x) {
  std::uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  const std::uint32_t a = b & 0x7fffffffu;                 // |x|
  const std::uint32_t nan = 0u - ((0x7f800000u - a) >> 31);  // all ones when |x| > +inf: a NaN
  b = (a < 0x42ae0000u ? a : 0x42ae0000u) | (b & (nan | 0x80000000u));  // 0x42ae0000 = 87.0f
  std::memcpy(&x, &b, sizeof x);
  const float t = x * 1.44269504088896341f + 12582912.0f;  // 1.5·2^23 + n
  const float n = t - 12582912.0f;
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;  // ln 2 in two parts
  const float r2 = r * r;
  const float q01 = 5.0000001201e-1f + 1.6666665459e-1f * r;
  const float q23 = 4.1665795894e-2f + 8.3334519073e-3f * r;
  const float q45 = 1.3981999507e-3f + 1.9875691500e-4f * r;
  std::uint32_t tb;
  std::memcpy(&tb, &t, sizeof tb);
  const std::uint32_t sb = (tb + 127u) << 23;  // (n + 127) << 23, the bits of 2^n: t's high bits shift out
  ExpParts e;
  std::memcpy(&e.s, &sb, sizeof e.s);
  e.y = r + r2 * (q01 + r2 * (q23 + r2 * q45));
  return e;
}

inline float exp_poly(float x) {
  const ExpParts e = exp_parts(x);
  return e.s + e.s * e.y;
}

}  // namespace detail

/// 1/(1 + e^-x), written so that e^|x| never overflows (as the interpreter computes it).
template <class T>
inline T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}
/// float: branch-free, with a vectorisable e^-x = s·(1 + y) and the denominator formed as
/// (1 + s) + s·y (one step shorter). Below x = -87, where e^-x would saturate (a floor of
/// 1.6e-38 under every result, which log and bce would see), it is computed as
/// 2^-64 / (2^-64 + e^(-x - 64·ln 2)): the same value, reaching the subnormals and then 0.
template <>
inline float sigmoid(float x) {
  const bool tiny = x < -87.0f;
  const float scale = tiny ? 0x1p-64f : 1.0f;
  const detail::ExpParts e = detail::exp_parts(tiny ? -x - 44.3614195558365f : -x);  // 64·ln 2
  return scale / ((scale + e.s) + e.s * e.y);
}
template <class T>
inline T tanh(T x) { return std::tanh(x); }
/// NaN passes through (PyTorch's relu), so corrupt input shows in the loss.
template <class T>
inline T relu(T x) { return x <= T(0) ? T(0) : x; }
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
inline T log1p(T x) { return std::log1p(x); }
template <class T>
inline T expm1(T x) { return std::expm1(x); }
template <class T>
inline T sinh(T x) { return std::sinh(x); }
template <class T>
inline T cosh(T x) { return std::cosh(x); }
template <class T>
inline T tan(T x) { return std::tan(x); }
template <class T>
inline T exp2(T x) { return std::exp2(x); }
template <class T>
inline T log2(T x) { return std::log2(x); }
template <class T>
inline T log10(T x) { return std::log10(x); }
/// x rounded to float, kept in T: a C++ float value inside a double function.
template <class T>
inline T to_float(T x) { return static_cast<T>(static_cast<float>(x)); }
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
/// relu'(x) with relu'(0) = 0, and relu'(NaN) = 1: PyTorch's threshold_backward zeroes the
/// gradient where x <= 0, which NaN is not.
template <class T>
inline T step(T x) { return x <= T(0) ? T(0) : T(1); }
/// leaky_relu'(x) with leaky_relu'(0) = alpha.
template <class T, class A>
inline T leaky_step(T x, A alpha) { return x > T(0) ? T(1) : static_cast<T>(alpha); }
/// abs'(x) with abs'(0) = 0.
template <class T>
inline T sign(T x) { return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0)); }

}  // namespace GG_ISA
}  // namespace gg
