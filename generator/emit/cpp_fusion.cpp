// Loop fusion: an elementwise value joins the loop that produces its operand when both run
// over the same shape and it reads that operand at the same index (so a bias add and an
// activation land in the matmul epilogue, and an elementwise chain becomes one loop whose
// intermediate values are loop-local scalars). A reduction over leading axes (a bias
// gradient's column sum) joins that loop too, accumulated output-stationary, so its operand is
// read once. Softmax, log_softmax and cross-entropy rows of one operand share one row loop.
// Then decides which values need memory.
#include <algorithm>
#include <functional>
#include <unordered_set>

#include "emit/cpp_plan.h"
#include "ir/op_table.h"
#include "ir/walk.h"

namespace gg::cpp {
namespace {

// The members of a group as a set: a long elementwise chain is one group, and a scan of its
// members per lookup made fusion quadratic.
using MemberSet = std::unordered_set<const Node*>;

// True when `v` reads at least one member of `g` (its members: `in_g`) and reads every member
// it uses through elementwise ops only (identity indexing, since all shapes match).
bool reads_group_elementwise(const Plan& plan, const MemberSet& in_g, const Node* v) {
  bool any = false, bad = false;
  std::vector<std::pair<const Node*, bool>> roots;  // state: elementwise all the way from v
  for (const Node* o : v->inputs) roots.emplace_back(o, true);
  walk_inputs<bool>(roots, [&](const Node* n, bool straight) -> std::optional<bool> {
    if (has_flag(n, kLeaf)) return std::nullopt;
    if (plan.materialised.count(n)) {
      if (in_g.count(n)) {
        any = true;
        // a reduction in the loop is complete only after it: never read inside
        bad = bad || !straight || kind_of(n->op) == Kind::Reduce;
      }
      return std::nullopt;
    }
    return straight && has_flag(n, kElementwise);
  });
  return any && !bad;
}

// Rows of one operand along its last axis: one logsumexp per row serves every member.
bool row_fusable(const Group& g, const Node* v) {
  if (g.kind != Kind::RowWise && g.kind != Kind::Loss) return false;
  const Node* p = row_operand(v);
  if (!p || row_operand(g.members.front()) != p) return false;
  for (const Node* m : g.members)
    if (m->op == v->op) return false;  // one of each kind per row loop
  return true;
}

bool fusable(const Plan& plan, const Group& g, const MemberSet& in_g, const Node* v) {
  if (row_fusable(g, v)) return true;
  if (g.kind != Kind::Map && g.kind != Kind::MatMul) return false;
  if (kind_of(v->op) == Kind::Reduce)
    return reduces_leading_axes(v) && v->inputs[0]->shape == g.members.front()->shape &&
           reads_group_elementwise(plan, in_g, v);
  if (!has_flag(v, kElementwise)) return false;
  if (v->shape != g.members.front()->shape) return false;
  return reads_group_elementwise(plan, in_g, v);
}

}  // namespace

void fuse(Plan& plan, const std::vector<Result>& results) {
  std::vector<MemberSet> members;  // of each group
  for (const Node* v : plan.order) {
    if (!plan.groups.empty() && fusable(plan, plan.groups.back(), members.back(), v)) {
      plan.groups.back().members.push_back(v);
    } else {
      plan.groups.push_back(Group{kind_of(v->op), {v}});
      members.emplace_back();
    }
    members.back().insert(v);
  }
  for (size_t i = 0; i < results.size(); ++i) {
    const Node* n = results[i].node;
    if (n && !has_flag(n, kLeaf) && !plan.dest.count(n)) {
      plan.dest[n] = results[i].dest;
      plan.stored.insert(n);
    } else {
      plan.finishes.push_back(Finish{i, n});
    }
  }
  for (size_t gi = 0; gi < plan.groups.size(); ++gi) {
    const Group& g = plan.groups[gi];
    for (const Node* m : g.members) {
      bool outside = false;
      auto it = plan.consumers.find(m);
      if (it != plan.consumers.end())
        for (const Node* c : it->second) outside = outside || !members[gi].count(c);
      if (outside || (g.kind != Kind::Map && g.kind != Kind::MatMul) || kind_of(m->op) == Kind::Reduce ||
          m == loop_tail(g))
        plan.stored.insert(m);
      if (plan.stored.count(m) && !plan.dest.count(m)) plan.workspace.push_back(m);
    }
  }
}

}  // namespace gg::cpp
