// Logits of magnitude 1000 give finite values and gradients equal to their analytic limits
// for softmax, log_softmax, cross_entropy, softplus, sigmoid and bce_logits (also in f32).
#include <catch2/catch.hpp>

#include <cmath>

#include "gradcheck/op_harness.h"

using namespace gg;
using namespace gg::test;

namespace {

struct Result {
  Tensor value;
  std::vector<Tensor> grads;
};

Result run(Op op, std::vector<Tensor> x, Tensor c, Precision prec, int axis = 0) {
  std::vector<Shape> s;
  for (const Tensor& t : x) {
    Shape sh;
    for (int64_t d : t.shape) sh.push_back(Dim::fixed(d));
    s.push_back(sh);
  }
  Attrs a;
  a.axis = axis;
  auto h = OpHarness::build(op, s, a);
  Values v;
  for (size_t i = 0; i < x.size(); ++i) v[name_of(i)] = x[i];
  v["C"] = c;
  Interpreter it(v, {}, prec);
  Result r{it.eval(h->node), {}};
  for (size_t i = 0; i < x.size(); ++i) r.grads.push_back(it.eval(h->grads[i]));
  return r;
}

void finite(const Tensor& t) {
  for (double v : t.data) CHECK(std::isfinite(v));
}

}  // namespace

TEST_CASE("row-wise ops and losses stay finite at logits ±1000", "[gradcheck][stability]") {
  auto prec = GENERATE(Precision::F64, Precision::F32);
  INFO((prec == Precision::F32 ? "f32" : "f64"));
  Tensor z{{3}, {1000, -1000, 0}};
  Tensor c{{3}, {0.5, -1, 2}};

  SECTION("softmax: [1, 0, 0]; dx = y ⊙ (c − Σ c y) = [1·(0.5 − 0.5), 0, 0]") {
    Result r = run(Op::Softmax, {z}, c, prec);
    CHECK(r.value.data == std::vector<double>{1, 0, 0});
    CHECK(r.grads[0].data == std::vector<double>{0, 0, 0});
  }
  SECTION("log_softmax: [0, −2000, −1000]; dx = c − softmax·Σc = [0.5 − 1.5, −1, 2]") {
    Result r = run(Op::LogSoftmax, {z}, c, prec);
    CHECK(r.value.data == std::vector<double>{0, -2000, -1000});
    CHECK(r.grads[0].data == std::vector<double>{-1, -1, 2});
  }
  SECTION("cross_entropy: target on the losing logit costs 2000") {
    // ce = −log_softmax(z)[1] = 2000; d/dz = softmax − y = [1, −1, 0]; d/dy = −log_softmax.
    Result r = run(Op::CrossEntropy, {Tensor{{1, 3}, {1000, -1000, 0}}, Tensor{{1, 3}, {0, 1, 0}}},
                   Tensor::scalar(1), prec);
    CHECK(r.value.data[0] == 2000);
    CHECK(r.grads[0].data == std::vector<double>{1, -1, 0});
    CHECK(r.grads[1].data == std::vector<double>{0, 2000, 1000});
    // On the winning logit the loss is exactly 0 and the gradient softmax − y = 0.
    Result w = run(Op::CrossEntropy, {Tensor{{1, 3}, {1000, -1000, 0}}, Tensor{{1, 3}, {1, 0, 0}}},
                   Tensor::scalar(1), prec);
    CHECK(w.value.data[0] == 0);
    CHECK(w.grads[0].data == std::vector<double>{0, 0, 0});
  }
  SECTION("softplus: [1000, 0, ln 2]; d = c ⊙ σ(z) = [0.5, 0, 1]") {
    Result r = run(Op::Softplus, {z}, c, prec);
    CHECK(r.value.data[0] == 1000);
    CHECK(r.value.data[1] == 0);
    CHECK(r.value.data[2] == Approx(std::log(2.0)).epsilon(prec == Precision::F32 ? 1e-7 : 1e-15));
    CHECK(r.grads[0].data == std::vector<double>{0.5, 0, 1});
  }
  SECTION("sigmoid: [1, 0, 1/2]; σ' = σ(1 − σ) = [0, 0, 1/4]") {
    Result r = run(Op::Sigmoid, {z}, c, prec);
    CHECK(r.value.data == std::vector<double>{1, 0, 0.5});
    CHECK(r.grads[0].data == std::vector<double>{0, 0, 0.5});
  }
  SECTION("bce_logits: wrong by 1000 twice gives 1000; d/dz = (σ(z) − y)/2, d/dy = −z/2") {
    Result r = run(Op::BceLogits, {Tensor{{2}, {1000, -1000}}, Tensor{{2}, {0, 1}}}, Tensor::scalar(1), prec);
    CHECK(r.value.data[0] == 1000);
    CHECK(r.grads[0].data == std::vector<double>{0.5, -0.5});
    CHECK(r.grads[1].data == std::vector<double>{-500, 500});
    Result ok = run(Op::BceLogits, {Tensor{{2}, {1000, -1000}}, Tensor{{2}, {1, 0}}}, Tensor::scalar(1), prec);
    CHECK(ok.value.data[0] == 0);
    CHECK(ok.grads[0].data == std::vector<double>{0, 0});
  }
  SECTION("bce at p in {0, 1}: logs clamped at -100, d/dp over max(p(1 - p), 1e-12), as PyTorch") {
    Result r = run(Op::Bce, {Tensor{{5}, {0, 1, 0, 1, 0.5}}, Tensor{{5}, {0, 1, 1, 0, 0.5}}}, Tensor::scalar(1), prec);
    CHECK(r.value.data[0] == Approx((200 + std::log(2.0)) / 5).epsilon(1e-6));
    const std::vector<double> dp{0, 0, -2e11, 2e11, 0}, dy{20, -20, 20, -20, 0};
    for (size_t i = 0; i < 5; ++i) {
      CHECK(r.grads[0].data[i] == Approx(dp[i]).epsilon(1e-6));
      CHECK(r.grads[1].data[i] == Approx(dy[i]).epsilon(1e-6));
    }
  }
  SECTION("a [2, 3] batch of extreme rows along axis 1") {
    Tensor zz{{2, 3}, {1000, -1000, 0, -1000, 0, 1000}};
    Result r = run(Op::LogSoftmax, {zz}, Tensor{{2, 3}, {1, 1, 1, 1, 1, 1}}, prec, 1);
    finite(r.value);
    finite(r.grads[0]);
    CHECK(r.grads[0].data == std::vector<double>{-2, 1, 1, 1, 1, -2});
  }
}

TEST_CASE("softmax, log_softmax and cross_entropy keep full precision at logits of 1e8", "[gradcheck][stability]") {
  // z = [a, a, a − 1] for any a: log_softmax = [−L, −L, −1 − L] with L = log(2 + e^−1);
  // computing z − (max + log Σ) instead rounds at the scale of a (1e-9 relative at a = 1e8).
  const double a = 1e8, big_l = std::log(2.0 + std::exp(-1.0));
  Tensor z{{3}, {a, a, a - 1}};
  Tensor c{{3}, {0, 0, 0}};
  Result lsm = run(Op::LogSoftmax, {z}, c, Precision::F64);
  CHECK(lsm.value.data[0] == Approx(-big_l).epsilon(1e-15));
  CHECK(lsm.value.data[2] == Approx(-1 - big_l).epsilon(1e-15));
  Result sm = run(Op::Softmax, {z}, c, Precision::F64);
  CHECK(sm.value.data[0] == Approx(std::exp(-big_l)).epsilon(1e-15));
  CHECK(sm.value.data[0] + sm.value.data[1] + sm.value.data[2] == Approx(1.0).epsilon(1e-15));
  Result ce = run(Op::CrossEntropy, {Tensor{{1, 3}, {a, a, a - 1}}, Tensor{{1, 3}, {0, 0, 1}}}, Tensor{{}, {0}},
                  Precision::F64);
  CHECK(ce.value.data[0] == Approx(1 + big_l).epsilon(1e-15));
}
