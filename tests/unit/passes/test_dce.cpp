// dce: only live nodes survive, ids become dense, values unchanged.
#include <catch2/catch.hpp>

#include "autodiff/reverse.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/algebraic.h"
#include "passes/dce.h"
#include "unit/passes/fixtures.h"

using namespace gg;
using namespace gg::test;

TEST_CASE("dce drops unreachable nodes and renumbers densely", "[dce]") {
  Builder b;
  const Node* x = b.input("x", {F(3)});
  b.op(Op::Exp, {x});  // dead: no root reaches it
  const Node* t = b.op(Op::Tanh, {x});
  b.op(Op::Log, {t});  // dead
  b.def("L", b.op(Op::Sum, {t}), DefKind::Loss);
  Program p = b.take();
  Values vals = random_values(p, {});
  auto before = program_values(p, vals, {});
  REQUIRE(p.graph->size() == 5);
  CHECK(dce(p) == 2);
  verify(p);
  CHECK(p.graph->size() == 3);
  CHECK(live_nodes(p).size() == 3);
  CHECK(p.loss->id == 2);
  CHECK(term(p.loss, names_of(p)) == "sum(tanh(x))");
  CHECK(max_value_diff(before, program_values(p, vals, {})) == 0);
  CHECK(dce(p) == 0);
}

TEST_CASE("dce keeps every leaf (unused params still get their zero gradient) and adjoints", "[dce]") {
  Program p = seed_program();
  differentiate(p);
  algebraic(p);  // leaves replaced nodes behind
  size_t live = live_nodes(p).size();
  size_t dropped = dce(p);
  CHECK(dropped > 0);
  CHECK(p.graph->size() == live);
  verify(p);
  for (const Leaf& l : p.leaves) CHECK(l.node->id < p.graph->size());
  CHECK(p.adjoints.size() == 8);
}
