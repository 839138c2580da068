// Reverse-mode driver: equation order, rule structure, symbolic zeros, fan-out, broadcasting,
// values against central finite differences.
#include <catch2/catch.hpp>

#include "autodiff/reverse.h"
#include "ir/printer.h"
#include "passes/pipeline.h"
#include "support/error.h"
#include "unit/passes/fixtures.h"

using namespace gg;
using namespace gg::test;

namespace {

std::vector<std::string> adjoint_order(const Program& p) {
  std::vector<std::string> out;
  for (const Adjoint& a : p.adjoints) out.push_back("d" + p.loss_name + "/d" + a.of);
  return out;
}

// Live nodes whose op is `op` and whose first operand is `operand`.
int count_uses(const Program& p, Op op, const Node* operand) {
  int k = 0;
  for (const Node* n : live_nodes(p))
    if (n->op == op && !n->inputs.empty() && n->inputs[0] == operand) ++k;
  return k;
}

void check_against_finite_differences(const Program& p, const DimBindings& dims) {
  Values vals = random_values(p, dims);
  for (const Adjoint& a : p.adjoints) {
    const Leaf* l = p.find_leaf(a.of);
    if (!l) continue;
    INFO("d" << p.loss_name << "/d" << a.of);
    Tensor fd = finite_diff(p, vals, a.of, dims);
    Tensor got = a.node ? eval(a.node, vals, dims) : Tensor::zeros(fd.shape);
    CHECK(max_abs_diff(got, fd) < 1e-6);
  }
}

}  // namespace

TEST_CASE("seed network: adjoints come in backward order B1..Bm", "[autodiff]") {
  Program p = seed_program();
  differentiate(p);
  CHECK(adjoint_order(p) ==
        std::vector<std::string>{"dJ/dz3", "dJ/db2", "dJ/dW2", "dJ/da2", "dJ/dz2", "dJ/db1", "dJ/dW1", "dJ/dX"});
}

TEST_CASE("seed network: rules are applied as written before simplification", "[autodiff]") {
  Program p = seed_program();
  differentiate(p);
  // The seed dJ/dJ = 1 multiplies mse's local gradient 2/N (p − y).
  CHECK(adjoint_term(p, "z3") == "mul(const 1, mul(div(const 2, count[n, 1]), sub(z3, Y)))");
  CHECK(adjoint_term(p, "b2") == "sum_to[1](dJ/dz3)");
  CHECK(adjoint_term(p, "W2") == "matmul(transpose(a2), dJ/dz3)");
  CHECK(adjoint_term(p, "a2") == "matmul(dJ/dz3, transpose(W2))");
  CHECK(adjoint_term(p, "z2") == "mul(mul(dJ/da2, a2), sub(const 1, a2))");
  CHECK(adjoint_term(p, "X") == "matmul(dJ/dz2, transpose(W1))");
  CHECK(adjoint_term(p, "yhat") == "0");  // alias of z3: only the first name gets an adjoint
  CHECK(adjoint_term(p, "J") == "0");     // never the loss itself
}

TEST_CASE("seed network: gradients match central finite differences", "[autodiff]") {
  Program p = seed_program();
  differentiate(p);
  check_against_finite_differences(p, {{"n", 4}});
}

TEST_CASE("seed network after optimize: simplified adjoint structure", "[autodiff][passes]") {
  Program p = seed_program();
  differentiate_and_optimize(p, PipelineOptions{{}, nullptr, true});
  CHECK(adjoint_term(p, "z3") == "mul(div(const 2, count[n, 1]), sub(z3, Y))");
  CHECK(adjoint_term(p, "W2") == "matmul(transpose(a2), dJ/dz3)");
  CHECK(adjoint_term(p, "b2") == "sum_to[1](dJ/dz3)");
  CHECK(adjoint_term(p, "a2") == "matmul(dJ/dz3, transpose(W2))");
  CHECK(adjoint_term(p, "z2") == "mul(mul(dJ/da2, a2), sub(const 1, a2))");
  CHECK(adjoint_term(p, "b1") == "sum_to[3](dJ/dz2)");
  CHECK(adjoint_term(p, "W1") == "matmul(transpose(X), dJ/dz2)");
  CHECK(adjoint_term(p, "X") == "matmul(dJ/dz2, transpose(W1))");
  check_against_finite_differences(p, {{"n", 3}});
}

TEST_CASE("an input not in `grad` gets no adjoint and no backward nodes", "[autodiff]") {
  Program p = seed_program(/*grad_x=*/false);
  const Node* W1 = p.find_leaf("W1")->node;
  differentiate(p);
  CHECK(adjoint_order(p) == std::vector<std::string>{"dJ/dz3", "dJ/db2", "dJ/dW2", "dJ/da2", "dJ/dz2", "dJ/db1",
                                                    "dJ/dW1"});
  CHECK(p.adjoint_of("X") == nullptr);
  // dJ/dX would be dJ/dz2 @ W1ᵀ; dJ/dY would negate mse's local gradient.
  CHECK(count_uses(p, Op::Transpose, W1) == 0);
  for (const Node* n : live_nodes(p)) CHECK(n->op != Op::Neg);
}

TEST_CASE("a param that does not reach the loss has a symbolic zero gradient", "[autodiff]") {
  Builder b;
  const Node* x = b.input("x", {F(3)});
  const Node* w = b.param("w", {F(3)});
  const Node* u = b.param("u", {F(3)});
  b.def("o", b.op(Op::Mul, {x, u}), DefKind::Output);  // u feeds an output only
  b.def("L", b.op(Op::Sum, {b.op(Op::Mul, {x, w})}), DefKind::Loss);
  Program p = b.take();
  size_t before = live_nodes(p).size();
  differentiate(p);
  REQUIRE(p.adjoints.size() == 2);
  CHECK(p.adjoints[0].of == "w");
  CHECK(p.adjoints[1].of == "u");
  CHECK(p.adjoints[1].node == nullptr);
  CHECK(adjoint_term(p, "w") == "mul(broadcast_to[3](const 1), x)");
  // Live backward nodes: the seed, its broadcast, g·x — nothing for u, nor x's g·w (dead).
  CHECK(live_nodes(p).size() - before == 3);
}

TEST_CASE("fan-out accumulates with add", "[autodiff]") {
  // L = sum(w·w + w): dL/dw = w + w + 1 (the two mul contributions, then the add's).
  Builder b;
  const Node* w = b.param("w", {F(3)});
  b.def("L", b.op(Op::Sum, {b.op(Op::Add, {b.op(Op::Mul, {w, w}), w})}), DefKind::Loss);
  Program p = b.take();
  differentiate(p);
  const Node* g = p.adjoint_of("w");
  REQUIRE(g);
  CHECK(g->op == Op::Add);
  Values vals{{"w", Tensor{{3}, {0.5, -2.0, 3.0}}}};
  CHECK(eval(g, vals, {}).data == std::vector<double>{2.0, -3.0, 7.0});
  check_against_finite_differences(p, {});
}

TEST_CASE("broadcast operands receive contributions summed over broadcast axes", "[autodiff]") {
  // L = sum(sigmoid(x + b)) with b[3] broadcast over the n rows of x[n, 3].
  Builder b;
  b.p.dims = {"n"};
  const Node* x = b.input("x", {N(), F(3)});
  const Node* bias = b.param("b", {F(3)});
  const Node* s = b.def("s", b.op(Op::Add, {x, bias}));
  b.def("L", b.op(Op::Sum, {b.op(Op::Sigmoid, {s})}), DefKind::Loss);
  Program p = b.take();
  p.grad_inputs = {"x"};
  differentiate(p);
  CHECK(adjoint_term(p, "b") == "sum_to[3](dL/ds)");
  CHECK(p.adjoint_of("x") == p.adjoint_of("s"));  // same shape: no sum needed
  const Node* db = p.adjoint_of("b");
  CHECK(db->shape == Shape{F(3)});
  check_against_finite_differences(p, {{"n", 5}});
}

TEST_CASE("the loss can be a param itself", "[autodiff]") {
  Builder b;
  const Node* w = b.param("w", {});
  b.def("L", w, DefKind::Loss);
  Program p = b.take();
  differentiate(p);
  REQUIRE(p.adjoints.size() == 1);
  CHECK(adjoint_term(p, "w") == "const 1");
}

TEST_CASE("differentiate rejects programs it cannot handle", "[autodiff]") {
  SECTION("no loss") {
    Program p;
    CHECK_THROWS_WITH(differentiate(p), "autodiff: the program has no loss");
  }
  SECTION("non-scalar loss") {
    Builder b;
    b.def("L", b.param("w", {F(2)}), DefKind::Loss);
    Program p = b.take();
    CHECK_THROWS_WITH(differentiate(p), "autodiff: the loss must be a scalar, got shape [2]");
  }
  SECTION("grad names a param") {
    Program p = seed_program();
    p.grad_inputs = {"W1"};
    CHECK_THROWS_WITH(differentiate(p), "autodiff: `grad W1` does not name an input or target");
  }
  SECTION("twice") {
    Program p = seed_program();
    differentiate(p);
    CHECK_THROWS_AS(differentiate(p), InternalError);
  }
}

TEST_CASE("differentiation is deterministic", "[autodiff]") {
  Program a = seed_program(), b = seed_program();
  differentiate(a);
  differentiate(b);
  CHECK(print_ir(a) == print_ir(b));
}

TEST_CASE("deep chains do not recurse", "[autodiff]") {
  // 20000 chained sigmoids: recursion per node would overflow the stack under ASan.
  Builder b;
  const Node* w = b.param("w", {});
  const Node* h = w;
  for (int i = 0; i < 20000; ++i) h = b.op(Op::Sigmoid, {h});
  b.def("L", h, DefKind::Loss);
  Program p = b.take();
  differentiate(p);
  REQUIRE(p.adjoint_of("w"));
  CHECK(p.adjoint_of("w")->shape.empty());
}
