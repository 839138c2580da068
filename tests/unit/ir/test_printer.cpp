// IR printer: exact listing of a small program, attributes from the op table, determinism.
#include <catch2/catch.hpp>

#include "ir/printer.h"
#include "unit/passes/fixtures.h"

using namespace gg;
using namespace gg::test;

TEST_CASE("print_ir lists live nodes in id order, then definitions, loss and adjoints", "[printer]") {
  Builder b("tiny");
  b.p.dims = {"n"};
  const Node* x = b.input("x", {N(), F(3)});
  const Node* w = b.param("w", {F(3)});
  b.op(Op::Exp, {x});  // dead: not printed
  Attrs ax;
  ax.axis = 1;
  const Node* s = b.def("s", b.op(Op::Add, {x, w}));
  const Node* r = b.def("r", b.op(Op::SumAxis, {s}, ax), DefKind::Output);
  Attrs cnt;
  cnt.shape = {N()};
  b.def("L", b.op(Op::Div, {b.op(Op::Sum, {r}), b.op(Op::Count, {}, cnt)}), DefKind::Loss);
  Program p = b.take();
  Attrs to;
  to.shape = {F(3)};
  const Node* half = p.graph->constant(0.5);
  p.adjoints = {{"w", p.graph->make(Op::SumTo, {p.graph->make(Op::Mul, {half, s})}, to)}, {"x", nullptr}};
  p.grad_inputs = {"x"};
  CHECK(print_ir(p) ==
        "; program tiny\n"
        "%0 : [n, 3] = input x\n"
        "%1 : [3] = param w\n"
        "%3 : [n, 3] = add %0, %1\n"
        "%4 : [n] = sum_axis[axis=1] %3\n"
        "%5 : [] = sum %4\n"
        "%6 : [] = count[shape=[n]]\n"
        "%7 : [] = div %5, %6\n"
        "%8 : [] = const 0.5\n"
        "%9 : [n, 3] = mul %8, %3\n"
        "%10 : [3] = sum_to[shape=[3]] %9\n"
        "s = %3\n"
        "output r = %4\n"
        "loss L = %7\n"
        "; grad x\n"
        "dL/dw = %10\n"
        "dL/dx = 0\n");
}

TEST_CASE("print_node shows attributes the op's display uses, even at their default", "[printer]") {
  Graph g;
  Attrs in;
  in.name = "x";
  in.shape = {F(2), F(3)};
  const Node* x = g.make(Op::Input, {}, in);
  Attrs a0;
  a0.axis = 0;
  CHECK(print_node(*g.make(Op::SumAxis, {x}, a0)) == "sum_axis[axis=0] %0");
  Attrs alpha;
  alpha.value = 0.01;
  CHECK(print_node(*g.make(Op::LeakyRelu, {x}, alpha)) == "leaky_relu[value=0.01] %0");
  CHECK(print_node(*g.constant(-0.1)) == "const -0.1");
  CHECK(print_node(*g.constant(1e-300)) == "const 1e-300");
}
