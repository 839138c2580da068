// Reverse-mode driver: topological walk, cotangent accumulation, symbolic zeros. No per-op code.
#include "autodiff/reverse.h"

#include <algorithm>
#include <string>
#include <vector>

#include "ir/op_table.h"
#include "support/error.h"

namespace gg {
namespace {

// ops.def spelling of `op`, usable even when the op has no row in the table yet.
std::string op_name(Op op) {
  static const char* const kNames[] = {
#define GG_OP(e, name, arity) name,
#include "ir/ops.def"
#undef GG_OP
  };
  return kNames[static_cast<size_t>(op)];
}

// The op's gradient rule; a missing row or rule is a bug in the op table, reported by name.
VjpRule rule_for(Op op) {
  const auto& table = op_table();
  const auto idx = static_cast<size_t>(op);
  if (idx >= table.size() || !table[idx].name || !table[idx].vjp)
    throw InternalError("autodiff: op '" + op_name(op) + "' has no gradient rule in the op table");
  return table[idx].vjp;
}

bool is_leaf(const Node* n) { return n->inputs.empty(); }

// Every node the loss depends on, in increasing id order (= a topological order). Iterative.
std::vector<const Node*> reachable_from(const Node* root, size_t graph_size) {
  std::vector<char> seen(graph_size, 0);
  std::vector<const Node*> stack{root}, out;
  seen[root->id] = 1;
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    out.push_back(n);
    for (const Node* in : n->inputs)
      if (!seen[in->id]) {
        seen[in->id] = 1;
        stack.push_back(in);
      }
  }
  std::sort(out.begin(), out.end(), [](const Node* a, const Node* b) { return a->id < b->id; });
  return out;
}

class Reverse {
 public:
  explicit Reverse(Program& p) : p_(p), g_(*p.graph) {}

  std::vector<Adjoint> run() {
    const size_t size = g_.size();
    order_ = reachable_from(p_.loss, size);
    ct_.assign(size, nullptr);
    pending_.assign(size, 0);
    needs_.assign(size, 0);
    emitted_.assign(size, 0);
    index_names(size);
    collect_grad_leaves(size);
    analyse();
    ct_[p_.loss->id] = g_.constant(1.0);  // dLoss/dLoss = 1
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) visit(*it);
    finish();
    return std::move(adjoints_);
  }

 private:
  // The first definition naming each node, and each param's name, by node id: looked up once
  // per node visited (a scan of the definitions there made long chains quadratic).
  void index_names(size_t size) {
    definition_of_.assign(size, nullptr);
    param_of_.assign(size, nullptr);
    for (const Definition& d : p_.definitions)
      if (!definition_of_[d.node->id]) definition_of_[d.node->id] = &d;
    for (const Leaf& l : p_.leaves)
      if (l.kind == LeafKind::Param && !param_of_[l.node->id]) param_of_[l.node->id] = &l;
  }

  // Params and the inputs named in `grad`: the leaves whose gradients are produced.
  void collect_grad_leaves(size_t size) {
    wanted_.assign(size, 0);
    for (const Leaf& l : p_.leaves)
      if (l.kind == LeafKind::Param) wanted_[l.node->id] = 1;
    for (const std::string& name : p_.grad_inputs) {
      const Leaf* l = p_.find_leaf(name);
      if (!l || l->kind == LeafKind::Param)
        throw InternalError("autodiff: `grad " + name + "` does not name an input or target");
      wanted_[l->node->id] = 1;
    }
  }

  // needs-grad (depends on a wanted leaf) and consumer counts, over the loss's cone.
  void analyse() {
    for (const Node* n : order_) {
      needs_[n->id] = wanted_[n->id];
      for (const Node* in : n->inputs) {
        needs_[n->id] |= needs_[in->id];
        ++pending_[in->id];
      }
    }
  }

  void visit(const Node* v) {
    if (v != p_.loss && ct_[v->id]) emit_definition(v);
    if (!is_leaf(v) && ct_[v->id]) propagate(v);
    for (const Node* in : v->inputs) --pending_[in->id];
    for (const Node* in : v->inputs)
      if (is_leaf(in) && pending_[in->id] == 0) emit_param(in);
  }

  // Runs v's rule and hands each contribution to the operand that needs it.
  void propagate(const Node* v) {
    const OpInfo& info = op_info(v->op);
    Vjp ctx{g_, v, E{&g_, ct_[v->id]}, E{&g_, v}, {}};
    ctx.contributions.assign(v->inputs.size(), nullptr);
    try {
      rule_for(v->op)(ctx);
    } catch (const ShapeError& e) {
      throw InternalError("autodiff: gradient rule of '" + std::string(info.name) + "' built an ill-shaped node: " +
                          e.what());
    }
    if (ctx.contributions.size() != v->inputs.size())
      throw InternalError("autodiff: gradient rule of '" + std::string(info.name) + "' gave " +
                          std::to_string(ctx.contributions.size()) + " gradients for " +
                          std::to_string(v->inputs.size()) + " operands");
    for (size_t i = 0; i < v->inputs.size(); ++i) {
      const Node* in = v->inputs[i];
      if (ctx.contributions[i] && needs_[in->id]) accumulate(in, fit(ctx.contributions[i], in, info.name));
    }
  }

  // "Sum over broadcast axes": a contribution with the broadcast result's shape is summed
  // down to the operand's shape; a smaller one (constant along axes) is broadcast up.
  const Node* fit(const Node* c, const Node* operand, const char* op) {
    if (c->shape == operand->shape) return c;
    Attrs at;
    at.shape = operand->shape;
    auto up = broadcast(operand->shape, c->shape);
    if (up && *up == c->shape) return g_.make(Op::SumTo, {c}, at);
    if (up && *up == operand->shape) return g_.make(Op::BroadcastTo, {c}, at);
    throw InternalError("autodiff: gradient rule of '" + std::string(op) + "' gave shape " + shape_str(c->shape) +
                        " for an operand of shape " + shape_str(operand->shape));
  }

  void accumulate(const Node* n, const Node* c) {
    const Node*& slot = ct_[n->id];
    slot = slot ? g_.make(Op::Add, {slot, c}) : c;
  }

  // First definition naming v, unless v is a leaf (the leaf's own name comes first).
  void emit_definition(const Node* v) {
    if (is_leaf(v) || !definition_of_[v->id]) return;
    adjoints_.push_back({definition_of_[v->id]->name, ct_[v->id]});
  }

  void emit_param(const Node* leaf) {
    if (emitted_[leaf->id] || !param_of_[leaf->id]) return;
    adjoints_.push_back({param_of_[leaf->id]->name, ct_[leaf->id]});
    emitted_[leaf->id] = 1;
  }

  // Params the loss never reaches (zero gradient), then the requested input gradients.
  void finish() {
    for (const Leaf& l : p_.leaves)
      if (l.kind == LeafKind::Param && !emitted_[l.node->id]) {
        adjoints_.push_back({l.name, ct_[l.node->id]});
        emitted_[l.node->id] = 1;
      }
    for (const std::string& name : p_.grad_inputs) {
      const Leaf* l = p_.find_leaf(name);
      adjoints_.push_back({l->name, ct_[l->node->id]});
    }
  }

  Program& p_;
  Graph& g_;
  std::vector<const Node*> order_;
  std::vector<const Node*> ct_;  // cotangent per forward node id; nullptr = symbolic zero
  std::vector<int> pending_;     // consumers (edges) not yet visited
  std::vector<char> needs_, wanted_, emitted_;
  std::vector<const Definition*> definition_of_;  // by node id
  std::vector<const Leaf*> param_of_;             // by node id
  std::vector<Adjoint> adjoints_;
};

}  // namespace

void differentiate(Program& p) {
  if (!p.loss) throw InternalError("autodiff: the program has no loss");
  if (!p.loss->is_scalar())
    throw InternalError("autodiff: the loss must be a scalar, got shape " + shape_str(p.loss->shape));
  if (!p.adjoints.empty()) throw InternalError("autodiff: the program is already differentiated");
  p.adjoints = Reverse(p).run();
}

}  // namespace gg
