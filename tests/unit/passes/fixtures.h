// Test fixtures for IR-level tests: hand-built programs, a tiny evaluator over the op table's
// own `eval` functions, structural printing and finite differences. Header-only, gg_ir only.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ir/op_table.h"
#include "ir/program.h"
#include "ir/tensor.h"

namespace gg::test {

using Values = std::map<std::string, Tensor>;

/// A program under construction: leaves and definitions are registered as they are made.
struct Builder {
  Program p;
  Graph& g = *p.graph;

  explicit Builder(std::string name = "t") { p.name = std::move(name); }

  const Node* leaf(const std::string& name, LeafKind kind, Shape shape) {
    Attrs a;
    a.name = name;
    a.shape = std::move(shape);
    const Node* n = g.make(kind == LeafKind::Param ? Op::Param : Op::Input, {}, a);
    p.leaves.push_back(Leaf{name, kind, n, {}, {}, {}});
    return n;
  }
  const Node* input(const std::string& name, Shape s) { return leaf(name, LeafKind::Input, std::move(s)); }
  const Node* target(const std::string& name, Shape s) { return leaf(name, LeafKind::Target, std::move(s)); }
  const Node* param(const std::string& name, Shape s) { return leaf(name, LeafKind::Param, std::move(s)); }
  const Node* op(Op o, std::vector<const Node*> ins, Attrs a = {}) { return g.make(o, std::move(ins), std::move(a)); }
  const Node* cst(double v) { return g.constant(v); }
  const Node* def(const std::string& name, const Node* n, DefKind k = DefKind::Plain) {
    p.definitions.push_back(Definition{name, k, n, {}});
    if (k == DefKind::Loss) {
      p.loss = n;
      p.loss_name = name;
    }
    return n;
  }
  Program take() { return std::move(p); }
};

inline Dim N() { return Dim::named("n"); }
inline Dim F(int64_t k) { return Dim::fixed(k); }

/// spec §1: z2 = X @ W1 + b1; a2 = sigmoid(z2); z3 = a2 @ W2 + b2; output yhat = z3;
/// loss J = mse(z3, Y); grad X (when grad_x).
inline Program seed_program(bool grad_x = true) {
  Builder b("seed");
  b.p.dims = {"n"};
  const Node* X = b.input("X", {N(), F(2)});
  const Node* Y = b.target("Y", {N(), F(1)});
  const Node* W1 = b.param("W1", {F(2), F(3)});
  const Node* b1 = b.param("b1", {F(3)});
  const Node* W2 = b.param("W2", {F(3), F(1)});
  const Node* b2 = b.param("b2", {F(1)});
  const Node* z2 = b.def("z2", b.op(Op::Add, {b.op(Op::MatMul, {X, W1}), b1}));
  const Node* a2 = b.def("a2", b.op(Op::Sigmoid, {z2}));
  const Node* z3 = b.def("z3", b.op(Op::Add, {b.op(Op::MatMul, {a2, W2}), b2}));
  b.def("yhat", z3, DefKind::Output);
  b.def("J", b.op(Op::Mse, {z3, Y}), DefKind::Loss);
  if (grad_x) b.p.grad_inputs = {"X"};
  return b.take();
}

/// Evaluates `n` bottom-up with the op table's reference evaluations; leaves read `vals`.
inline Tensor eval(const Node* root, const Values& vals, const DimBindings& dims) {
  std::map<uint32_t, Tensor> memo;  // ids are topological: operands are evaluated first
  std::function<const Tensor&(const Node*)> go = [&](const Node* n) -> const Tensor& {
    auto it = memo.find(n->id);
    if (it != memo.end()) return it->second;
    Tensor out;
    if (n->op == Op::Input || n->op == Op::Param) {
      out = vals.at(n->attrs.name);
    } else {
      std::vector<const Tensor*> ins;
      for (const Node* in : n->inputs) ins.push_back(&go(in));
      out = Tensor::zeros(concrete(n->shape, dims));
      op_info(n->op).eval(EvalArgs{*n, ins, out, dims});
    }
    return memo.emplace(n->id, std::move(out)).first->second;
  };
  return go(root);
}

/// Random values for every leaf of `p`, uniform in [-1, 1], from a fixed seed.
inline Values random_values(const Program& p, const DimBindings& dims, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Values v;
  for (const Leaf& l : p.leaves) {
    Tensor t = Tensor::zeros(concrete(l.node->shape, dims));
    for (double& x : t.data) x = u(rng);
    v[l.name] = std::move(t);
  }
  return v;
}

/// Central finite differences of the loss with respect to leaf `name`, element by element.
inline Tensor finite_diff(const Program& p, Values vals, const std::string& name, const DimBindings& dims) {
  const double h = 1e-6;
  Tensor grad = vals.at(name);
  for (size_t i = 0; i < grad.data.size(); ++i) {
    double x = vals[name].data[i];
    vals[name].data[i] = x + h;
    double up = eval(p.loss, vals, dims).data[0];
    vals[name].data[i] = x - h;
    double down = eval(p.loss, vals, dims).data[0];
    vals[name].data[i] = x;
    grad.data[i] = (up - down) / (2 * h);
  }
  return grad;
}

inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.shape != b.shape) return INFINITY;
  double m = 0;
  for (size_t i = 0; i < a.data.size(); ++i) m = std::fmax(m, std::fabs(a.data[i] - b.data[i]));
  return m;
}

/// Every named value (leaves, definitions, adjoints "dJ/dz3") keyed by node, first name wins.
inline std::map<const Node*, std::string> names_of(const Program& p) {
  std::map<const Node*, std::string> names;
  for (const Leaf& l : p.leaves) names.emplace(l.node, l.name);
  for (const Definition& d : p.definitions) names.emplace(d.node, d.name);
  for (const Adjoint& a : p.adjoints)
    if (a.node) names.emplace(a.node, "d" + p.loss_name + "/d" + a.of);
  return names;
}

/// `n` as a term, operands written by name where they have one: mul(a2, sub(const 1, a2)).
inline std::string term(const Node* n, const std::map<const Node*, std::string>& names, bool top = true) {
  if (!top) {
    auto it = names.find(n);
    if (it != names.end()) return it->second;
  }
  const OpInfo& info = op_info(n->op);
  if (n->op == Op::Const) {
    std::string s = std::to_string(n->attrs.value);
    while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
      bool dot = s.back() == '.';
      s.pop_back();
      if (dot) break;
    }
    return "const " + s;
  }
  std::string out = info.name;
  if (n->op == Op::Count || n->op == Op::SumTo || n->op == Op::BroadcastTo) out += shape_str(n->attrs.shape);
  if (n->op == Op::Input || n->op == Op::Param) return n->attrs.name;
  if (n->inputs.empty()) return out;
  out += "(";
  for (size_t i = 0; i < n->inputs.size(); ++i) out += (i ? ", " : "") + term(n->inputs[i], names, false);
  return out + ")";
}

/// The adjoint named `of` written as a term over named values.
inline std::string adjoint_term(const Program& p, const std::string& of) {
  const Node* n = p.adjoint_of(of);
  return n ? term(n, names_of(p)) : "0";
}

}  // namespace gg::test

namespace gg::test {

/// Values of every definition and adjoint, by name (adjoint "dJ/dx"; a symbolic zero is absent).
inline std::map<std::string, Tensor> program_values(const Program& p, const Values& vals, const DimBindings& dims) {
  std::map<std::string, Tensor> out;
  for (const Definition& d : p.definitions) out[d.name] = eval(d.node, vals, dims);
  for (const Adjoint& a : p.adjoints)
    if (a.node) out["d/d" + a.of] = eval(a.node, vals, dims);
  return out;
}

/// Largest elementwise difference between two program_values results (inf if names differ).
inline double max_value_diff(const std::map<std::string, Tensor>& a, const std::map<std::string, Tensor>& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    if (it == b.end()) return INFINITY;
    m = std::fmax(m, max_abs_diff(t, it->second));
  }
  return m;
}

}  // namespace gg::test
