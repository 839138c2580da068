// cse: structurally equal nodes become one, deterministically, values unchanged.
#include <catch2/catch.hpp>

#include "autodiff/reverse.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/cse.h"
#include "unit/passes/fixtures.h"

using namespace gg;
using namespace gg::test;

TEST_CASE("cse merges equal subterms, commutative operands in either order", "[cse]") {
  Builder b;
  const Node* x = b.input("x", {F(3)});
  const Node* y = b.input("y", {F(3)});
  const Node* s1 = b.op(Op::Sigmoid, {x});
  const Node* s2 = b.op(Op::Sigmoid, {x});
  const Node* m1 = b.op(Op::Mul, {s1, y});
  const Node* m2 = b.op(Op::Mul, {y, s2});        // same product, operands swapped
  const Node* d1 = b.op(Op::Sub, {s1, y});
  const Node* d2 = b.op(Op::Sub, {y, s2});        // sub is not commutative: stays distinct
  b.def("r", b.op(Op::Add, {b.op(Op::Add, {m1, m2}), b.op(Op::Add, {d1, d2})}));
  b.def("L", b.op(Op::Sum, {b.op(Op::Add, {b.cst(1), b.op(Op::Sum, {x})})}), DefKind::Loss);
  b.def("M", b.op(Op::Add, {b.cst(1), b.cst(1)}));  // two const 1 → one
  Program p = b.take();
  Values vals = random_values(p, {});
  auto before = program_values(p, vals, {});
  CHECK(cse(p) == 4);  // s2, m2 and M's two const 1 (merged into L's)
  verify(p);
  auto names = names_of(p);
  CHECK(term(p.find_definition("r")->node, names) ==
        "add(add(mul(sigmoid(x), y), mul(sigmoid(x), y)), add(sub(sigmoid(x), y), sub(y, sigmoid(x))))");
  const Node* r = p.find_definition("r")->node;
  CHECK(r->inputs[0]->inputs[0] == r->inputs[0]->inputs[1]);  // the two products are one node
  const Node* M = p.find_definition("M")->node;
  CHECK(M->inputs[0] == M->inputs[1]);
  CHECK(max_value_diff(before, program_values(p, vals, {})) == 0);
  CHECK(cse(p) == 0);  // idempotent
}

TEST_CASE("cse distinguishes attributes, including -0 from 0", "[cse]") {
  Builder b;
  const Node* x = b.input("x", {F(2), F(3)});
  Attrs a0, a1;
  a0.axis = 0;
  a1.axis = 1;
  const Node* r0 = b.op(Op::SumAxis, {x}, a0);
  const Node* r1 = b.op(Op::SumAxis, {x}, a1);
  b.def("r0", r0);
  b.def("r1", r1);
  b.def("z", b.op(Op::Add, {b.cst(0.0), b.cst(-0.0)}));
  b.def("L", b.op(Op::Sum, {x}), DefKind::Loss);
  Program p = b.take();
  CHECK(cse(p) == 0);
  CHECK(p.find_definition("r0")->node != p.find_definition("r1")->node);
}

TEST_CASE("cse on a differentiated network shares the repeated constants", "[cse]") {
  Program p = seed_program();
  differentiate(p);
  DimBindings dims{{"n", 2}};
  Values vals = random_values(p, dims);
  auto before = program_values(p, vals, dims);
  CHECK(cse(p) > 0);
  verify(p);
  int ones = 0;
  for (const Node* n : live_nodes(p)) ones += n->is_const(1);
  CHECK(ones == 1);  // the seed dJ/dJ and sigmoid's 1 − σ share one constant
  CHECK(max_value_diff(before, program_values(p, vals, dims)) == 0);
}
