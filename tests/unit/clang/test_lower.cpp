// The C++ front end lowers annotated functions into Programs whose loss matches the natively
// compiled function and whose gradients (autodiff + simplification, evaluated by the reference
// interpreter) match central finite differences of the native function.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "autodiff/reverse.h"
#include "emit/equations.h"
#include "frontend/clang/load_cpp.h"
#include "frontend/grad/load.h"
#include "interp/interpreter.h"
#include "ir/printer.h"
#include "passes/pipeline.h"
#include "unit/clang/suite.hpp"

using namespace gg;

namespace {

using Point = std::map<std::string, std::vector<double>>;
using Native = std::function<double(const Point&)>;

const std::string kSuite = std::string(GG_SOURCE_DIR) + "/tests/unit/clang/suite.hpp";

/// Lowers the suite once (Clang is slow); each test takes its function's Program.
Program take(const std::string& name) {
  static std::map<std::string, Program> programs = [] {
    Diagnostics diags;
    std::string rendered;
    auto ps = load_cpp_file(kSuite, CppOptions{}, diags, rendered);
    INFO(rendered);
    REQUIRE(ps);
    std::map<std::string, Program> m;
    for (Program& p : *ps) m.emplace(p.name, std::move(p));
    return m;
  }();
  auto it = programs.find(name);
  if (it == programs.end()) {  // already taken: lower just this function again
    Diagnostics diags;
    std::string rendered;
    auto ps = load_cpp_file(kSuite, CppOptions{{}, name}, diags, rendered);
    REQUIRE(ps);
    REQUIRE(ps->size() == 1);
    return std::move(ps->front());
  }
  Program p = std::move(it->second);
  programs.erase(it);
  return p;
}

Values to_values(const Program& p, const Point& x) {
  Values v;
  for (const Leaf& l : p.leaves) {
    Tensor t;
    for (const Dim& d : l.node->shape) t.shape.push_back(d.size);
    t.data = x.at(l.name);
    REQUIRE(static_cast<int64_t>(t.data.size()) == Tensor::zeros(t.shape).numel());
    v[l.name] = t;
  }
  return v;
}

/// Loss equals the native value; every produced gradient equals central differences of the
/// native function (f64, relative 1e-7); params not listed in `diff` get no gradient.
void check_against_native(Program p, const Point& x, const Native& f, const std::vector<std::string>& diff) {
  differentiate_and_optimize(p, PipelineOptions{});
  EvalResult r = evaluate(p, to_values(p, x), Precision::F64);
  double f0 = f(x);
  CHECK(r.loss == Approx(f0).epsilon(1e-12).margin(1e-12));
  std::vector<std::string> got;
  for (const auto& [name, g] : r.grads) got.push_back(name);
  CHECK(got.size() == diff.size());
  for (const std::string& name : diff) {
    REQUIRE(r.grads.count(name));
    const Tensor& g = r.grads.at(name);
    REQUIRE(g.data.size() == x.at(name).size());
    for (size_t i = 0; i < g.data.size(); ++i) {
      Point hi = x, lo = x;
      double h = 1e-6 * std::max(1.0, std::fabs(x.at(name)[i]));
      hi[name][i] += h;
      lo[name][i] -= h;
      double fd = (f(hi) - f(lo)) / (2 * h);
      INFO(p.name << ": d/d" << name << "[" << i << "] = " << g.data[i] << ", finite difference " << fd);
      CHECK(std::fabs(g.data[i] - fd) <= 1e-7 * std::max(1.0, std::fabs(fd)));
    }
  }
}

std::vector<double> random_vec(std::mt19937_64& rng, size_t n, double lo, double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(n);
  for (double& x : v) x = u(rng);
  return v;
}

/// Lowers suite function `name` afresh for each point (loads are not shared between points)
/// and checks it against `native` there.
void check_at_points(const std::string& name, const std::vector<Point>& points, const Native& native,
                     const std::vector<std::string>& diff) {
  for (const Point& x : points) {
    Diagnostics diags;
    std::string rendered;
    auto ps = load_cpp_file(kSuite, CppOptions{{}, name}, diags, rendered);
    INFO(rendered);
    REQUIRE(ps);
    REQUIRE(ps->size() == 1);
    check_against_native(std::move(ps->front()), x, native, diff);
  }
}

/// Points (x, y) of a function of two scalars named x and y.
std::vector<Point> xy(std::initializer_list<std::pair<double, double>> pairs) {
  std::vector<Point> out;
  for (auto [x, y] : pairs) out.push_back({{"x", {x}}, {"y", {y}}});
  return out;
}

template <size_t N>
void fill(double (&dst)[N], const std::vector<double>& src) {
  for (size_t i = 0; i < N; ++i) dst[i] = src[i];
}
template <size_t R, size_t C>
void fill(double (&dst)[R][C], const std::vector<double>& src) {
  for (size_t i = 0; i < R * C; ++i) dst[i / C][i % C] = src[i];
}
template <class A>
A as(const std::vector<double>& src) {
  A a{};
  for (size_t i = 0; i < src.size(); ++i) {
    if constexpr (requires { a.data[0]; }) a.data[i] = src[i];
    else a[i] = src[i];
  }
  return a;
}

}  // namespace

TEST_CASE("rosenbrock lowers and differentiates", "[clang][gradient]") {
  Program p = take("rosenbrock");
  CHECK(p.precision == Precision::F64);
  REQUIRE(p.leaves.size() == 2);
  CHECK(p.leaves[0].kind == LeafKind::Param);
  CHECK(p.find_definition("a"));
  CHECK(p.find_definition("b"));
  // d/dx = −2(1−x) − 400x(y−x²), d/dy = 200(y−x²): at (0.5, 1) that is −151 and 150.
  Point x{{"x", {0.5}}, {"y", {1.0}}};
  differentiate_and_optimize(p, PipelineOptions{});
  EvalResult r = evaluate(p, to_values(p, x), Precision::F64);
  CHECK(r.loss == Approx(0.25 + 100 * 0.5625));
  CHECK(r.grads.at("x").data[0] == Approx(-1.0 - 150.0));
  CHECK(r.grads.at("y").data[0] == Approx(150.0));
}

TEST_CASE("rosenbrock matches finite differences at random points", "[clang][gradient]") {
  std::mt19937_64 rng(1);
  Point x{{"x", random_vec(rng, 1, -2, 2)}, {"y", random_vec(rng, 1, -2, 2)}};
  check_against_native(take("rosenbrock"), x, [](const Point& q) { return suite::rosenbrock(q.at("x")[0], q.at("y")[0]); },
                       {"x", "y"});
}

TEST_CASE("logistic regression over C arrays, gradient w.r.t. named params only", "[clang][gradient]") {
  std::mt19937_64 rng(2);
  Point x{{"w", random_vec(rng, 3, -1, 1)}, {"b", {0.3}}, {"x", random_vec(rng, 3, -2, 2)}, {"y", {1.0}}};
  Program p = take("logistic");
  CHECK(p.find_leaf("x")->kind == LeafKind::Input);
  CHECK(p.find_leaf("w")->node->shape == Shape{Dim::fixed(3)});
  check_against_native(std::move(p), x,
                       [](const Point& q) {
                         double w[3], xx[3];
                         fill(w, q.at("w"));
                         fill(xx, q.at("x"));
                         return suite::logistic(w, q.at("b")[0], xx, q.at("y")[0]);
                       },
                       {"w", "b"});
}

TEST_CASE("polynomial with std::array and pow", "[clang][gradient]") {
  std::mt19937_64 rng(3);
  Point x{{"c", random_vec(rng, 5, 0.5, 1.5)}, {"x", {1.3}}};
  check_against_native(take("polynomial"), x,
                       [](const Point& q) { return suite::polynomial(as<std::array<double, 5>>(q.at("c")), q.at("x")[0]); },
                       {"c", "x"});
}

TEST_CASE("known integers follow C++: unsigned wrap-around, narrowing, 64-bit unsigned", "[clang][gradient]") {
  check_against_native(take("integer_semantics"), Point{{"x", {0.7}}},
                       [](const Point& q) { return suite::integer_semantics(q.at("x")[0]); }, {"x"});
}

TEST_CASE("known floating-point values convert to integers as C++ does", "[clang][gradient]") {
  std::mt19937_64 rng(9);
  Point x{{"a", random_vec(rng, 8, -1, 1)}, {"x", {0.3}}};
  check_against_native(take("float_to_int"), x,
                       [](const Point& q) {
                         double a[8];
                         fill(a, q.at("a"));
                         return suite::float_to_int(a, q.at("x")[0]);
                       },
                       {"a", "x"});
}

TEST_CASE("dot product over pointer parameters with extents", "[clang][gradient]") {
  std::mt19937_64 rng(4);
  Point x{{"a", random_vec(rng, 4, -1, 1)}, {"b", random_vec(rng, 4, -1, 1)}};
  Program p = take("dot");
  CHECK(p.find_leaf("a")->node->shape == Shape{Dim::fixed(4)});
  check_against_native(std::move(p), x, [](const Point& q) { return suite::dot(q.at("a").data(), q.at("b").data()); },
                       {"a", "b"});
}

TEST_CASE("softmax cross-entropy over arrays with a data-dependent max", "[clang][gradient]") {
  std::mt19937_64 rng(5);
  Point x{{"z", random_vec(rng, 5, -3, 3)}, {"y", {0.1, 0.2, 0.3, 0.4, 0.0}}};
  check_against_native(take("softmax_xent"), x,
                       [](const Point& q) {
                         double z[5], y[5];
                         fill(z, q.at("z"));
                         fill(y, q.at("y"));
                         return suite::softmax_xent(z, y);
                       },
                       {"z"});
}

TEST_CASE("RNN-like recurrence over 16 steps", "[clang][gradient]") {
  std::mt19937_64 rng(6);
  Point x{{"w", {0.7}}, {"u", {-0.4}}, {"b", {0.1}}, {"x", random_vec(rng, 16, -1, 1)}};
  Program p = take("rnn");
  CHECK(p.find_definition("h_15"));  // h reassigned 16 times: SSA names h, h_1, ..., h_15
  check_against_native(std::move(p), x,
                       [](const Point& q) {
                         return suite::rnn(q.at("w")[0], q.at("u")[0], q.at("b")[0],
                                           as<std::array<double, 16>>(q.at("x")));
                       },
                       {"w", "u", "b"});
}

TEST_CASE("relu, clamp and if/else branches in every region", "[clang][gradient]") {
  // Points chosen inside each piece (away from kinks): a > 1; b < -1; neither.
  std::vector<Point> points;
  for (auto [a, b] : {std::pair{1.7, 0.3}, std::pair{0.4, -1.6}, std::pair{-0.3, 0.6}, std::pair{0.6, 0.9}})
    points.push_back({{"a", {a}}, {"b", {b}}});
  check_at_points("branches", points, [](const Point& q) { return suite::branches(q.at("a")[0], q.at("b")[0]); },
                  {"a", "b"});
}

TEST_CASE("references into arrays stay valid across branches on data", "[clang][gradient]") {
  check_at_points("aliases_across_branches", xy({{0.7, 0.9}, {-0.4, -1.3}, {0.1, 0.3}, {-1.1, 2.2}}),
                  [](const Point& q) { return suite::aliases_across_branches(q.at("x")[0], q.at("y")[0]); }, {"x", "y"});
}

TEST_CASE("writes inside ?:, && and || on data happen only where C++ evaluates them", "[clang][gradient]") {
  check_at_points("side_effects_on_data", xy({{0.7, 0.9}, {-0.4, -1.3}, {1.1, 0.3}, {-1.1, 2.2}}),
                  [](const Point& q) { return suite::side_effects_on_data(q.at("x")[0], q.at("y")[0]); }, {"x", "y"});
}

TEST_CASE("compound assignments to integers convert as C++ does", "[clang][gradient]") {
  check_at_points("compound_to_integers", {Point{{"x", {-0.7}}}, Point{{"x", {0.4}}}, Point{{"x", {1.6}}}},
                  [](const Point& q) { return suite::compound_to_integers(q.at("x")[0]); }, {"x"});
}

TEST_CASE("floating-point loop counters and constants follow C++ arithmetic, float rounding included", "[clang][gradient]") {
  check_at_points("floating_counters", xy({{0.7, 1.3}, {-1.2, 0.4}}),
                  [](const Point& q) { return suite::floating_counters(q.at("x")[0], q.at("y")[0]); }, {"x", "y"});
}

TEST_CASE("values stored in array elements and joined after branches are named: equations grow linearly", "[clang][gradient]") {
  check_at_points("element_updates", {Point{{"x", {0.6}}}, Point{{"x", {0.35}}}},
                  [](const Point& q) { return suite::element_updates(q.at("x")[0]); }, {"x"});
  Program p = take("element_updates");
  differentiate_and_optimize(p, PipelineOptions{});
  const std::string text = render_equations(build_equations(p), Format::Text);
  INFO(text.substr(0, 2000));
  CHECK(text.find("y_0_1 = y_0 · y_0 − y_0") != std::string::npos);
  CHECK(text.find("s_1 = select([0.25 < x], s, x)") != std::string::npos);
  CHECK(text.size() < 20000);  // each of the 12 updates printed its whole history: 3^12 terms, 5 MB
}

TEST_CASE("RK4 over std::array state with a helper, 40 steps", "[clang][gradient]") {
  Program p = take("rk4_oscillator");
  check_against_native(std::move(p), Point{{"k", {2.0}}, {"c", {0.3}}},
                       [](const Point& q) { return suite::rk4_oscillator(q.at("k")[0], q.at("c")[0]); }, {"k", "c"});
}

TEST_CASE("std::pow with a data exponent: values and gradients, also at zero and negative bases", "[clang][gradient]") {
  check_at_points("power_of_data", xy({{1.5, 0.7}, {2.0, -1.5}, {0.3, 2.2}}),
                  [](const Point& q) { return suite::power_of_data(q.at("x")[0], q.at("y")[0]); }, {"x", "y"});
  Program p = take("power_of_data");
  differentiate_and_optimize(p, PipelineOptions{});
  // x = -2, y = 3: (-2)^3 + 2^-6; d/dx = 3·4 + 3·ln2·2^-6; d/dy through log(-2) is NaN, as in C++ and PyTorch.
  EvalResult neg = evaluate(p, to_values(p, {{"x", {-2.0}}, {"y", {3.0}}}), Precision::F64);
  CHECK(neg.loss == Approx(-8.0 + std::pow(2.0, -6.0)));
  CHECK(neg.grads.at("x").data[0] == Approx(12.0 + 3.0 * std::log(2.0) * std::pow(2.0, -6.0)));
  CHECK(std::isnan(neg.grads.at("y").data[0]));
  // x = 0, y = 2: 0^2 + 1; d/dx = 2·0 + 2·ln2, d/dy = 0 (x^y·log x taken as 0 at x = 0) + 0·ln2.
  EvalResult zero = evaluate(p, to_values(p, {{"x", {0.0}}, {"y", {2.0}}}), Precision::F64);
  CHECK(zero.loss == Approx(1.0));
  CHECK(zero.grads.at("x").data[0] == Approx(2.0 * std::log(2.0)));
  CHECK(zero.grads.at("y").data[0] == 0.0);
  // x = 0, y = 0: 0^0 + 1 = 2; d/dx of x^y is y·x^(y−1) = 0·∞, taken as 0 where y = 0 (PyTorch
  // masks it so; x^0 is 1 for every x), and d/dy as above.
  EvalResult both = evaluate(p, to_values(p, {{"x", {0.0}}, {"y", {0.0}}}), Precision::F64);
  CHECK(both.loss == 2.0);
  CHECK(both.grads.at("x").data[0] == 0.0);
  CHECK(both.grads.at("y").data[0] == 0.0);
}

TEST_CASE("log1p and expm1 keep their accuracy near zero", "[clang][gradient]") {
  check_at_points("near_zero", xy({{0.7, -0.4}, {-0.2, 1.3}}),
                  [](const Point& q) { return suite::near_zero(q.at("x")[0], q.at("y")[0]); }, {"x", "y"});
}

TEST_CASE("sinh, cosh, tan, exp2, log2 and log10 are the library's, not rewritten", "[clang][gradient]") {
  check_at_points("library_calls", xy({{0.7, -0.4}, {-2.5, 1.3}, {3.0, 0.5}}),
                  [](const Point& q) { return suite::library_calls(q.at("x")[0], q.at("y")[0]); }, {"x", "y"});
  for (double x : {-3.0, 700.0, 709.5, 710.0}) {  // exp(710) overflows: sinh, cosh do not
    Program p = take("hyperbolic_far");
    differentiate_and_optimize(p, PipelineOptions{});
    EvalResult r = evaluate(p, to_values(p, {{"x", {x}}}), Precision::F64);
    INFO("x = " << x);
    CHECK(r.loss == suite::hyperbolic_far(x));  // exactly: exp2(700) is a power of two
    const double slope = std::cosh(x) * 1e-300 + std::sinh(x) * 1e-300 + std::exp2(x - 300) * std::log(2.0);
    CHECK(r.grads.at("x").data[0] == Approx(slope).epsilon(1e-14));
  }
}

TEST_CASE("a float function computing in double gives the native value bit for bit", "[clang][gradient]") {
  std::mt19937_64 rng(12);
  Program p = take("float_with_double_math");  // lowered once: each load parses the suite
  CHECK(p.precision == Precision::F64);
  differentiate_and_optimize(p, PipelineOptions{});
  for (int i = 0; i < 200; ++i) {
    const float x = static_cast<float>(random_vec(rng, 1, -3, 3)[0]), y = static_cast<float>(random_vec(rng, 1, -3, 3)[0]);
    EvalResult r = evaluate(p, to_values(p, {{"x", {x}}, {"y", {y}}}), Precision::F64);
    INFO("x = " << x << ", y = " << y);
    REQUIRE(r.loss == static_cast<double>(suite::float_with_double_math(x, y)));  // float throughout missed ~1 in 3
  }
}

TEST_CASE("compound assignment into a bool stores != 0", "[clang][gradient]") {
  check_at_points("bool_compound", xy({{1.5, 2.0}, {-1.5, 0.7}, {-2.0, 0.5}, {0.5, -3.0}}),
                  [](const Point& q) { return suite::bool_compound(q.at("x")[0], q.at("y")[0]); }, {"x", "y"});
}

TEST_CASE("a product with a zero constant is not folded: 0 * log(0) is NaN, as in C++", "[clang][gradient]") {
  check_against_native(take("zero_weighted"), {{"p", {0.5, 0.7, 0.25}}},
                       [](const Point& q) { return suite::zero_weighted({q.at("p")[0], q.at("p")[1], q.at("p")[2]}); },
                       {"p"});
  Program p = take("zero_weighted");
  differentiate_and_optimize(p, PipelineOptions{});
  EvalResult r = evaluate(p, to_values(p, {{"p", {0.5, 0.0, 0.25}}}), Precision::F64);
  CHECK(std::isnan(suite::zero_weighted({0.5, 0.0, 0.25})));
  CHECK(std::isnan(r.loss));  // folded, it was log(0.5)/2 + log(0.25)/2
  CHECK(std::isnan(r.grads.at("p").data[1]));  // 0 · (1/0), as PyTorch has it
  CHECK(r.grads.at("p").data[0] == 1.0);
}

TEST_CASE("std::array assignment keeps references into the target", "[clang][gradient]") {
  check_against_native(take("array_assignment"), {{"x", {0.5}}, {"y", {-1.5}}},
                       [](const Point& q) { return suite::array_assignment(q.at("x")[0], q.at("y")[0]); }, {"x", "y"});
}

TEST_CASE("const and constexpr arrays outside the function are read as constants", "[clang][gradient]") {
  check_against_native(take("constant_tables"), {{"x", {0.5}}, {"y", {-1.5}}},
                       [](const Point& q) { return suite::constant_tables(q.at("x")[0], q.at("y")[0]); }, {"x", "y"});
}

TEST_CASE("<cmath> calls on float constants are rounded to float, as C++ computes them", "[clang][gradient]") {
  check_at_points("float_math_constants", {Point{{"x", {1.0}}}, Point{{"x", {-0.3}}}},
                  [](const Point& q) { return suite::float_math_constants(q.at("x")[0]); }, {"x"});
  CHECK(std::fabs(suite::float_math_constants(1.0)) > 0.1);  // zero, were the constants exact
}

TEST_CASE("kinks follow PyTorch: relu'(0) = 0, abs'(0) = 0, fmin/fmax split ties", "[clang][gradient]") {
  Program p = take("branches");
  differentiate_and_optimize(p, PipelineOptions{});
  // a = b = 0: relu(a-b) contributes 0; clamp01(ab) is in its lower piece (ab = 0 is not < 0,
  // not > 1, so v itself: d/da = b = 0); a ≤ 1 and b ≥ −1 so r += sin(b): d/db = cos 0 = 1;
  // fabs'(0) = 0; fmin(0, 0) gives the tie to a (torch.fmin); fmax(cos a, b) = fmax(1, 0)
  // picks cos a: d/da = −sin 0 = 0.
  EvalResult r = evaluate(p, to_values(p, {{"a", {0.0}}, {"b", {0.0}}}), Precision::F64);
  CHECK(r.grads.at("a").data[0] == Approx(1.0));
  CHECK(r.grads.at("b").data[0] == Approx(1.0));
}

namespace {
// Value and gradient of `name` at `at`, by the interpreter after autodiff and simplification.
EvalResult at_point(const std::string& name, const Point& at) {
  Program p = take(name);
  differentiate_and_optimize(p, PipelineOptions{});
  return evaluate(p, to_values(p, at), Precision::F64);
}
std::vector<double> grads_of(const EvalResult& r, const std::vector<std::string>& names) {
  std::vector<double> g;
  for (const std::string& n : names) g.push_back(r.grads.at(n).data[0]);
  return g;
}
}  // namespace

// The value bit for bit as the native function computes it (computed in double, it differs in
// the last bits); the gradient passes through each rounding, so it is compared with central
// differences over a step (1e-3) far above float's (1e-7), at 1e-4.
TEST_CASE("float values of data in a double function are rounded as C++ rounds them", "[clang][gradient]") {
  for (const auto& [x, y] : std::vector<std::pair<double, double>>{{0.3, 0.7}, {1.7, -0.2}, {0.1, 0.1}}) {
    EvalResult r = at_point("float_data", {{"x", {x}}, {"y", {y}}});
    CHECK(r.loss == suite::float_data(x, y));
    const double h = 1e-3;
    const double dx = (suite::float_data(x + h, y) - suite::float_data(x - h, y)) / (2 * h);
    const double dy = (suite::float_data(x, y + h) - suite::float_data(x, y - h)) / (2 * h);
    CHECK(r.grads.at("x").data[0] == Approx(dx).epsilon(1e-4));
    CHECK(r.grads.at("y").data[0] == Approx(dy).epsilon(1e-4));
  }
}

TEST_CASE("a for loop without a condition runs until its break", "[clang][gradient]") {
  std::mt19937_64 rng(11);
  check_against_native(take("for_break"), {{"a", random_vec(rng, 8, -1, 1)}},
                       [](const Point& q) {
                         double a[8];
                         fill(a, q.at("a"));
                         return suite::for_break(a);
                       },
                       {"a"});
}

TEST_CASE("NAN, INFINITY, HUGE_VAL and std::numeric_limits are constants", "[clang][gradient]") {
  check_against_native(take("limits_constants"), {{"x", {0.5}}, {"y", {-1.5}}},
                       [](const Point& q) { return suite::limits_constants(q.at("x")[0], q.at("y")[0]); }, {"x", "y"});
}

TEST_CASE("bool constants are 1 in arithmetic, comparisons and indices", "[clang][gradient]") {
  std::mt19937_64 rng(12);
  check_against_native(take("bool_constants"), {{"a", random_vec(rng, 3, -1, 1)}, {"x", {0.75}}},
                       [](const Point& q) {
                         double a[3];
                         fill(a, q.at("a"));
                         return suite::bool_constants(a, q.at("x")[0]);
                       },
                       {"a", "x"});
}

TEST_CASE("unroll pragmas and [[likely]] are hints that change no value", "[clang][gradient]") {
  std::mt19937_64 rng(13);
  for (double x : {0.75, -0.5}) {
    check_against_native(take("compiler_hints"), {{"a", random_vec(rng, 4, -1, 1)}, {"x", {x}}},
                         [](const Point& q) {
                           double a[4];
                           fill(a, q.at("a"));
                           return suite::compiler_hints(a, q.at("x")[0]);
                         },
                         {"a", "x"});
  }
}

// std::clamp is v < lo ? lo : hi < v ? hi : v, so at a bound it returns v, and torch.clamp
// passes v's gradient there (lo <= v <= hi); the old lowering, max then min, split it 1/2.
TEST_CASE("std::clamp passes v's gradient at its bounds, as torch.clamp", "[clang][gradient]") {
  const std::vector<std::string> vars{"v", "lo", "hi"};
  struct Case {
    double v, value;
    std::vector<double> grad;  // d/dv, d/dlo, d/dhi
  };
  for (const Case& c : {Case{-1, -1, {1, 0, 0}}, Case{1, 1, {1, 0, 0}}, Case{0.5, 0.5, {1, 0, 0}},
                        Case{-3, -1, {0, 1, 0}}, Case{3, 1, {0, 0, 1}}}) {
    INFO("v = " << c.v);
    EvalResult r = at_point("clamp_kink", {{"v", {c.v}}, {"lo", {-1}}, {"hi", {1}}});
    CHECK(r.loss == c.value);
    CHECK(grads_of(r, vars) == c.grad);
  }
}

// fmax(a, b) + 2 fmin(a, b): torch.fmax/fmin give a tie to a; C's fmax/fmin return the other
// operand when one is NaN. max(a, b) + 2 min(a, b): torch.maximum/minimum split a tie.
TEST_CASE("std::fmax and std::fmin: ties to the first argument, NaN ignored, std::max and std::min split ties", "[clang][gradient]") {
  EvalResult tie = at_point("fmax_kink", {{"a", {2}}, {"b", {2}}});
  CHECK(tie.loss == 6);
  CHECK(grads_of(tie, {"a", "b"}) == std::vector<double>{3, 0});
  EvalResult apart = at_point("fmax_kink", {{"a", {1}}, {"b", {2}}});
  CHECK(apart.loss == 4);
  CHECK(grads_of(apart, {"a", "b"}) == std::vector<double>{2, 1});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(at_point("fmax_kink", {{"a", {nan}}, {"b", {2}}}).loss == 6);
  CHECK(at_point("fmax_kink", {{"a", {2}}, {"b", {nan}}}).loss == 6);
  EvalResult split = at_point("max_kink", {{"a", {2}}, {"b", {2}}});
  CHECK(split.loss == 6);
  CHECK(grads_of(split, {"a", "b"}) == std::vector<double>{1.5, 1.5});
  // std::max(a, b) is a < b ? b : a, std::min(a, b) is b < a ? b : a: a NaN b gives a, and a
  // NaN a gives NaN. A tie at 1e308 does not overflow (it was computed as (a + b) / 2).
  EvalResult a_only = at_point("max_kink", {{"a", {2}}, {"b", {nan}}});
  CHECK(a_only.loss == 6);
  CHECK(grads_of(a_only, {"a"}) == std::vector<double>{3});
  CHECK(std::isnan(at_point("max_kink", {{"a", {nan}}, {"b", {2}}}).loss));
  EvalResult big = at_point("max_of_huge", {{"a", {1e308}}, {"b", {1e308}}});
  CHECK(big.loss == suite::max_of_huge(1e308, 1e308));
  CHECK(grads_of(big, {"a", "b"}) == std::vector<double>{1e-300, 1e-300});
}

TEST_CASE("helper calls with out-parameters and std::array by value are inlined", "[clang][gradient]") {
  std::mt19937_64 rng(7);
  Point x{{"x", random_vec(rng, 2, -1, 1)}, {"W", random_vec(rng, 6, -1, 1)}, {"b", random_vec(rng, 3, -1, 1)}};
  Program p = take("helpers");
  CHECK(p.find_leaf("W")->node->shape == Shape{Dim::fixed(6)});  // 2-D arrays are fed flat
  check_against_native(std::move(p), x,
                       [](const Point& q) {
                         double xx[2], W[2][3], b[3];
                         fill(xx, q.at("x"));
                         fill(W, q.at("W"));
                         fill(b, q.at("b"));
                         return suite::helpers(xx, W, b);
                       },
                       {"x", "W", "b"});
}

namespace {
Point seed_point() {
  std::mt19937_64 rng(8);
  return {{"X", random_vec(rng, 8, -1, 1)},  {"Y", random_vec(rng, 4, -1, 1)}, {"W1", random_vec(rng, 6, -1, 1)},
          {"b1", random_vec(rng, 3, -1, 1)}, {"W2", random_vec(rng, 3, -1, 1)}, {"b2", random_vec(rng, 1, -1, 1)}};
}
double seed_native(const Point& q) {
  double X[4][2], Y[4][1], W1[2][3], b1[3], W2[3][1], b2[1];
  fill(X, q.at("X"));
  fill(Y, q.at("Y"));
  fill(W1, q.at("W1"));
  fill(b1, q.at("b1"));
  fill(W2, q.at("W2"));
  fill(b2, q.at("b2"));
  return suite::seed_arrays(X, Y, W1, b1, W2, b2);
}
}  // namespace

TEST_CASE("seed network over C arrays", "[clang][gradient]") {
  check_against_native(take("seed_arrays"), seed_point(), seed_native, {"W1", "b1", "W2", "b2"});
}

TEST_CASE("seed network over the tensor API matches the native code and the array version", "[clang][gradient]") {
  check_against_native(take("seed_tensor"), seed_point(),
                       [](const Point& q) {
                         return suite::seed_tensor(
                             as<gradgen::Matrix<4, 2>>(q.at("X")), as<gradgen::Matrix<4, 1>>(q.at("Y")),
                             as<gradgen::Matrix<2, 3>>(q.at("W1")), as<gradgen::Vector<3>>(q.at("b1")),
                             as<gradgen::Matrix<3, 1>>(q.at("W2")), as<gradgen::Vector<1>>(q.at("b2")));
                       },
                       {"W1", "b1", "W2", "b2"});
  CHECK(seed_native(seed_point()) ==
        Approx(suite::seed_tensor(as<gradgen::Matrix<4, 2>>(seed_point().at("X")),
                                  as<gradgen::Matrix<4, 1>>(seed_point().at("Y")),
                                  as<gradgen::Matrix<2, 3>>(seed_point().at("W1")),
                                  as<gradgen::Vector<3>>(seed_point().at("b1")),
                                  as<gradgen::Matrix<3, 1>>(seed_point().at("W2")),
                                  as<gradgen::Vector<1>>(seed_point().at("b2")))));
}

TEST_CASE("seed network in C++ and its .grad twin give the same IR and gradients", "[clang][twin]") {
  Program cpp = take("seed_tensor");
  Diagnostics diags;
  std::string twin_path = std::string(GG_SOURCE_DIR) + "/tests/unit/clang/seed_tensor.grad";
  auto grad = load_grad_file(twin_path, diags);
  INFO(diags.render());
  REQUIRE(grad);
  differentiate_and_optimize(cpp, PipelineOptions{});
  differentiate_and_optimize(*grad, PipelineOptions{});
  CHECK(print_ir(cpp) == print_ir(*grad));
  Values v = to_values(cpp, seed_point());
  EvalResult a = evaluate(cpp, v, Precision::F64);
  EvalResult b = evaluate(*grad, v, Precision::F64);
  CHECK(a.loss == b.loss);
  for (const auto& [name, g] : a.grads) CHECK(g.data == b.grads.at(name).data);
}

TEST_CASE("tensor API softmax, cross-entropy and element access", "[clang][gradient]") {
  std::mt19937_64 rng(9);
  Point x{{"Z", random_vec(rng, 6, -2, 2)}, {"T", {0.2, 0.3, 0.5, 0.0, 1.0, 0.0}}};
  check_against_native(take("tensor_extras"), x,
                       [](const Point& q) {
                         return suite::tensor_extras(as<gradgen::Matrix<2, 3>>(q.at("Z")),
                                                     as<gradgen::Matrix<2, 3>>(q.at("T")));
                       },
                       {"Z", "T"});
}

TEST_CASE("float functions lower with f32 precision", "[clang]") {
  Program p = take("single");
  CHECK(p.precision == Precision::F32);
  differentiate_and_optimize(p, PipelineOptions{});
  EvalResult r = evaluate(p, to_values(p, {{"x", {3.0}}}), Precision::F64);
  CHECK(r.loss == Approx(4.5));
  CHECK(r.grads.at("x").data[0] == Approx(3.0));
}
