// Test harness shared by the gradient tests: builds one op node over Param leaves, applies
// its op-table vjp rule with a cotangent leaf C, sums contributions down to operand shapes,
// and evaluates everything with the reference interpreter.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "interp/interpreter.h"
#include "ir/expr.h"
#include "ir/op_table.h"

namespace gg::test {

/// One op applied to leaves x0, x1, ... (Params, or Inputs for non-differentiable operands),
/// the objective L = sum(node ⊙ C) and the rule's gradients dL/dx_i (nullptr = zero).
struct OpHarness {
  Graph graph;
  std::vector<const Node*> operands;
  const Node* node = nullptr;
  const Node* C = nullptr;
  const Node* L = nullptr;
  std::vector<const Node*> grads;

  static std::unique_ptr<OpHarness> build(Op op, const std::vector<Shape>& shapes, const Attrs& attrs,
                                          const std::vector<bool>& constant = {});
};

inline std::string name_of(size_t i) { return "x" + std::to_string(i); }

inline std::unique_ptr<OpHarness> OpHarness::build(Op op, const std::vector<Shape>& shapes, const Attrs& attrs,
                                                   const std::vector<bool>& constant) {
  auto h = std::make_unique<OpHarness>();
  Graph& g = h->graph;
  for (size_t i = 0; i < shapes.size(); ++i) {
    Attrs a;
    a.name = name_of(i);
    a.shape = shapes[i];
    bool c = i < constant.size() && constant[i];
    h->operands.push_back(g.make(c ? Op::Input : Op::Param, {}, a));
  }
  h->node = g.make(op, h->operands, attrs);
  Attrs ca;
  ca.name = "C";
  ca.shape = h->node->shape;
  h->C = g.make(Op::Input, {}, ca);
  h->L = g.make(Op::Sum, {g.make(Op::Mul, {h->node, h->C})});
  Vjp v{g, h->node, E{&g, h->C}, E{&g, h->node}, {}};
  v.contributions.assign(shapes.size(), nullptr);
  op_info(op).vjp(v);
  for (size_t i = 0; i < shapes.size(); ++i) {
    const Node* c = v.contributions[i];
    if (c && c->shape != shapes[i]) {  // unbroadcast: the driver's job, done here by hand
      Attrs st;
      st.shape = shapes[i];
      c = g.make(Op::SumTo, {c}, st);
    }
    h->grads.push_back(c);
  }
  return h;
}

inline double dot(const Tensor& a, const Tensor& b) {
  double s = 0;
  for (size_t i = 0; i < a.data.size(); ++i) s += a.data[i] * b.data[i];
  return s;
}

/// The value of `n` with leaves `v`.
inline Tensor value_at(const Node* n, const Values& v, const DimBindings& dims) {
  Interpreter it(v, dims);
  return it.eval(n);
}

}  // namespace gg::test
