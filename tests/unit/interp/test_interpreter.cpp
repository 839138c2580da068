// The reference interpreter: dim inference, evaluation order, f32 emulation, evaluate().
#include <catch2/catch.hpp>

#include <cmath>

#include "interp/interpreter.h"
#include "ir/expr.h"
#include "support/error.h"

using namespace gg;

namespace {

// A hand-built program: input X[n, 2], target Y[n, 1], param W[2, 1];
// z = X @ W, output yhat = z, loss J = mse(z, Y), with dJ/dW = Xᵀ (2/N (z − Y)) built by hand.
struct Net {
  Program p;
  const Node* z;
  Net() {
    p.name = "net";
    Graph& g = *p.graph;
    auto leaf = [&](Op op, const std::string& name, Shape s, LeafKind k) {
      Attrs a;
      a.name = name;
      a.shape = s;
      const Node* n = g.make(op, {}, a);
      p.leaves.push_back(Leaf{name, k, n, Init{}, std::nullopt, {}});
      return E{&g, n};
    };
    E X = leaf(Op::Input, "X", {Dim::named("n"), Dim::fixed(2)}, LeafKind::Input);
    E Y = leaf(Op::Input, "Y", {Dim::named("n"), Dim::fixed(1)}, LeafKind::Target);
    E W = leaf(Op::Param, "W", {Dim::fixed(2), Dim::fixed(1)}, LeafKind::Param);
    E zz = matmul(X, W);
    z = zz;
    E J = call(zz, Y, Op::Mse);
    p.definitions.push_back(Definition{"z", DefKind::Plain, zz, {}});
    p.definitions.push_back(Definition{"yhat", DefKind::Output, zz, {}});
    p.definitions.push_back(Definition{"J", DefKind::Loss, J, {}});
    p.loss = J;
    p.loss_name = "J";
    E dz = (2.0 / count(g, zz->shape)) * (zz - Y);
    p.adjoints.push_back(Adjoint{"z", dz});
    p.adjoints.push_back(Adjoint{"W", matmul(T(X), dz)});
  }
};

Values feed() {
  return {{"X", Tensor{{2, 2}, {1, 2, 3, 4}}}, {"Y", Tensor{{2, 1}, {1, 0}}}, {"W", Tensor{{2, 1}, {0.5, -1}}}};
}

}  // namespace

TEST_CASE("infer_dims binds symbolic dims from fed shapes", "[interp]") {
  Net net;
  CHECK(infer_dims(net.p, feed()) == DimBindings{{"n", 2}});
}

TEST_CASE("infer_dims rejects bad feeds with the tensor and both shapes", "[interp]") {
  Net net;
  Values v = feed();
  SECTION("missing input") {
    v.erase("X");
    CHECK_THROWS_WITH(infer_dims(net.p, v), "missing value for input 'X' [n, 2]");
  }
  SECTION("missing target") {
    v.erase("Y");
    CHECK_THROWS_WITH(infer_dims(net.p, v), "missing value for target 'Y' [n, 1]");
  }
  SECTION("rank mismatch") {
    v["X"] = Tensor{{4}, {1, 2, 3, 4}};
    CHECK_THROWS_WITH(infer_dims(net.p, v), "input 'X' has shape [4] but is declared [n, 2]");
  }
  SECTION("fixed size mismatch") {
    v["W"] = Tensor{{3, 1}, {1, 2, 3}};
    CHECK_THROWS_WITH(infer_dims(net.p, v), "param 'W' has shape [3, 1] but is declared [2, 1]");
  }
  SECTION("conflicting dim") {
    v["Y"] = Tensor{{3, 1}, {1, 2, 3}};
    CHECK_THROWS_WITH(infer_dims(net.p, v),
                      "target 'Y' has shape [3, 1] but is declared [n, 1], and dimension 'n' is already 2 "
                      "from input 'X'");
  }
  SECTION("undeclared name") {
    v["Q"] = Tensor::scalar(1);
    CHECK_THROWS_WITH(infer_dims(net.p, v), "'Q' is not an input, target or param of network 'net'");
  }
  SECTION("value count does not fit the shape") {
    v["X"] = Tensor{{2, 2}, {1, 2, 3}};
    CHECK_THROWS_WITH(infer_dims(net.p, v), "input 'X' has 3 values but its shape [2, 2] needs 4");
  }
  SECTION("missing params are left to complete_params") {
    v.erase("W");
    CHECK(infer_dims(net.p, v) == DimBindings{{"n", 2}});
    CHECK_THROWS_WITH(evaluate(net.p, v, Precision::F64), "missing value for param 'W' [2, 1]");
    Values full = complete_params(net.p, v, 5, {{"n", 2}});
    CHECK(full.at("W").data == init_params(net.p, 5, {{"n", 2}}).at("W").data);
  }
}

TEST_CASE("evaluate gives loss, outputs and grads", "[interp]") {
  Net net;
  EvalResult r = evaluate(net.p, feed(), Precision::F64);
  // z = X W = [1·0.5 + 2·(−1), 3·0.5 + 4·(−1)] = [−1.5, −2.5]; z − Y = [−2.5, −2.5].
  // J = (6.25 + 6.25)/2 = 6.25; dJ/dz = (2/2)(z − Y) = [−2.5, −2.5];
  // dJ/dW = Xᵀ dz = [1·(−2.5) + 3·(−2.5), 2·(−2.5) + 4·(−2.5)] = [−10, −15].
  CHECK(r.loss == 6.25);
  REQUIRE(r.outputs.size() == 1);
  CHECK(r.outputs.at("yhat").data == std::vector<double>{-1.5, -2.5});
  CHECK(r.outputs.at("yhat").shape == std::vector<int64_t>{2, 1});
  REQUIRE(r.grads.size() == 1);
  CHECK(r.grads.at("W").data == std::vector<double>{-10, -15});
  CHECK(r.dims == DimBindings{{"n", 2}});
}

TEST_CASE("grad inputs and symbolic-zero adjoints", "[interp]") {
  Net net;
  net.p.grad_inputs.push_back("Y");
  SECTION("null adjoint is zeros of the leaf's shape") {
    net.p.adjoints.push_back(Adjoint{"Y", nullptr});
    EvalResult r = evaluate(net.p, feed(), Precision::F64);
    CHECK(r.grads.at("Y").shape == std::vector<int64_t>{2, 1});
    CHECK(r.grads.at("Y").data == std::vector<double>{0, 0});
  }
  SECTION("a missing adjoint is an internal error") {
    CHECK_THROWS_AS(evaluate(net.p, feed(), Precision::F64), InternalError);
  }
}

TEST_CASE("f32 emulation rounds leaves and every op result", "[interp]") {
  Program p;
  p.name = "f";
  Attrs a;
  a.name = "x";
  E x{p.graph.get(), p.graph->make(Op::Input, {}, a)};
  p.leaves.push_back(Leaf{"x", LeafKind::Input, x, Init{}, std::nullopt, {}});
  E y = x / 3.0;
  Values v{{"x", Tensor::scalar(1.0)}};
  Interpreter d(v, {}, Precision::F64), f(v, {}, Precision::F32);
  CHECK(d.eval(y).data[0] == 1.0 / 3.0);
  CHECK(f.eval(y).data[0] == static_cast<double>(1.0f / 3.0f));
  CHECK(f.eval(y).data[0] != 1.0 / 3.0);
}

TEST_CASE("evaluation is iterative and memoized", "[interp]") {
  Graph g;
  Attrs a;
  a.name = "x";
  E x{&g, g.make(Op::Input, {}, a)};
  E y = x;
  for (int i = 0; i < 200000; ++i) y = y + 1.0;  // far deeper than any call stack
  Interpreter it({{"x", Tensor::scalar(0.5)}}, {});
  CHECK(it.eval(y).data[0] == 200000.5);
  const Tensor* first = &it.eval(y);
  CHECK(&it.eval(y) == first);
  E z = y * 2.0;  // reuses the memoized y
  CHECK(it.eval(z).data[0] == 400001.0);
}

TEST_CASE("Count reads symbolic dims at run time", "[interp]") {
  Graph g;
  E n = count(g, {Dim::named("n"), Dim::fixed(3)});
  Interpreter it({}, {{"n", 5}});
  CHECK(it.eval(n).data[0] == 15.0);
  Interpreter unbound({}, {});
  CHECK_THROWS_AS(unbound.eval(n), ShapeError);
}
