// The runtime's float e^x and sigmoid (gradgen/activations.hpp), which generated float code
// calls for sigmoid: accuracy against double libm over the whole range, and the edges (the
// clamp at |x| = 87, ±inf, NaN).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "gradgen/activations.hpp"
#include "gradgen/reduce.hpp"

namespace {

// The distance between |ref| rounded to float and the next float up.
double ulp_at(double ref) {
  const float f = static_cast<float>(std::fabs(ref));
  return static_cast<double>(std::nextafter(f, std::numeric_limits<float>::infinity())) - f;
}

}  // namespace

TEST_CASE("runtime exp_poly is within 2 ulp of e^x on [-87, 87]", "[runtime][sigmoid]") {
  double worst = 0;
  float at = 0;
  const int n = 400000;
  for (int i = 0; i <= n; ++i) {
    const float x = -87.0f + 174.0f * static_cast<float>(i) / n;
    const double ref = std::exp(static_cast<double>(x));
    const double err = std::fabs(gg::detail::exp_poly(x) - ref) / ulp_at(ref);
    if (err > worst) worst = err, at = x;
  }
  INFO("worst " << worst << " ulp at x = " << at);
  CHECK(worst <= 2.0);
}

TEST_CASE("runtime float sigmoid is within 3 ulp of 1/(1+e^-x), loops over it included", "[runtime][sigmoid]") {
  const int n = 400000;
  std::vector<float> x(n + 1), y(n + 1);
  for (int i = 0; i <= n; ++i) x[i] = -100.0f + 200.0f * static_cast<float>(i) / n;
  for (int i = 0; i <= n; ++i) y[i] = gg::sigmoid(x[i]);  // the form generated loops take
  double worst_ulp = 0, worst_abs = 0;
  float lo = 1, hi = 0;
  for (int i = 0; i <= n; ++i) {
    const double ref = 1.0 / (1.0 + std::exp(-static_cast<double>(x[i])));
    worst_abs = std::max(worst_abs, std::fabs(y[i] - ref));
    if (ref > 1e-37) worst_ulp = std::max(worst_ulp, std::fabs(y[i] - ref) / ulp_at(ref));
    lo = std::min(lo, y[i]), hi = std::max(hi, y[i]);
  }
  CHECK(lo >= 0.0f);
  CHECK(hi == 1.0f);
  CHECK(worst_ulp <= 3.0);
  CHECK(worst_abs <= 1e-7);
}

TEST_CASE("runtime float sigmoid and exp_poly at the clamp, at ±inf and at NaN", "[runtime][sigmoid]") {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // e^x saturates at e^±87 instead of overflowing to inf or reaching 0.
  CHECK(gg::detail::exp_poly(87.0f) == Approx(std::exp(87.0)).epsilon(1e-6));
  CHECK(gg::detail::exp_poly(200.0f) == gg::detail::exp_poly(87.0f));
  CHECK(std::isfinite(gg::detail::exp_poly(inf)));
  CHECK(gg::detail::exp_poly(-200.0f) == gg::detail::exp_poly(-87.0f));
  CHECK(gg::detail::exp_poly(-inf) > 0.0f);
  CHECK(gg::detail::exp_poly(-inf) < 2e-38f);
  CHECK(gg::sigmoid(inf) == 1.0f);
  CHECK(gg::sigmoid(1e30f) == 1.0f);
  CHECK(gg::sigmoid(-inf) == 0.0f);
  CHECK(gg::sigmoid(-200.0f) == 0.0f);
  CHECK(gg::sigmoid(0.0f) == 0.5f);
  CHECK(gg::sigmoid(-0.0f) == 0.5f);
  // NaN in, NaN out (not a clamped finite value), either sign.
  CHECK(std::isnan(gg::detail::exp_poly(nan)));
  CHECK(std::isnan(gg::detail::exp_poly(-nan)));
  CHECK(std::isnan(gg::sigmoid(nan)));
  CHECK(std::isnan(gg::sigmoid(-nan)));
}

TEST_CASE("runtime float sigmoid below -87 follows e^x into the subnormals, with no floor", "[runtime][sigmoid]") {
  // The smallest positive float, 2^-149: the spacing of the subnormals.
  const double subnormal_step = std::ldexp(1.0, -149);
  double worst_ulp = 0, worst_sub = 0;
  for (int i = 0; i <= 200000; ++i) {
    const float x = -87.0f - 30.0f * static_cast<float>(i) / 200000;
    const double ref = std::exp(static_cast<double>(x)) / (1.0 + std::exp(static_cast<double>(x)));
    const double err = std::fabs(gg::sigmoid(x) - ref);
    if (ref >= std::numeric_limits<float>::min()) worst_ulp = std::max(worst_ulp, err / ulp_at(ref));
    else  // a subnormal result: within one step of them, or the relative error of 3 ulp
      worst_sub = std::max(worst_sub, err / std::max(subnormal_step, 3 * ref * std::ldexp(1.0, -23)));
  }
  CHECK(worst_ulp <= 3.0);
  CHECK(worst_sub <= 1.0);
  CHECK(gg::sigmoid(-88.0f) == Approx(6.0546e-39).epsilon(1e-4));
  CHECK(gg::sigmoid(-100.0f) > 0.0f);
  CHECK(gg::sigmoid(-100.0f) < 1e-43f);
}

// NaN in, NaN out, as in PyTorch: relu(NaN) and bce's clamped log of NaN were 0 and -100, a
// finite loss from corrupt input. Everything else is unchanged: relu(-0) is +0, the clamp
// still holds at p = 0. relu'(NaN) = step(NaN) is 1: PyTorch's threshold_backward zeroes the
// gradient only where x <= 0 (torch.relu(nan).backward() gives 1).
TEMPLATE_TEST_CASE("runtime relu and clamped_log pass NaN through", "[runtime]", float, double) {
  using T = TestType;
  const T nan = std::numeric_limits<T>::quiet_NaN();
  CHECK(std::isnan(gg::relu(nan)));
  CHECK(gg::relu(T(-0.0)) == T(0));
  CHECK(!std::signbit(gg::relu(T(-0.0))));
  CHECK(gg::relu(T(-2)) == T(0));
  CHECK(gg::relu(T(2.5)) == T(2.5));
  CHECK(gg::step(nan) == T(1));
  CHECK(gg::step(T(0)) == T(0));
  CHECK(gg::step(T(-0.0)) == T(0));
  CHECK(std::isnan(gg::clamped_log(nan)));
  CHECK(gg::clamped_log(T(0)) == T(-100));
  CHECK(gg::clamped_log(T(1)) == T(0));
  CHECK(gg::clamped_log(T(0.5)) == std::log(T(0.5)));
}
