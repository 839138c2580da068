// A hand-built, already differentiated [2, 3, 1] seed Program for emitter unit tests: the
// adjoints are written out as the simplified IR autodiff produces, so these tests do not
// depend on the front end, autodiff or passes.
#pragma once

#include "ir/expr.h"
#include "ir/program.h"

namespace gg::test {

inline const Node* leaf(Program& p, Op op, const std::string& name, Shape shape, LeafKind kind) {
  Attrs a;
  a.name = name;
  a.shape = std::move(shape);
  const Node* n = p.graph->make(op, {}, a);
  p.leaves.push_back(Leaf{name, kind, n, {}, {}, {}});
  return n;
}

inline Program seed_program() {
  Program p;
  p.name = "seed";
  p.dims = {"n"};
  Graph& g = *p.graph;
  Dim n = Dim::named("n");
  E X{&g, leaf(p, Op::Input, "X", {n, Dim::fixed(2)}, LeafKind::Input)};
  E Y{&g, leaf(p, Op::Input, "Y", {n, Dim::fixed(1)}, LeafKind::Target)};
  E W1{&g, leaf(p, Op::Param, "W1", {Dim::fixed(2), Dim::fixed(3)}, LeafKind::Param)};
  E b1{&g, leaf(p, Op::Param, "b1", {Dim::fixed(3)}, LeafKind::Param)};
  E W2{&g, leaf(p, Op::Param, "W2", {Dim::fixed(3), Dim::fixed(1)}, LeafKind::Param)};
  E b2{&g, leaf(p, Op::Param, "b2", {Dim::fixed(1)}, LeafKind::Param)};
  E z2 = matmul(X, W1) + b1;
  E a2 = unary(Op::Sigmoid, z2);
  E z3 = matmul(a2, W2) + b2;
  E J = call(z3, Y, Op::Mse);
  p.definitions = {{"z2", DefKind::Plain, z2, {}}, {"a2", DefKind::Plain, a2, {}}, {"z3", DefKind::Plain, z3, {}},
                   {"yhat", DefKind::Output, z3, {}}, {"J", DefKind::Loss, J, {}}};
  p.loss = J;
  p.loss_name = "J";
  p.grad_inputs = {"X"};
  // dJ/dz3 = 2/n (z3 - Y) for mse over [n, 1]; then the chain rule through @, +, sigmoid.
  E dz3 = (2.0 / count(g, z3->shape)) * (z3 - Y);
  E dW2 = matmul(T(a2), dz3);
  E db2 = with_shape(Op::SumTo, dz3, b2->shape);
  E da2 = matmul(dz3, T(W2));
  E dz2 = da2 * a2 * (1.0 - a2);
  E dW1 = matmul(T(X), dz2);
  E db1 = with_shape(Op::SumTo, dz2, b1->shape);
  E dX = matmul(dz2, T(W1));
  p.adjoints = {{"z3", dz3}, {"W2", dW2}, {"b2", db2}, {"a2", da2}, {"z2", dz2},
                {"W1", dW1}, {"b1", db1}, {"X", dX}};
  return p;
}

}  // namespace gg::test
