// Deterministic initialisation (runtime/include/gradgen/init.hpp) and init_params.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "gradgen/init.hpp"
#include "interp/interpreter.h"
#include "support/error.h"

using namespace gg;

namespace {

Program one_param(const std::string& kind, std::vector<double> args, Shape shape, const std::string& name = "W") {
  Program p;
  p.name = std::string("t");  // not = "t": GCC 12 -O2 warns falsely there (-Wrestrict, PR 105329)
  Attrs a;
  a.name = name;
  a.shape = shape;
  const Node* n = p.graph->make(Op::Param, {}, a);
  p.leaves.push_back(Leaf{name, LeafKind::Param, n, Init{kind, std::move(args)}, std::nullopt, {}});
  return p;
}

Shape fixed(std::initializer_list<int64_t> dims) {
  Shape s;
  for (int64_t d : dims) s.push_back(Dim::fixed(d));
  return s;
}

double mean_of(const Tensor& t) {
  double s = 0;
  for (double v : t.data) s += v;
  return s / static_cast<double>(t.numel());
}

double std_of(const Tensor& t) {
  double m = mean_of(t), s = 0;
  for (double v : t.data) s += (v - m) * (v - m);
  return std::sqrt(s / static_cast<double>(t.numel()));
}

}  // namespace

TEST_CASE("splitmix64 and FNV-1a match their published test vectors", "[init]") {
  // splitmix64 seeded with 1234567: first two outputs of the reference implementation.
  CHECK(rt::mix64(1234567ull + 0x9E3779B97F4A7C15ull) == 6457827717110365317ull);
  CHECK(rt::mix64(1234567ull + 2 * 0x9E3779B97F4A7C15ull) == 3203168211198807973ull);
  // FNV-1a 64 reference values.
  CHECK(rt::fnv1a64("") == 0xCBF29CE484222325ull);
  CHECK(rt::fnv1a64("a") == 0xAF63DC4C8601EC8Cull);
  CHECK(rt::fnv1a64("foobar") == 0x85944171F73967E8ull);
}

TEST_CASE("det_log agrees with std::log to a few ulps", "[init]") {
  rt::Rng rng(7, "log");
  for (int i = 0; i < 20000; ++i) {
    double x = i < 10 ? std::ldexp(1.0, -i * 100) : rng.uniform01() + 1e-300;
    double want = std::log(x), got = rt::det_log(x);
    INFO("x = " << x);
    CHECK(std::fabs(got - want) <= 4 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::fabs(want)));
  }
  CHECK(rt::det_log(1.0) == 0.0);
}

TEST_CASE("streams depend on seed and name only", "[init]") {
  rt::Rng a(1, "W1"), b(1, "W1"), c(2, "W1"), d(1, "W2");
  uint64_t x = a.next_u64();
  CHECK(x == b.next_u64());
  CHECK(x != c.next_u64());
  CHECK(x != d.next_u64());
  for (int i = 0; i < 1000; ++i) {
    double u = a.uniform01();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
  }
}

TEST_CASE("init kinds follow PyTorch's formulas", "[init]") {
  DimBindings none;
  SECTION("zeros, ones, constant") {
    CHECK(init_params(one_param("zeros", {}, fixed({2, 2})), 0, none).at("W").data == std::vector<double>(4, 0.0));
    CHECK(init_params(one_param("ones", {}, fixed({3})), 0, none).at("W").data == std::vector<double>(3, 1.0));
    CHECK(init_params(one_param("constant", {0.25}, {}), 0, none).at("W").data == std::vector<double>{0.25});
  }
  SECTION("uniform(a, b) stays in [a, b) with mean (a+b)/2") {
    Tensor t = init_params(one_param("uniform", {-2, 4}, fixed({100, 100})), 3, none).at("W");
    for (double v : t.data) REQUIRE((v >= -2 && v < 4));
    CHECK(mean_of(t) == Approx(1.0).margin(0.06));
    CHECK(std_of(t) == Approx(6 / std::sqrt(12.0)).epsilon(0.02));
  }
  SECTION("normal(mean, std)") {
    Tensor t = init_params(one_param("normal", {0.5, 2}, fixed({200, 100})), 3, none).at("W");
    CHECK(mean_of(t) == Approx(0.5).margin(0.05));
    CHECK(std_of(t) == Approx(2.0).epsilon(0.02));
  }
  SECTION("xavier_uniform: U(±sqrt(6/(fan_in+fan_out)))") {
    Tensor t = init_params(one_param("xavier_uniform", {}, fixed({200, 100})), 9, none).at("W");
    double bound = std::sqrt(6.0 / 300.0);
    double mx = 0;
    for (double v : t.data) mx = std::max(mx, std::fabs(v));
    CHECK(mx <= bound);
    CHECK(mx > 0.99 * bound);
    CHECK(std_of(t) == Approx(bound / std::sqrt(3.0)).epsilon(0.02));
  }
  SECTION("xavier_normal, he_uniform, he_normal standard deviations") {
    CHECK(std_of(init_params(one_param("xavier_normal", {}, fixed({200, 100})), 1, none).at("W")) ==
          Approx(std::sqrt(2.0 / 300.0)).epsilon(0.02));
    CHECK(std_of(init_params(one_param("he_uniform", {}, fixed({200, 100})), 1, none).at("W")) ==
          Approx(std::sqrt(6.0 / 200.0) / std::sqrt(3.0)).epsilon(0.02));
    CHECK(std_of(init_params(one_param("he_normal", {}, fixed({200, 100})), 1, none).at("W")) ==
          Approx(std::sqrt(2.0 / 200.0)).epsilon(0.02));
  }
}

TEST_CASE("init is reproducible and independent per param", "[init]") {
  Program p = one_param("normal", {0, 1}, fixed({4, 3}));
  Values a = init_params(p, 42, {}), b = init_params(p, 42, {}), c = init_params(p, 43, {});
  CHECK(a.at("W").data == b.at("W").data);
  CHECK(a.at("W").data != c.at("W").data);
  // The same header filling floats gives the doubles rounded once.
  std::vector<float> f(12);
  double args[] = {0, 1};
  REQUIRE(rt::init_tensor(std::string_view("normal"), args, 2, 2, 4, 3, 42, "W", f.data(), f.size()) ==
          rt::InitStatus::Ok);
  for (size_t i = 0; i < f.size(); ++i) CHECK(f[i] == static_cast<float>(a.at("W").data[i]));
}

TEST_CASE("symbolic param dims are initialised from the bindings", "[init]") {
  Program p = one_param("ones", {}, Shape{Dim::named("n"), Dim::fixed(2)});
  CHECK(init_params(p, 0, {{"n", 3}}).at("W").shape == std::vector<int64_t>{3, 2});
  CHECK_THROWS_WITH(init_params(p, 0, {}),
                    "cannot initialise param 'W' [n, 2]: dimension 'n' is not bound by any fed tensor");
}

TEST_CASE("bad inits are input errors naming the param", "[init]") {
  CHECK_THROWS_AS(init_params(one_param("xavier_uniform", {}, fixed({3})), 0, {}), InputError);
  CHECK_THROWS_WITH(init_params(one_param("xavier_uniform", {}, fixed({3}), "b"), 0, {}),
                    "param 'b': init 'xavier_uniform' needs a rank-2 param [fan_in, fan_out], got [3]");
  CHECK_THROWS_WITH(init_params(one_param("glorot", {}, fixed({3})), 0, {}), "param 'W': unknown init 'glorot'");
  CHECK_THROWS_WITH(init_params(one_param("uniform", {1}, fixed({3})), 0, {}),
                    Catch::StartsWith("param 'W': init 'uniform' got 1 arguments"));
}
