// const_fold: literal arithmetic and static counts become constants, values unchanged.
#include <catch2/catch.hpp>

#include "autodiff/reverse.h"
#include "ir/verifier.h"
#include "passes/const_fold.h"
#include "unit/passes/fixtures.h"

using namespace gg;
using namespace gg::test;

TEST_CASE("const_fold evaluates scalar ops on constants with the table's eval", "[const_fold]") {
  Builder b;
  const Node* w = b.param("w", {F(2)});
  // (2 / count[2, 4]) · sigmoid(0) - (-3) = 0.25 · 0.5 + 3
  const Node* k = b.op(Op::Sub, {b.op(Op::Mul, {b.op(Op::Div, {b.cst(2), b.op(Op::Count, {}, [] {
                                                                 Attrs a;
                                                                 a.shape = {F(2), F(4)};
                                                                 return a;
                                                               }())}),
                                                b.op(Op::Sigmoid, {b.cst(0)})}),
                                 b.op(Op::Neg, {b.cst(3)})});
  b.def("k", k);
  b.def("L", b.op(Op::Sum, {b.op(Op::Mul, {w, k})}), DefKind::Loss);
  Program p = b.take();
  size_t folded = const_fold(p);
  verify(p);
  const Node* kf = p.find_definition("k")->node;
  REQUIRE(kf->op == Op::Const);
  CHECK(kf->attrs.value == 3.125);
  CHECK(folded == 6);  // count, div, sigmoid, mul, neg, sub
  CHECK(term(p.loss, names_of(p)) == "sum(mul(w, k))");
}

TEST_CASE("const_fold leaves symbolic counts, tensors and non-constant operands alone", "[const_fold]") {
  Builder b;
  b.p.dims = {"n"};
  const Node* x = b.input("x", {N(), F(2)});
  Attrs cs;
  cs.shape = {N(), F(2)};
  const Node* c = b.op(Op::Count, {}, cs);
  Attrs bs;
  bs.shape = {F(2)};
  const Node* ones = b.op(Op::BroadcastTo, {b.cst(1)}, bs);  // not a scalar: stays
  b.def("L", b.op(Op::Div, {b.op(Op::Sum, {b.op(Op::Mul, {x, ones})}), c}), DefKind::Loss);
  Program p = b.take();
  std::string before = term(p.loss, {});
  CHECK(const_fold(p) == 0);
  CHECK(term(p.loss, {}) == before);
}

TEST_CASE("const_fold preserves the values of a differentiated program", "[const_fold]") {
  Program p = seed_program();
  differentiate(p);
  DimBindings dims{{"n", 3}};
  Values vals = random_values(p, dims);
  auto before = program_values(p, vals, dims);
  CHECK(const_fold(p) == 0);  // nothing static in the symbolic seed network...
  Program q = seed_program();
  q.definitions.push_back({"half", DefKind::Plain, q.graph->make(Op::Div, {q.graph->constant(1), q.graph->constant(2)}), {}});
  differentiate(q);
  CHECK(const_fold(q) == 1);  // ...but 1 / 2 is
  CHECK(q.find_definition("half")->node->is_const(0.5));
  CHECK(max_value_diff(before, program_values(p, vals, dims)) == 0);
}
