// Algebraic rewrite rules, each with its math; rules read only ops, constants and shapes.
#include "passes/algebraic.h"

#include <set>
#include <vector>

#include "ir/op_table.h"
#include "passes/const_fold.h"
#include "passes/rewrite.h"

namespace gg {
namespace {

// What a broadcast fills its tensor with (n itself when it is no broadcast).
const Node* filling(const Node* n) {
  while (n->op == Op::BroadcastTo) n = n->inputs[0];
  return n;
}

// c, or a broadcast of c: `1` in every element.
bool is_filled(const Node* n, double c) { return filling(n)->is_const(c); }

struct Ctx {
  Graph& g;
  const Node* old;
  const std::vector<const Node*>& ins;
  const std::set<const Node*>& named;     // the program's definitions (old nodes)
  const std::set<const Node*>& adjoints;  // the program's B equations (old nodes)

  const Node* a() const { return ins[0]; }
  const Node* b() const { return ins[1]; }
  // Operand i is a definition of the source: rules do not look inside it, so that `d = -(X*W)`
  // and `J = sum(X + d)` keep d (explain prints the equations with the source's names).
  bool named_operand(size_t i) const { return named.count(old->inputs[i]) != 0; }
  // Operand i is a gradient explain prints as its own equation (dL/dscaled).
  bool adjoint_operand(size_t i) const { return adjoints.count(old->inputs[i]) != 0; }
  // `x` may replace the node only if it already has the node's shape.
  const Node* keep_shape(const Node* x) const { return x->shape == old->shape ? x : nullptr; }
};

using Rule = const Node* (*)(const Ctx&);

// x·1 → x, 1·x → x (1 possibly broadcast); when the 1 gave the product its shape, x
// broadcast to it.
const Node* mul_one(const Ctx& c) {
  if (c.old->op != Op::Mul) return nullptr;
  auto widened = [&](const Node* x) {
    if (x->shape == c.old->shape) return x;
    Attrs to;
    to.shape = c.old->shape;
    return c.g.make(Op::BroadcastTo, {x}, to);
  };
  if (is_filled(c.b(), 1)) return widened(c.a());
  if (is_filled(c.a(), 1)) return widened(c.b());
  return nullptr;
}
// broadcast_to(s) ∘ y → s ∘ y for + − · / when y has the result's shape: the op broadcasts s
// itself, so `broadcast(3, [2]) ⊙ x` is written 3 · x. A broadcast that is itself a named
// value or gradient stays, so equations keep reading dL/dscaled.
const Node* implicit_broadcast(const Ctx& c) {
  const Op op = c.old->op;
  if (op != Op::Add && op != Op::Sub && op != Op::Mul && op != Op::Div) return nullptr;
  auto droppable = [&](size_t i) {
    return c.ins[i]->op == Op::BroadcastTo && !c.named_operand(i) && !c.adjoint_operand(i) &&
           c.ins[1 - i]->shape == c.old->shape;
  };
  if (droppable(0)) return c.g.make(op, {c.a()->inputs[0], c.b()});
  if (droppable(1)) return c.g.make(op, {c.a(), c.b()->inputs[0]});
  return nullptr;
}
// x + 0 → x, 0 + x → x. (There is no x·0 → 0: x·0 is NaN where x is ±inf or NaN, as PyTorch,
// numpy and C++ compute it; folded, `0 * log(p)` at p = 0 was 0 where the function is NaN.)
const Node* add_zero(const Ctx& c) {
  if (c.old->op != Op::Add) return nullptr;
  if (is_filled(c.b(), 0)) return c.keep_shape(c.a());
  if (is_filled(c.a(), 0)) return c.keep_shape(c.b());
  return nullptr;
}
// x − 0 → x;  0 − x → −x.
const Node* sub_zero(const Ctx& c) {
  if (c.old->op != Op::Sub) return nullptr;
  if (is_filled(c.b(), 0)) return c.keep_shape(c.a());
  if (is_filled(c.a(), 0) && c.b()->shape == c.old->shape) return c.g.make(Op::Neg, {c.b()});
  return nullptr;
}
// x / 1 → x.
const Node* div_one(const Ctx& c) {
  if (c.old->op != Op::Div || !is_filled(c.b(), 1)) return nullptr;
  return c.keep_shape(c.a());
}
// −(−x) → x.
const Node* neg_neg(const Ctx& c) {
  if (c.old->op != Op::Neg || c.a()->op != Op::Neg || c.named_operand(0)) return nullptr;
  return c.a()->inputs[0];
}
// (Aᵀ)ᵀ → A.
const Node* transpose_transpose(const Ctx& c) {
  if (c.old->op != Op::Transpose || c.a()->op != Op::Transpose || c.named_operand(0)) return nullptr;
  return c.a()->inputs[0];
}
// a + (−b) → a − b;  (−a) + b → b − a (exact in IEEE arithmetic).
const Node* add_neg(const Ctx& c) {
  if (c.old->op != Op::Add) return nullptr;
  if (c.b()->op == Op::Neg && !c.named_operand(1)) return c.g.make(Op::Sub, {c.a(), c.b()->inputs[0]});
  if (c.a()->op == Op::Neg && !c.named_operand(0)) return c.g.make(Op::Sub, {c.b(), c.a()->inputs[0]});
  return nullptr;
}
// a − (−b) → a + b.
const Node* sub_neg(const Ctx& c) {
  if (c.old->op != Op::Sub || c.b()->op != Op::Neg || c.named_operand(1)) return nullptr;
  return c.g.make(Op::Add, {c.a(), c.b()->inputs[0]});
}
// (−a) ∘ b → −(a ∘ b) and a ∘ (−b) → −(a ∘ b) for · and / (exact in IEEE arithmetic: the sign
// is symmetric), so that −(−u ⊙ v) reads u ⊙ v and a − (−u) ⊙ v reads a + u ⊙ v.
const Node* mul_neg(const Ctx& c) {
  const Op op = c.old->op;
  if (op != Op::Mul && op != Op::Div) return nullptr;
  for (size_t i = 0; i < 2; ++i) {
    if (c.ins[i]->op != Op::Neg || c.named_operand(i) || c.adjoint_operand(i)) continue;
    std::vector<const Node*> ins = c.ins;
    ins[i] = ins[i]->inputs[0];
    const Node* inner = c.g.make(op, ins);
    return inner->shape == c.old->shape ? c.g.make(Op::Neg, {inner}) : nullptr;
  }
  return nullptr;
}
// select(c, a, b) with c a constant (a condition folded to 1 or 0): a or b.
const Node* select_constant(const Ctx& c) {
  if (c.old->op != Op::Select) return nullptr;
  const Node* cond = filling(c.ins[0]);
  if (cond->op != Op::Const) return nullptr;
  return c.keep_shape(cond->attrs.value != 0 ? c.ins[1] : c.ins[2]);
}
// sum_to(x, shape(x)) → x;  broadcast_to(x, shape(x)) → x: nothing to sum or broadcast.
const Node* identity_reshape(const Ctx& c) {
  if (c.old->op != Op::SumTo && c.old->op != Op::BroadcastTo) return nullptr;
  return c.keep_shape(c.a());
}

// broadcast(a) ∘ b → broadcast(a ∘ b) for + − · / of two constants, one or both broadcast
// (const_fold takes two plain ones): a chain of gradients that are each a filled tensor,
// dL/da7 = 0.25 + broadcast(0.5, [2, 3]), stays one constant instead of growing at each step.
const Node* filled_constants(const Ctx& c) {
  const Op op = c.old->op;
  if (op != Op::Add && op != Op::Sub && op != Op::Mul && op != Op::Div) return nullptr;
  if (c.a()->op != Op::BroadcastTo && c.b()->op != Op::BroadcastTo) return nullptr;
  const Node* a = filling(c.a());
  const Node* b = filling(c.b());
  if (a->op != Op::Const || b->op != Op::Const) return nullptr;
  // Folded as const_fold folds, by the op table's evaluation.
  const std::optional<double> r = constant_value(c.g.make(op, {a, b}));
  if (!r) return nullptr;
  Attrs to;
  to.shape = c.old->shape;
  return c.g.make(Op::BroadcastTo, {c.g.constant(*r)}, to);
}

constexpr Rule kRules[] = {mul_one, add_zero, sub_zero,         div_one,
                           neg_neg, transpose_transpose, add_neg, sub_neg, identity_reshape,
                           filled_constants, implicit_broadcast, mul_neg, select_constant};

}  // namespace

size_t algebraic(Program& p) {
  Graph& g = *p.graph;
  std::set<const Node*> named, adjoints;
  for (const Definition& d : p.definitions) named.insert(d.node);
  for (const Adjoint& a : p.adjoints) adjoints.insert(a.node);
  return rewrite(
      p,
      [&](const Node* old, const std::vector<const Node*>& ins) -> Rewritten {
        Ctx c{g, old, ins, named, adjoints};
        for (Rule r : kRules)
          if (const Node* out = r(c)) return {out, true};
        return {};
      },
      "algebraic");
}

}  // namespace gg
