// Gradient rules at points where the answer is derived by hand (derivation in each comment),
// including the kink conventions relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = alpha.
#include <catch2/catch.hpp>

#include <limits>

#include <cmath>

#include "gradcheck/op_harness.h"

using namespace gg;
using namespace gg::test;

namespace {

Shape fixed(std::vector<int64_t> s) {
  Shape out;
  for (int64_t d : s) out.push_back(Dim::fixed(d));
  return out;
}

// Value of the op and each operand's gradient at `x` with cotangent `c`.
struct Result {
  Tensor value;
  std::vector<Tensor> grads;
};

Result run(Op op, std::vector<Tensor> x, Tensor c, Attrs attrs = {}, const std::vector<Shape>& shapes = {},
           DimBindings dims = {}) {
  std::vector<Shape> s = shapes;
  if (s.empty())
    for (const Tensor& t : x) s.push_back(fixed(t.shape));
  auto h = OpHarness::build(op, s, attrs);
  Values v;
  for (size_t i = 0; i < x.size(); ++i) v[name_of(i)] = x[i];
  v["C"] = c;
  Interpreter it(v, dims);
  Result r{it.eval(h->node), {}};
  for (size_t i = 0; i < x.size(); ++i)
    r.grads.push_back(h->grads[i] ? it.eval(h->grads[i]) : Tensor::zeros(x[i].shape));
  return r;
}

}  // namespace

TEST_CASE("sigmoid at 0", "[gradcheck][hand]") {
  // σ(0) = 1/(1 + e⁰) = 1/2; σ'(0) = σ(0)(1 − σ(0)) = 1/4; with cotangent 2 the gradient is 1/2.
  Result r = run(Op::Sigmoid, {Tensor::scalar(0)}, Tensor::scalar(2));
  CHECK(r.value.data[0] == 0.5);
  CHECK(r.grads[0].data[0] == 0.5);
}

TEST_CASE("mse on a 2x1 example, batch size symbolic", "[gradcheck][hand]") {
  // p = [1, 3]ᵀ, y = [0, 1]ᵀ, N = 2: mse = (1² + 2²)/2 = 2.5;
  // d/dp = 2/N (p − y) = [1, 2]ᵀ (not 2(p − y): the 1/N of the mean stays), d/dy = −[1, 2]ᵀ.
  Shape s{Dim::named("n"), Dim::fixed(1)};
  Result r = run(Op::Mse, {Tensor{{2, 1}, {1, 3}}, Tensor{{2, 1}, {0, 1}}}, Tensor::scalar(1), {}, {s, s},
                 {{"n", 2}});
  CHECK(r.value.data[0] == 2.5);
  CHECK(r.grads[0].data == std::vector<double>{1, 2});
  CHECK(r.grads[1].data == std::vector<double>{-1, -2});
}

TEST_CASE("sse on the same example", "[gradcheck][hand]") {
  // sse = 1² + 2² = 5; d/dp = 2(p − y) = [2, 4]ᵀ; with cotangent 0.5: [1, 2]ᵀ.
  Result r = run(Op::Sse, {Tensor{{2, 1}, {1, 3}}, Tensor{{2, 1}, {0, 1}}}, Tensor::scalar(0.5));
  CHECK(r.value.data[0] == 5);
  CHECK(r.grads[0].data == std::vector<double>{1, 2});
  CHECK(r.grads[1].data == std::vector<double>{-1, -2});
}

TEST_CASE("cross_entropy on a one-hot row", "[gradcheck][hand]") {
  // z = [0, ln 2, ln 3]: eᶻ = [1, 2, 3], softmax = [1/6, 1/3, 1/2]; y = [0, 0, 1]:
  // ce = −log(1/2) = ln 2; d/dz = softmax·Σy − y = [1/6, 1/3, −1/2];
  // d/dy = −log_softmax = −log(softmax) = [ln 6, ln 3, ln 2].
  Tensor z{{1, 3}, {0, std::log(2.0), std::log(3.0)}};
  Tensor y{{1, 3}, {0, 0, 1}};
  for (bool rank1 : {false, true}) {
    INFO((rank1 ? "rank 1" : "rank 2"));
    if (rank1) z.shape = y.shape = {3};
    Result r = run(Op::CrossEntropy, {z, y}, Tensor::scalar(1));
    CHECK(r.value.data[0] == Approx(std::log(2.0)).epsilon(1e-15));
    CHECK_THAT(r.grads[0].data, Catch::Approx(std::vector<double>{1.0 / 6, 1.0 / 3, -0.5}).epsilon(1e-14));
    CHECK_THAT(r.grads[1].data,
               Catch::Approx(std::vector<double>{std::log(6.0), std::log(3.0), std::log(2.0)}).epsilon(1e-14));
  }
  // Two rows average: the same row twice gives the same loss and half the gradient per row.
  Result two = run(Op::CrossEntropy, {Tensor{{2, 3}, {0, std::log(2.0), std::log(3.0), 0, std::log(2.0), std::log(3.0)}},
                                      Tensor{{2, 3}, {0, 0, 1, 0, 0, 1}}},
                   Tensor::scalar(1));
  CHECK(two.value.data[0] == Approx(std::log(2.0)).epsilon(1e-15));
  CHECK(two.grads[0].data[0] == Approx(1.0 / 12).epsilon(1e-14));
  CHECK(two.grads[0].data[5] == Approx(-0.25).epsilon(1e-14));
}

TEST_CASE("bce at p = 1/2 and its log clamp", "[gradcheck][hand]") {
  // p = 1/2, y = 1: bce = −log(1/2) = ln 2; d/dp = (p − y)/(p(1 − p)) = (−1/2)/(1/4) = −2;
  // d/dy = log(1 − p) − log p = 0.
  Result r = run(Op::Bce, {Tensor{{1}, {0.5}}, Tensor{{1}, {1}}}, Tensor::scalar(1));
  CHECK(r.value.data[0] == Approx(std::log(2.0)).epsilon(1e-15));
  CHECK(r.grads[0].data[0] == -2);
  CHECK(r.grads[1].data[0] == 0);
  // p = 0, y = 1: log 0 is clamped at −100 (PyTorch), so the loss is 100, not infinity.
  CHECK(run(Op::Bce, {Tensor{{1}, {0}}, Tensor{{1}, {1}}}, Tensor::scalar(1)).value.data[0] == 100);
}

TEST_CASE("softplus at 0", "[gradcheck][hand]") {
  // softplus(0) = log(1 + 1) = ln 2; softplus'(0) = σ(0) = 1/2.
  Result r = run(Op::Softplus, {Tensor::scalar(0)}, Tensor::scalar(1));
  CHECK(r.value.data[0] == Approx(std::log(2.0)).epsilon(1e-15));
  CHECK(r.grads[0].data[0] == 0.5);
}

TEST_CASE("kink conventions follow PyTorch", "[gradcheck][hand]") {
  Tensor x{{3}, {-1, 0, 2}};
  Tensor ones{{3}, {1, 1, 1}};
  // relu' = [x > 0]: relu'(0) = 0.
  CHECK(run(Op::Relu, {x}, ones).grads[0].data == std::vector<double>{0, 0, 1});
  // At NaN the gradient passes, as PyTorch's threshold_backward does (it zeroes x <= 0 only).
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(run(Op::Relu, {Tensor{{1}, {nan}}}, Tensor{{1}, {2}}).grads[0].data == std::vector<double>{2});
  // abs' = sign: abs'(0) = 0.
  CHECK(run(Op::Abs, {x}, ones).grads[0].data == std::vector<double>{-1, 0, 1});
  // leaky_relu' = 1 for x > 0, alpha otherwise: leaky_relu'(0) = alpha.
  Attrs a;
  a.value = 0.1;
  Result lr = run(Op::LeakyRelu, {x}, ones, a);
  CHECK(lr.value.data == std::vector<double>{-0.1, 0, 2});
  CHECK(lr.grads[0].data == std::vector<double>{0.1, 0.1, 1});
}

TEST_CASE("pow: p·x^(p−1), and a constant for p = 0", "[gradcheck][hand]") {
  // x³ at 2: 8, gradient 3·2² = 12. x⁰ = 1 has gradient 0, also at x = 0 (no 0·0⁻¹ = NaN).
  Attrs a;
  a.value = 3;
  Result r = run(Op::Pow, {Tensor::scalar(2)}, Tensor::scalar(1), a);
  CHECK(r.value.data[0] == 8);
  CHECK(r.grads[0].data[0] == 12);
  a.value = 0;
  Result z = run(Op::Pow, {Tensor::scalar(0)}, Tensor::scalar(1), a);
  CHECK(z.value.data[0] == 1);
  CHECK(z.grads[0].data[0] == 0);
}

TEST_CASE("mean, sum_axis and mean_axis spread the cotangent", "[gradcheck][hand]") {
  Tensor x{{2, 3}, {1, 2, 3, 4, 5, 6}};
  // mean = 21/6 = 3.5; each element gets g/6.
  Result m = run(Op::Mean, {x}, Tensor::scalar(3));
  CHECK(m.value.data[0] == 3.5);
  CHECK(m.grads[0].data == std::vector<double>(6, 0.5));
  // sum over axis 0 = [5, 7, 9]; cotangent [1, 2, 3] is copied down each column.
  Attrs a0;
  a0.axis = 0;
  Result s = run(Op::SumAxis, {x}, Tensor{{3}, {1, 2, 3}}, a0);
  CHECK(s.value.data == std::vector<double>{5, 7, 9});
  CHECK(s.grads[0].data == std::vector<double>{1, 2, 3, 1, 2, 3});
  // mean over axis 1 = [2, 5]; cotangent [3, 6] becomes [1, 2] per element of each row.
  Attrs a1;
  a1.axis = 1;
  Result mm = run(Op::MeanAxis, {x}, Tensor{{2}, {3, 6}}, a1);
  CHECK(mm.value.data == std::vector<double>{2, 5});
  CHECK(mm.grads[0].data == std::vector<double>{1, 1, 1, 2, 2, 2});
}
