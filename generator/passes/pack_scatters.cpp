// Merging sums of scatters and packs into one pack (see pack_scatters.h).
#include "passes/pack_scatters.h"

#include <vector>

#include "passes/rewrite.h"

namespace gg {
namespace {

// Elements of a scatter or pack; nullptr stands for an (implicit) zero.
std::vector<const Node*> elements(const Node* n) {
  if (n->op == Op::Pack) {
    std::vector<const Node*> e(n->inputs);
    for (const Node*& x : e)
      if (x->is_const(0)) x = nullptr;
    return e;
  }
  std::vector<const Node*> e(static_cast<size_t>(*static_numel(n->shape)), nullptr);
  e[static_cast<size_t>(n->attrs.axis)] = n->inputs[0];
  return e;
}

bool packable(const Node* n) { return n->op == Op::Pack || n->op == Op::Scatter; }

// scatter(a, i) + scatter(b, j) → pack(…, a, …, b, …);  pack(a…) + pack(b…) → pack(a_k + b_k):
// elementwise sums of one-hot and packed tensors, skipping zeros (0 + x = x exactly).
const Node* merge_sum(Graph& g, const Node* old, const std::vector<const Node*>& ins) {
  if (old->op != Op::Add || !packable(ins[0]) || !packable(ins[1]) || ins[0]->shape != ins[1]->shape)
    return nullptr;
  std::vector<const Node*> a = elements(ins[0]), b = elements(ins[1]);
  for (size_t k = 0; k < a.size(); ++k) {
    if (!a[k]) a[k] = b[k];
    else if (b[k]) a[k] = g.make(Op::Add, {a[k], b[k]});
    if (!a[k]) a[k] = g.constant(0.0);
  }
  Attrs at;
  at.shape = old->shape;
  return g.make(Op::Pack, std::move(a), std::move(at));
}

// scatter(x, 0) into a one-element shape → pack(x): a plain store, no one-hot test.
const Node* single_scatter(Graph& g, const Node* old, const std::vector<const Node*>& ins) {
  if (old->op != Op::Scatter || static_numel(old->shape) != int64_t{1}) return nullptr;
  Attrs at;
  at.shape = old->shape;
  return g.make(Op::Pack, {ins[0]}, std::move(at));
}

// pack(e_0, …, e_{n-1})[i] → e_i.
const Node* index_of_pack(const Node* old, const std::vector<const Node*>& ins) {
  if (old->op != Op::Index || ins[0]->op != Op::Pack) return nullptr;
  return ins[0]->inputs[static_cast<size_t>(old->attrs.axis)];
}

}  // namespace

size_t pack_scatters(Program& p) {
  Graph& g = *p.graph;
  return rewrite(
      p,
      [&](const Node* old, const std::vector<const Node*>& ins) -> Rewritten {
        if (const Node* r = merge_sum(g, old, ins)) return {r, true};
        if (const Node* r = index_of_pack(old, ins)) return {r, true};
        if (const Node* r = single_scatter(g, old, ins)) return {r, true};
        return {};
      },
      "pack_scatters");
}

}  // namespace gg
