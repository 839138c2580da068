// Every non-leaf op of the op table, at random shapes and points: its vjp rule (evaluated by
// the interpreter) against central finite differences of L = sum(op(x) ⊙ C) along random
// directions, and the VJP identity ⟨t, vjp(C)⟩ = ⟨jvp(t), C⟩ with jvp by finite differences.
// Driven by iterating the table: a new elementwise, loss or reduction op is covered by its
// row; ops with special attributes need one entry in special_cases() (the test says so).
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <sstream>

#include "gradcheck/op_harness.h"
#include "gradgen/init.hpp"
#include "support/error.h"

using namespace gg;
using namespace gg::test;

namespace {

struct Case {
  std::vector<std::vector<int64_t>> shapes;
  Attrs attrs;
};

Case mk(std::vector<std::vector<int64_t>> shapes, int axis = 0, std::vector<int64_t> attr_shape = {}) {
  Case c{std::move(shapes), {}};
  c.attrs.axis = axis;
  for (int64_t d : attr_shape) c.attrs.shape.push_back(Dim::fixed(d));
  return c;
}

// Ops whose attributes the flag-driven defaults cannot guess.
std::map<Op, std::vector<Case>> special_cases() {
  return {
      {Op::MatMul, {mk({{3, 4}, {4, 2}}), mk({{1, 3}, {3, 1}})}},
      {Op::Transpose, {mk({{3, 4}}), mk({{1, 5}})}},
      {Op::SumAxis, {mk({{3, 4}}, 0), mk({{3, 4}}, 1), mk({{5}}, 0)}},
      {Op::MeanAxis, {mk({{3, 4}}, 0), mk({{3, 4}}, 1), mk({{5}}, 0)}},
      {Op::SumTo, {mk({{3, 4}}, 0, {4}), mk({{3, 4}}, 0, {3, 1}), mk({{2, 3}}, 0, {}), mk({{3, 4}}, 0, {3, 4})}},
      {Op::BroadcastTo, {mk({{4}}, 0, {3, 4}), mk({{3, 1}}, 0, {3, 4}), mk({{}}, 0, {2, 3})}},
      {Op::Unsqueeze, {mk({{3, 4}}, 0), mk({{3, 4}}, 1), mk({{3, 4}}, 2), mk({{}}, 0)}},
      {Op::Softmax, {mk({{3, 4}}, 1), mk({{3, 4}}, 0), mk({{5}}, 0)}},
      {Op::LogSoftmax, {mk({{3, 4}}, 1), mk({{3, 4}}, 0), mk({{5}}, 0)}},
      {Op::Index, {mk({{3, 4}}, 5), mk({{6}}, 0), mk({{}}, 0)}},
      {Op::Scatter, {mk({{}}, 7, {3, 4}), mk({{}}, 0, {5})}},
      {Op::Pack, {mk({{}, {}, {}, {}, {}, {}}, 0, {2, 3}), mk({{}}, 0, {1}), mk({{}, {}}, 0, {2})}},
  };
}

// Defaults from the row's flags: elementwise ops get broadcasting cases, losses matching
// shapes, full reductions a matrix, a vector and a scalar.
std::vector<Case> default_cases(const OpInfo& r) {
  bool ew = r.flags & kElementwise;
  if (ew && r.arity == 1) return {mk({{3, 4}}), mk({{5}}), mk({{}})};
  if (ew && r.arity == 2)
    return {mk({{3, 4}, {3, 4}}), mk({{3, 4}, {4}}), mk({{4}, {3, 4}}), mk({{3, 1}, {1, 4}}), mk({{}, {2, 3}})};
  if (ew && r.arity == 3) return {mk({{3, 4}, {3, 4}, {3, 4}}), mk({{3, 1}, {4}, {}})};
  if (r.flags & kLoss) return {mk({{3, 4}, {3, 4}}), mk({{5}, {5}}), mk({{1, 4}, {1, 4}})};
  if ((r.flags & kReduction) && r.arity == 1) return {mk({{3, 4}}), mk({{5}}), mk({{}})};
  return {};
}

// Attribute values (alpha, exponent) to try; other ops ignore attrs.value.
std::vector<double> attr_values(Op op) {
  static const std::map<Op, std::vector<double>> values{
      {Op::LeakyRelu, {0.01, 0.2}}, {Op::LeakyStep, {0.2}}, {Op::Pow, {2, 3, 0.5, -1.5, 1, 0}}};
  auto it = values.find(op);
  return it != values.end() ? it->second : std::vector<double>{0.0};
}

// Operands the rule must not differentiate (they get Input leaves and no perturbation).
bool constant_operand(Op op, size_t i) { return op == Op::Select && i == 0; }

using Domain = double (*)(size_t operand, rt::Rng& rng);

double sign(rt::Rng& r) { return r.uniform01() < 0.5 ? -1.0 : 1.0; }
double any_real(size_t, rt::Rng& r) { return r.uniform(-2, 2); }
double positive(size_t, rt::Rng& r) { return r.uniform(0.5, 2.0); }
double off_zero(size_t, rt::Rng& r) { return sign(r) * r.uniform(0.2, 2.0); }
// Comparisons: operands on disjoint grids, never within 0.5 of a tie.
double off_ties(size_t i, rt::Rng& r) { return std::floor(r.uniform(-2, 2)) + (i == 0 ? 0.5 : 0.0); }

// Points per (op, operand): any real by default; the exceptions keep away from kinks,
// poles and domain edges by more than the finite-difference step.
double sample(Op op, size_t i, rt::Rng& rng) {
  static const std::map<Op, Domain> domains{
      {Op::Log, positive},
      {Op::Sqrt, positive},
      {Op::Pow, positive},
      {Op::Log1p, [](size_t, rt::Rng& r) { return r.uniform(-0.5, 2.0); }},
      {Op::Log2, positive},
      {Op::Log10, positive},
      {Op::Tan, [](size_t, rt::Rng& r) { return r.uniform(-1.2, 1.2); }},  // away from the poles at ±π/2
      {Op::Power, [](size_t k, rt::Rng& r) { return k == 0 ? positive(k, r) : any_real(k, r); }},
      {Op::Relu, off_zero},
      {Op::LeakyRelu, off_zero},
      {Op::Abs, off_zero},
      {Op::Step, off_zero},
      {Op::LeakyStep, off_zero},
      {Op::Sign, off_zero},
      {Op::Div, [](size_t k, rt::Rng& r) { return k == 1 ? off_zero(k, r) : any_real(k, r); }},
      {Op::Bce, [](size_t k, rt::Rng& r) { return k == 0 ? r.uniform(0.05, 0.95) : r.uniform(0, 1); }},
      {Op::BceLogits, [](size_t k, rt::Rng& r) { return k == 0 ? r.uniform(-3, 3) : r.uniform(0, 1); }},
      {Op::CrossEntropy, [](size_t k, rt::Rng& r) { return k == 0 ? r.uniform(-3, 3) : r.uniform(0.1, 1); }},
      {Op::Select, [](size_t k, rt::Rng& r) { return k == 0 ? (r.uniform01() < 0.5 ? 0.0 : 1.0) : any_real(k, r); }},
      {Op::Less, off_ties},
      {Op::LessEq, off_ties},
      {Op::Equal, off_ties},
  };
  auto it = domains.find(op);
  return (it != domains.end() ? it->second : any_real)(i, rng);
}

// Cross-entropy targets as probability rows: normalise along the last axis. (Other runs keep
// rows that do not sum to 1, which the loss's definition and gradient also cover.)
void normalise_rows(Tensor& y) {
  int64_t k = y.shape.empty() ? 1 : y.shape.back();
  for (int64_t r = 0; r < y.numel() / k; ++r) {
    double s = 0;
    for (int64_t j = 0; j < k; ++j) s += y.data[r * k + j];
    for (int64_t j = 0; j < k; ++j) y.data[r * k + j] /= s;
  }
}

Tensor random_tensor(const std::vector<int64_t>& shape, rt::Rng& rng, double (*f)(rt::Rng&)) {
  Tensor t = Tensor::zeros(shape);
  for (double& v : t.data) v = f(rng);
  return t;
}

// A direction with entries of size at most 1, so h·t stays below the step h.
Tensor direction(const std::vector<int64_t>& shape, rt::Rng& rng) {
  Tensor t = random_tensor(shape, rng, [](rt::Rng& r) { return r.normal(); });
  double m = 1e-300;
  for (double v : t.data) m = std::max(m, std::fabs(v));
  for (double& v : t.data) v /= m;
  return t;
}

// Central differences with one Richardson step: error O(h⁴) instead of O(h²).
template <class F>
Tensor directional(F f, double h) {
  auto central = [&](double hh) {
    Tensor p = f(hh), m = f(-hh);
    for (size_t i = 0; i < p.data.size(); ++i) p.data[i] = (p.data[i] - m.data[i]) / (2 * hh);
    return p;
  };
  Tensor a = central(h), b = central(h / 2);
  for (size_t i = 0; i < a.data.size(); ++i) a.data[i] = (4 * b.data[i] - a.data[i]) / 3;
  return a;
}

constexpr double kStep = 1e-4;
constexpr double kRelTol = 1e-7;

// |a − b| within kRelTol of the largest magnitude involved (scale: Σ|t·g|, the size of the
// terms whose sum is compared, so cancellation does not make the test flaky).
bool close(double a, double b, double scale) {
  return std::fabs(a - b) <= kRelTol * std::max({std::fabs(a), std::fabs(b), scale});
}

double abs_dot(const Tensor& a, const Tensor& b) {
  double s = 0;
  for (size_t i = 0; i < a.data.size(); ++i) s += std::fabs(a.data[i] * b.data[i]);
  return s;
}

std::string shapes_str(const Case& c) {
  std::ostringstream os;
  for (const auto& s : c.shapes) {
    os << "[";
    for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
    os << "] ";
  }
  os << "axis=" << c.attrs.axis << " value=" << c.attrs.value;
  return os.str();
}

// Replaces every size-3 dim by the symbol n (bound to 3): shows Count resolves at run time.
Shape to_shape(const std::vector<int64_t>& s, bool symbolic) {
  Shape out;
  for (int64_t d : s) out.push_back(symbolic && d == 3 ? Dim::named("n") : Dim::fixed(d));
  return out;
}

void check_case(const OpInfo& row, const Case& cs, bool symbolic, bool prob_rows, uint64_t seed) {
  INFO(row.name << " " << shapes_str(cs) << (symbolic ? " (n symbolic)" : "") << " seed " << seed);
  std::vector<Shape> shapes;
  std::vector<bool> constant;
  for (size_t i = 0; i < cs.shapes.size(); ++i) {
    shapes.push_back(to_shape(cs.shapes[i], symbolic));
    constant.push_back(constant_operand(row.op, i));
  }
  Attrs attrs = cs.attrs;
  attrs.shape = to_shape(concrete(cs.attrs.shape, {}), symbolic);
  auto h = OpHarness::build(row.op, shapes, attrs, constant);
  DimBindings dims{{"n", 3}};

  rt::Rng rng(seed, row.name);
  Values x;
  for (size_t i = 0; i < cs.shapes.size(); ++i) {
    Tensor t = Tensor::zeros(cs.shapes[i]);
    for (double& v : t.data) v = sample(row.op, i, rng);
    if (row.op == Op::CrossEntropy && i == 1 && prob_rows) normalise_rows(t);
    x[name_of(i)] = t;
  }
  x["C"] = random_tensor(concrete(h->node->shape, dims), rng, [](rt::Rng& r) { return r.uniform(-1, 1); });

  Interpreter at_x(x, dims);
  std::vector<Tensor> grad(cs.shapes.size());
  for (size_t i = 0; i < cs.shapes.size(); ++i) {
    if (constant[i]) {
      CHECK(h->grads[i] == nullptr);  // e.g. no gradient into select's condition
      continue;
    }
    grad[i] = h->grads[i] ? at_x.eval(h->grads[i]) : Tensor::zeros(cs.shapes[i]);
    REQUIRE(grad[i].shape == cs.shapes[i]);
    for (double v : grad[i].data) REQUIRE(std::isfinite(v));
  }

  // Finite differences of L along a random direction in one operand at a time.
  for (size_t i = 0; i < cs.shapes.size(); ++i) {
    if (constant[i]) continue;
    Tensor t = direction(cs.shapes[i], rng);
    auto L_along = [&](double eps) {
      Values y = x;
      for (size_t k = 0; k < t.data.size(); ++k) y[name_of(i)].data[k] += eps * t.data[k];
      return value_at(h->L, y, dims);
    };
    double fd = directional(L_along, kStep).data[0];
    double an = dot(t, grad[i]);
    INFO("operand " << i << ": finite difference " << fd << ", vjp rule " << an);
    CHECK(close(fd, an, abs_dot(t, grad[i])));
  }

  // VJP identity with a joint direction: ⟨t, vjp(C)⟩ = ⟨jvp(t), C⟩.
  std::map<size_t, Tensor> t;
  double lhs = 0, scale = 0;
  for (size_t i = 0; i < cs.shapes.size(); ++i) {
    if (constant[i]) continue;
    t[i] = direction(cs.shapes[i], rng);
    lhs += dot(t[i], grad[i]);
    scale += abs_dot(t[i], grad[i]);
  }
  auto out_along = [&](double eps) {
    Values y = x;
    for (const auto& [i, ti] : t)
      for (size_t k = 0; k < ti.data.size(); ++k) y[name_of(i)].data[k] += eps * ti.data[k];
    return value_at(h->node, y, dims);
  };
  Tensor jvp = directional(out_along, kStep);
  double rhs = dot(jvp, x["C"]);
  INFO("vjp identity: <t, vjp(C)> = " << lhs << ", <jvp(t), C> = " << rhs);
  CHECK(close(lhs, rhs, std::max(scale, abs_dot(jvp, x["C"]))));
}

}  // namespace

TEST_CASE("every op's gradient rule matches finite differences", "[gradcheck]") {
  auto special = special_cases();
  for (const OpInfo& row : op_table()) {
    if (row.arity == 0) continue;
    if (row.op == Op::ToFloat) continue;  // a staircase, no finite difference: see the next test
    auto it = special.find(row.op);
    std::vector<Case> cases = it != special.end() ? it->second : default_cases(row);
    INFO("op " << row.name);
    if (cases.empty()) FAIL("no gradcheck cases for op '" << row.name << "': add it to special_cases()");
    // Index, Scatter and Pack need static sizes (their element index is checked at build time).
    bool symbolic_ok = row.op != Op::Index && row.op != Op::Scatter && row.op != Op::Pack;
    uint64_t seed = 1;
    for (Case c : cases)
      for (double value : attr_values(row.op)) {
        c.attrs.value = value;
        check_case(row, c, false, true, seed++);
        check_case(row, c, false, false, seed++);
        if (symbolic_ok) check_case(row, c, true, true, seed++);
      }
  }
}

// to_float (a C++ float value inside a double function) rounds to float and passes the
// gradient through unchanged, as a cast does in PyTorch; a finite difference of the staircase
// measures its steps, not a derivative.
TEST_CASE("to_float rounds each element to float and passes the gradient through", "[gradcheck]") {
  auto h = OpHarness::build(Op::ToFloat, {Shape{Dim::fixed(3)}}, {});
  Values v;
  v["x0"] = Tensor{{3}, {0.1, -1e40, 1.0 / 3.0}};
  v["C"] = Tensor{{3}, {2.0, -0.5, 7.0}};
  const Tensor out = value_at(h->node, v, {});
  CHECK(out.data[0] == static_cast<double>(0.1f));
  CHECK(std::isinf(out.data[1]));
  CHECK(out.data[2] == static_cast<double>(1.0f / 3.0f));
  REQUIRE(h->grads[0]);
  CHECK(value_at(h->grads[0], v, {}).data == v["C"].data);
}
