// Annotated C++ functions that the C++ front end lowers; the tests also compile this file
// natively (the annotations vanish outside Clang) to get reference values and finite differences.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>

#include <gradgen/annotate.hpp>
#include <gradgen/tensor_api.hpp>

namespace suite {

// Rosenbrock: locals, products, constants.
GRADGEN_DIFFERENTIATE
double rosenbrock(double x, double y) {
  double a = 1.0 - x;
  double b = y - x * x;
  return a * a + 100.0 * b * b;
}

// Logistic regression (binary cross-entropy) over C arrays; gradient w.r.t. w and b only.
GRADGEN_DIFFERENTIATE_WRT("w", "b")
double logistic(const double (&w)[3], double b, const double (&x)[3], double y) {
  double z = b;
  for (int i = 0; i < 3; ++i) z += w[i] * x[i];
  double p = 1.0 / (1.0 + std::exp(-z));
  return -(y * std::log(p) + (1.0 - y) * std::log(1.0 - p));
}

// Polynomial (Horner, loop counting down) plus constant and non-integer powers.
GRADGEN_DIFFERENTIATE
double polynomial(const std::array<double, 5>& c, double x) {
  double r = 0;
  for (int i = 4; i >= 0; --i) r = r * x + c[i];
  return r + std::pow(x, 3) + std::pow(x, 2.5) + std::pow(c[0], x);
}

// Dot product over pointer parameters with extents given in the annotation.
GRADGEN_DIFFERENTIATE GRADGEN_EXTENT(a, 4) GRADGEN_EXTENT(b, 4)
double dot(const double* a, const double* b) {
  double s = 0;
  for (int i = 0; i < 4; i++) s += a[i] * b[i];
  return s;
}

// A helper with a data-dependent maximum (if on values) used for a stable softmax.
inline double max_of(const double (&v)[5]) {
  double m = v[0];
  for (double x : v)
    if (x > m) m = x;
  return m;
}

// Softmax + cross-entropy over arrays: local arrays, range-for, helper call, log/exp.
GRADGEN_DIFFERENTIATE_WRT("z")
double softmax_xent(const double (&z)[5], const double (&y)[5]) {
  const double m = max_of(z);
  double e[5];
  double s = 0;
  for (int i = 0; i < 5; ++i) {
    e[i] = std::exp(z[i] - m);
    s += e[i];
  }
  double loss = 0;
  for (int i = 0; i < 5; ++i) loss -= y[i] * std::log(e[i] / s);
  return loss;
}

// An RNN-like recurrence over 16 steps.
constexpr int kSteps = 16;
GRADGEN_DIFFERENTIATE_WRT("w", "u", "b")
double rnn(double w, double u, double b, const std::array<double, kSteps>& x) {
  double h = 0;
  double loss = 0;
  for (int t = 0; t < kSteps; ++t) {
    h = std::tanh(w * h + u * x[t] + b);
    loss += h * h;
  }
  return loss / kSteps;
}

// relu with an early return, clamp with ?:, if/else on values, fabs, fmin, fmax.
inline double relu(double v) {
  if (v > 0) return v;
  return 0.0;
}
inline double clamp01(double v) { return v < 0 ? 0.0 : (v > 1 ? 1.0 : v); }
GRADGEN_DIFFERENTIATE
double branches(double a, double b) {
  double r = relu(a - b) + clamp01(a * b);
  if (a > 1.0) {
    r *= a;
  } else if (b < -1.0) {
    r -= b * b;
  } else {
    r += std::sin(b);
  }
  return r + std::fabs(a) + std::fmin(a, b) + std::fmax(std::cos(a), b);
}

// Helpers: out-parameters by reference, std::array by value, nested calls.
inline double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }
inline void layer(const double (&x)[2], const double (&W)[2][3], const double (&b)[3], double (&out)[3]) {
  for (int j = 0; j < 3; ++j) {
    double s = b[j];
    for (int k = 0; k < 2; ++k) s += x[k] * W[k][j];
    out[j] = sigmoid(s);
  }
}
inline std::array<double, 2> twice(std::array<double, 2> v) {
  for (auto& x : v) x *= 2.0;
  return v;
}
GRADGEN_DIFFERENTIATE
double helpers(const double (&x)[2], const double (&W)[2][3], const double (&b)[3]) {
  double h[3];
  layer(x, W, b, h);
  std::array<double, 2> p = twice({h[0], h[1]});
  return p[0] * p[1] + std::sqrt(h[2]) + std::log(sigmoid(x[0]));
}

// The [2, 3, 1] seed network (spec §1) over four samples, with C arrays.
GRADGEN_DIFFERENTIATE_WRT("W1", "b1", "W2", "b2")
double seed_arrays(const double (&X)[4][2], const double (&Y)[4][1], const double (&W1)[2][3], const double (&b1)[3],
                   const double (&W2)[3][1], const double (&b2)[1]) {
  double J = 0;
  for (int n = 0; n < 4; ++n) {
    double a2[3];
    for (int j = 0; j < 3; ++j) {
      double z2 = b1[j];
      for (int k = 0; k < 2; ++k) z2 += X[n][k] * W1[k][j];
      a2[j] = sigmoid(z2);
    }
    double z3 = b2[0];
    for (int j = 0; j < 3; ++j) z3 += a2[j] * W2[j][0];
    const double d = z3 - Y[n][0];
    J += d * d;
  }
  return J / 4;
}

// The same network over the tensor API: lowers to the same graph as its .grad twin.
GRADGEN_DIFFERENTIATE_WRT("W1", "b1", "W2", "b2")
double seed_tensor(const gradgen::Matrix<4, 2>& X, const gradgen::Matrix<4, 1>& Y, const gradgen::Matrix<2, 3>& W1,
                   const gradgen::Vector<3>& b1, const gradgen::Matrix<3, 1>& W2, const gradgen::Vector<1>& b2) {
  auto z2 = gradgen::matmul(X, W1) + b1;
  auto a2 = gradgen::sigmoid(z2);
  auto z3 = gradgen::matmul(a2, W2) + b2;
  double J = gradgen::mse(z3, Y);
  return J;
}

// Tensor API extras: softmax, cross-entropy, element access, scalar broadcasting.
GRADGEN_DIFFERENTIATE
double tensor_extras(const gradgen::Matrix<2, 3>& Z, const gradgen::Matrix<2, 3>& T) {
  auto p = gradgen::softmax(Z);
  double ce = gradgen::cross_entropy(Z, T);
  return ce + gradgen::sum(gradgen::tanh(p * 2.0 - 1.0)) + Z(1, 2) * p(0, 1) + gradgen::mean(gradgen::relu(Z));
}

// float precision.
GRADGEN_DIFFERENTIATE
float single(float x) { return x * x * 0.5f; }

// C++ integer semantics on known integers: unsigned wrap-around, narrowing conversions, a
// signed operand converted to unsigned, 64-bit unsigned division, comparison and conversion.
GRADGEN_DIFFERENTIATE
double integer_semantics(double x) {
  unsigned u = 2;
  int k = -2, c300 = 300;
  unsigned char byte = 250;
  byte += 10;  // 4
  const unsigned long long big = 0;
  double s = x * ((u - 3) % 1000);               // 295
  s += x * static_cast<signed char>(c300);       // 44
  s += x * (7u / static_cast<unsigned>(k));      // 0
  s += x * byte;
  s += x * static_cast<double>(big - 1) * 1e-19;  // 1.8446744073709552
  s += x * static_cast<double>((big - 1) / 3) * 1e-18;
  s += (big - 1) > 5u ? x : -x;
  s += x * static_cast<unsigned short>(-1);      // 65535
  signed char top = 127;
  ++top;                                         // computed in int, no overflow: -128
  const int most_negative = -2147483647 - 1;
  unsigned neg = 5;
  neg = -neg;                                    // 4294967291
  s += x * top + most_negative * 1e-9 + x * (neg % 1000);
  return s;
}

// Known floating-point values converted to integers as C++ does (toward zero): a constant
// expression, a known local, a negative value, an unsigned char near its top.
GRADGEN_DIFFERENTIATE
double float_to_int(const double (&a)[8], double x) {
  const double k = -2.5;
  const int back = static_cast<int>(k);           // -2
  double s = a[static_cast<int>(3.9 * 2)] * x;    // a[7]
  s += a[8 + back] * (unsigned char)(255.9);      // a[6] * 255
  s += x * static_cast<long long>(-1e15 / 3);     // -333333333333333
  return s * 1e-12;
}

// References into arrays across branches on data: a branch's join rebuilt the arrays, and a
// reference taken before it (a local one, a range-for's, a helper's parameter) then pointed at
// freed memory in gradgen.
inline void relu_then_add_one(double& v) {
  if (v < 0) v = 0;
  v += 1;
}
GRADGEN_DIFFERENTIATE
double aliases_across_branches(double x, double y) {
  double a[2] = {x, y};
  double& r = a[0];
  double s = y;
  if (x > 0) s = 2 * y;
  r = r * 3;
  for (double& v : a) {
    if (v > 0.5) v = 2 * v;
    v = v + 1;
  }
  relu_then_add_one(a[1]);
  return a[0] * a[1] + s;
}

// Writes inside ?:, && and || on data happen only on the side C++ evaluates.
GRADGEN_DIFFERENTIATE
double side_effects_on_data(double x, double y) {
  double a = x, b = y, c = x * y;
  (x > 0) ? (a = a * 2) : (b = b * 3);
  const bool both = (x > y) && ((c = c * 5) > 0);
  const bool either = (y > 0.5) || ((a += c) > 1);
  return a + b + c + both + either;
}

// Compound assignments to integers convert the result to the integer's type, as C++ does.
GRADGEN_DIFFERENTIATE
double compound_to_integers(double x) {
  int k = 3;
  k *= 0.5;  // 1
  int m = 7;
  m /= 2.0;  // 3
  m -= 0.5;  // 2
  bool b = true;
  b += 1;  // true
  unsigned char c = 250;
  c += 5;  // 255
  int votes = (x > 0) + (x > 1);
  votes *= 2;
  return x * k + x * x * m + b * x + c * 1e-3 * x + votes * x;
}

// Floating-point loop counters and constants are followed as C++ computes them: 0.1 steps
// reach 0.9999999999999999 < 1 in double (11 passes) but 1.0000001 in float (10 passes); a
// float initialised from a double holds the rounded value; a comparison of constants picks
// its branch.
GRADGEN_DIFFERENTIATE
double floating_counters(double x, double y) {
  double s = 0;
  int passes = 0;
  for (double t = 0; t < 1; t += 0.1, ++passes) s += std::sin(t * x);
  const float h = 0.1;
  for (float u = 0; u < 1; u += h) s += y;
  for (float v = 0; v < 1; v += 0.1) s += y;  // computed in double, stored in float: 10 passes
  float tiny = 1.0f;
  tiny += 1e-8;  // still 1.0f
  const int odd = 16777217;
  const float rounded = odd;  // 16777216
  s += (tiny - 1.0f) * 1e8 * x + (rounded - 16777216.0) * y;
  unsigned positive = (x > 0);  // 0 or 1 fits any integer type
  for (double w = 1; w > 1e-3; w *= 0.5) s += w * x * y;
  const double g = h;
  const double c = -0.5;
  if (c < -0.25 && -c / 2 >= 0.25) s += x * g;
  else s -= x;
  return s + passes * y + positive * x;
}

// Array elements and variables updated in loops, directly and through branches on data: each
// stored value is named (y_0, y_0_1, ...), so the equations grow with the loop, not 3^N.
GRADGEN_DIFFERENTIATE
double element_updates(double x) {
  double y[1] = {x};
  double s = x;
  for (int i = 0; i < 12; ++i) {
    y[0] = y[0] * y[0] - y[0];
    if (s > 0.25) s = s * s - s + 0.3;
  }
  return y[0] + s;
}

// A damped oscillator integrated by RK4 over 40 steps, state in std::array, a helper for the
// right-hand side.
using Oscillator = std::array<double, 2>;
inline void oscillator_rhs(const Oscillator& y, double k, double c, Oscillator& out) {
  out[0] = y[1];
  out[1] = -k * y[0] - c * y[1];
}
GRADGEN_DIFFERENTIATE
double rk4_oscillator(double k, double c) {
  Oscillator y{1.0, 0.0};
  const double h = 0.05;
  for (int step = 0; step < 40; ++step) {
    Oscillator k1, k2, k3, k4, t;
    oscillator_rhs(y, k, c, k1);
    for (int i = 0; i < 2; ++i) t[i] = y[i] + 0.5 * h * k1[i];
    oscillator_rhs(t, k, c, k2);
    for (int i = 0; i < 2; ++i) t[i] = y[i] + 0.5 * h * k2[i];
    oscillator_rhs(t, k, c, k3);
    for (int i = 0; i < 2; ++i) t[i] = y[i] + h * k3[i];
    oscillator_rhs(t, k, c, k4);
    for (int i = 0; i < 2; ++i) y[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }
  return y[0] * y[0] + y[1] * y[1];
}

// Locals named like what f_grad declares itself: the gradient out-parameters (d_x), the
// parameters' views (x_) and the value.
GRADGEN_DIFFERENTIATE
double names_of_f_grad(double x, double y) {
  const double d_x = x * x;
  const double d_y = d_x * y;
  const double x_ = d_y + y;
  const double value = x_ * x;
  return value + d_x;
}

// std::pow with a data exponent is std::pow itself (not e^(y log x), NaN for x <= 0).
GRADGEN_DIFFERENTIATE
double power_of_data(double x, double y) { return std::pow(x, y) + std::pow(2.0, x * y); }

// log1p and expm1 as C++ computes them: exact near 0, where log(1 + x) and exp(x) − 1 lose all digits.
GRADGEN_DIFFERENTIATE
double near_zero(double x, double y) { return std::log1p(x * 1e-12) * 1e12 + std::expm1(y * 1e-12) * 1e12 * x; }

// Library calls as C++ makes them, not rewritten into others: sinh and cosh (accurate near 0,
// finite to |x| = 710, where exp overflows), tan, and exp2/log2/log10 (exp2 exact at integers).
GRADGEN_DIFFERENTIATE
double library_calls(double x, double y) {
  return std::sinh(x * 1e-10) * 1e10 + std::cosh(y) + std::tan(y) + std::exp2(x) + std::log2(y * y) + std::log10(x * x + 1);
}
// A float function computing in double (a double accumulator, `y * 0.1`, a double exp):
// lowered as a double function whose float values are rounded where C++ rounds them.
GRADGEN_DIFFERENTIATE
float float_with_double_math(float x, float y) {
  double acc = 0;
  for (int i = 1; i <= 5; ++i) acc += x / i;
  const float t = y * 0.1;
  return acc * 0.3 + t * std::exp(x * 0.5);
}

// Compound assignment into a bool stores the result != 0, as C++ does.
GRADGEN_DIFFERENTIATE
double bool_compound(double x, double y) {
  bool b = x > 0, c = false;
  b -= 1;
  c += x * y;
  bool d = x > 1;
  d += 1;
  return b * x + c * y + d * x * y;
}

// A weight table with a zero: 0 · log(p) is NaN at p = 0 in C++ (0 · −inf), not 0.
constexpr double kZeroWeights[3] = {0.5, 0.0, 0.5};
GRADGEN_DIFFERENTIATE
double zero_weighted(const double (&p)[3]) {
  double s = 0;
  for (int i = 0; i < 3; ++i) s += kZeroWeights[i] * std::log(p[i]);
  return s;
}
GRADGEN_DIFFERENTIATE
double hyperbolic_far(double x) { return std::sinh(x) * 1e-300 + std::cosh(x) * 1e-300 + std::exp2(x - 300); }

// std::array assignment, with a reference into the target taken before it.
GRADGEN_DIFFERENTIATE
double array_assignment(double x, double y) {
  std::array<double, 2> c{x * y, y};
  std::array<double, 2> d{};
  double& r = d[1];
  d = c;
  r = r * 3;
  return d[0] + d[1] * x;
}

// Tables of constants outside the function: constexpr and const arrays, 1-D and 2-D.
constexpr double kTable[3] = {1.5, -2.0, 0.25};
static const double kGrid[2][2] = {{1, 2}, {3, 4}};
constexpr std::array<double, 3> kCoefficients{0.5, -1.0, 2.0};
GRADGEN_DIFFERENTIATE
double constant_tables(double x, double y) {
  double s = 0;
  for (int i = 0; i < 3; ++i) s += kTable[i] * x * (i + 1) + kCoefficients[i] * y * i;
  return s + kGrid[1][0] * y + kGrid[0][1] * x * y;
}

// float values of data inside a double function, rounded where C++ rounds them: a float
// local, a cast, float operations and a float math call.
GRADGEN_DIFFERENTIATE
double float_data(double x, double y) {
  float t = x;
  float u = t * t + t / 3.0f;
  const double cast = static_cast<float>(x * y);
  float s = 0;
  for (int i = 1; i < 4; ++i) s += t * 0.1f + float(y) * i;
  return u + cast + std::sqrt(t) * s + u * y;
}

// <cmath> calls on float constants give floats, as C++ computes them (sqrtf(2) is not
// sqrt(2)): the differences below are about 1e-8, scaled to order one.
GRADGEN_DIFFERENTIATE
double float_math_constants(double x) {
  const float c = std::sqrt(2.0f);
  const float m = std::fmax(0.1f, 0.2f) * 3.0f;
  const float e = std::exp(1.0f) + std::pow(1.1f, 2.0f);
  return x * ((c - std::sqrt(2.0)) * 1e8 + (m - 0.6) * 1e8 + (e - std::exp(1.0) - 1.21) * 1e7);
}

// Constants from <cmath> and <limits>: NAN, INFINITY and HUGE_VAL are calls to Clang builtins
// (__builtin_nanf("")) and numeric_limits' are function calls; Clang evaluates them.
GRADGEN_DIFFERENTIATE
double limits_constants(double x, double y) {
  const double big = std::numeric_limits<double>::max();
  double a = x < HUGE_VAL ? x * y : NAN;
  double b = std::fmin(y, INFINITY) + (x < big ? std::numeric_limits<double>::epsilon() : 0.0);
  return a + b * std::numeric_limits<float>::max() / 1e38;
}

// A bool constant is 1 in arithmetic: Clang evaluates it as a one-bit integer, which read as
// signed was -1 (loss and gradient silently wrong, and a[kOn] out of bounds).
namespace bools {
constexpr bool kOn = true;
constexpr bool kTable[2] = {false, true};
struct Flags {
  static constexpr bool on = true;
};
enum class Bit : bool { off, on };
}  // namespace bools

GRADGEN_DIFFERENTIATE
double bool_constants(const double (&a)[3], double x) {
  double s = 0;
  for (int i = 0; i < 1 + bools::kOn; ++i) s += a[i] * x;  // two passes
  const int k = bools::kOn;
  s += a[bools::kOn] * k;
  s += (bools::kOn == true ? x : 2 * x) * std::is_same_v<double, double>;
  s += x * std::numeric_limits<double>::has_infinity + x * x * bools::kTable[1] + a[2] * bools::Flags::on;
  return s + x * static_cast<int>(bools::Bit::on) + x * (4000000000u > 3u) + x * (0u - 1u > 0u);
}

// Hints to the compiler change no value: unroll pragmas and [[likely]] (AttributedStmt) were
// refused by their Clang class name.
GRADGEN_DIFFERENTIATE
double compiler_hints(const double (&a)[4], double x) {
  double s = 0;
#pragma GCC unroll 2
  for (int i = 0; i < 4; ++i) s += a[i] * x * i;
#if defined(__clang__)  // gradgen reads this file with Clang; g++ does not know the pragma
#pragma unroll
#endif
  for (int i = 0; i < 4; ++i) s += a[i] * a[i];
  [[maybe_unused]] const double t = x;
  if (x > 0) [[likely]] {
    s += x * x;
  }
  return s;
}

// for (;;) left by break, as while (true) is (it was refused as an unbounded loop).
GRADGEN_DIFFERENTIATE
double for_break(const double (&a)[8]) {
  double s = 0;
  for (int i = 0;; ++i) {
    if (i == 5) break;
    if (i % 2) continue;
    s += a[i] * a[i + 1];
  }
  return s;
}

// Kinks of the <algorithm> and <cmath> selections, each with PyTorch's convention: std::clamp
// passes v's gradient at its bounds (torch.clamp); std::fmax/fmin give a tie to their first
// argument and ignore a NaN operand (torch.fmax/fmin); std::max/min split a tie (torch.maximum).
// (lo > hi breaks std::clamp's precondition: random test points order them first.)
GRADGEN_DIFFERENTIATE
double clamp_kink(double v, double lo, double hi) { return std::clamp(v, std::min(lo, hi), std::max(lo, hi)); }
GRADGEN_DIFFERENTIATE
double fmax_kink(double a, double b) { return std::fmax(a, b) + 2 * std::fmin(a, b); }
GRADGEN_DIFFERENTIATE
double max_kink(double a, double b) { return std::max(a, b) + 2 * std::min(a, b); }
GRADGEN_DIFFERENTIATE
double max_of_huge(double a, double b) { return std::max(a, b) * 1e-300 - std::min(-a, -b) * 1e-300; }

}  // namespace suite
