// Scheduling of one entry point: the materialised set, dependency order and storage.
#include "emit/cpp_plan.h"

#include <algorithm>
#include <functional>

#include "ir/op_table.h"
#include "support/error.h"
#include "ir/walk.h"

namespace gg::cpp {

Kind kind_of(Op op) {
  switch (op) {
    case Op::Input: case Op::Param: case Op::Const: case Op::Count:
    case Op::Add: case Op::Sub: case Op::Mul: case Op::Div: case Op::Neg: case Op::Sigmoid: case Op::Tanh:
    case Op::Relu: case Op::LeakyRelu: case Op::Softplus: case Op::Exp: case Op::Log: case Op::Sqrt:
    case Op::Square: case Op::Abs: case Op::Sin: case Op::Cos: case Op::Pow: case Op::Power: case Op::Log1p: case Op::Expm1: case Op::Sinh: case Op::Cosh: case Op::Tan: case Op::Exp2: case Op::Log2: case Op::Log10: case Op::ToFloat: case Op::Step: case Op::LeakyStep:
    case Op::Sign: case Op::Transpose: case Op::BroadcastTo: case Op::Unsqueeze: case Op::Index: case Op::Scatter:
    case Op::Select: case Op::Less: case Op::LessEq: case Op::Equal:
      return Kind::Map;
    case Op::MatMul: return Kind::MatMul;
    case Op::Sum: case Op::Mean: case Op::SumAxis: case Op::MeanAxis: case Op::SumTo: return Kind::Reduce;
    case Op::Softmax: case Op::LogSoftmax: return Kind::RowWise;
    case Op::Mse: case Op::Sse: case Op::CrossEntropy: case Op::Bce: case Op::BceLogits: return Kind::Loss;
    case Op::Pack: return Kind::Pack;
  }
  throw InternalError("kind_of: unknown op");
}

bool is_view(Op op) {
  return op == Op::Transpose || op == Op::BroadcastTo || op == Op::Unsqueeze || op == Op::Index;
}

namespace {

bool is_leaf(const Node* n) { return has_flag(n, kLeaf); }

std::vector<const Equation*> all_equations(const EquationSet& eqs) {
  std::vector<const Equation*> all;
  for (const Equation& e : eqs.forward) all.push_back(&e);
  for (const Equation& e : eqs.backward) all.push_back(&e);
  std::stable_sort(all.begin(), all.end(), [](const Equation* a, const Equation* b) { return a->seq < b->seq; });
  return all;
}

class Planner {
 public:
  Planner(const EquationSet& eqs, const Names& names, Plan& plan)
      : eqs_(eqs), names_(names), plan_(plan), namer_(names.namer) {}

  void run(const std::vector<Result>& results) {
    for (const Result& r : results)
      if (r.node) collect(r.node);
    for (const Result& r : results)
      if (r.node && !is_leaf(r.node)) {
        plan_.materialised.insert(r.node);
        if (!names_.node.count(r.node)) hint_[r.node] = r.hint;
      }
    for (const Node* n : topo_) decide(n);
    // Matrix products read buffers: an operand that is an expression gets one first.
    for (const Node* n : topo_)
      if (n->op == Op::MatMul)
        for (const Node* o : n->inputs) {
          const Node* base = strip_transposes(plan_, o).first;
          if (!is_leaf(base)) plan_.materialised.insert(base);
        }
    for (const Equation* e : all_equations(eqs_))
      if (e->node && plan_.materialised.count(e->node)) visit(e->node, e->ident);
    for (const Result& r : results)
      if (r.node && plan_.materialised.count(r.node)) visit(r.node, r.hint);
  }

 private:
  // Closure of the results and the number of users of each node inside it; topo_ in post-order.
  // An explicit stack, not recursion: a chain of definitions may be thousands deep.
  void collect(const Node* root) {
    if (!plan_.closure.insert(root).second) return;
    std::vector<std::pair<const Node*, size_t>> stack{{root, 0}};  // node, next input
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      if (next == n->inputs.size()) {
        topo_.push_back(n);
        stack.pop_back();
        continue;
      }
      const Node* o = n->inputs[next++];
      ++uses_[o];
      if (plan_.closure.insert(o).second) stack.emplace_back(o, 0);
    }
  }

  // Named values, structural ops and shared elementwise subexpressions get a buffer.
  void decide(const Node* n) {
    if (is_leaf(n)) return;
    bool named = names_.node.count(n) && !is_view(n->op);
    bool structural = kind_of(n->op) != Kind::Map;
    bool shared = has_flag(n, kElementwise) && uses_[n] > 1;
    if (named || structural || shared) plan_.materialised.insert(n);
  }

  // Post-order: every materialised dependency is scheduled before `v`, which is named first (an
  // unnamed dependency is named after its first consumer). An explicit stack, not recursion.
  void visit(const Node* root, const std::string& root_hint) {
    struct Frame {
      const Node* v;
      std::vector<const Node*> deps;
      size_t next = 0;
    };
    std::vector<Frame> stack;
    auto enter = [&](const Node* v, const std::string& hint) {
      auto it = names_.node.find(v);
      plan_.name[v] = it != names_.node.end() ? it->second
                      : hint_.count(v)         ? namer_.claim(hint_[v])
                                               : namer_.claim(hint + "_" + op_info(v->op).name);
      stack.push_back({v, direct_deps(plan_, v)});
    };
    if (!done_.insert(root).second) return;
    enter(root, root_hint);
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next == f.deps.size()) {
        plan_.order.push_back(f.v);
        stack.pop_back();
        if (!stack.empty()) consumed(stack.back());
        continue;
      }
      const Node* d = f.deps[f.next];
      if (done_.insert(d).second)
        enter(d, plan_.name.at(f.v));  // consumed() when its frame is done
      else
        consumed(f);
    }
  }
  void consumed(auto& frame) { plan_.consumers[frame.deps[frame.next++]].push_back(frame.v); }

  const EquationSet& eqs_;
  const Names& names_;
  Plan& plan_;
  Namer namer_;
  std::map<const Node*, int> uses_;
  std::map<const Node*, std::string> hint_;
  std::vector<const Node*> topo_;
  std::set<const Node*> done_;
};

}  // namespace

const Node* loop_tail(const Group& g) {
  for (size_t i = g.members.size(); i-- > 0;)
    if (kind_of(g.members[i]->op) != Kind::Reduce) return g.members[i];
  return g.members.front();
}

const Node* row_operand(const Node* n) {
  if (n->op != Op::Softmax && n->op != Op::LogSoftmax && n->op != Op::CrossEntropy) return nullptr;
  const Node* p = n->inputs[0];
  if (p->shape.empty()) return nullptr;
  if (n->op != Op::CrossEntropy && static_cast<size_t>(n->attrs.axis) + 1 != p->shape.size()) return nullptr;
  return p;
}

std::vector<bool> reduced_axes(const Node* r) {
  const Shape& s = r->inputs[0]->shape;
  std::vector<bool> reduced(s.size(), true);
  if (r->op == Op::SumAxis || r->op == Op::MeanAxis) {
    for (size_t d = 0; d < s.size(); ++d) reduced[d] = d == static_cast<size_t>(r->attrs.axis);
  } else if (r->op == Op::SumTo) {
    const Shape& t = r->shape;
    size_t off = s.size() - t.size();
    for (size_t j = 0; j < t.size(); ++j) reduced[off + j] = t[j].is_one() && !s[off + j].is_one();
  }
  return reduced;
}

bool reduces_leading_axes(const Node* r) {
  if (r->op != Op::SumAxis && r->op != Op::MeanAxis && r->op != Op::SumTo) return false;
  const Shape& s = r->inputs[0]->shape;
  std::vector<bool> reduced = reduced_axes(r);
  bool any = false;
  for (size_t d = 0; d < s.size(); ++d) any = any || (reduced[d] && !s[d].is_one());
  for (size_t d = s.size(); d-- > 0;)
    if (!s[d].is_one()) return any && !reduced[d];  // the innermost varying axis is kept
  return false;
}

std::pair<const Node*, bool> strip_transposes(const Plan& plan, const Node* o) {
  bool t = false;
  while (o->op == Op::Transpose && !plan.materialised.count(o)) {
    o = o->inputs[0];
    t = !t;
  }
  return {o, t};
}

std::vector<const Node*> direct_deps(const Plan& plan, const Node* v) {
  std::vector<const Node*> out;
  auto add = [&](const Node* n) {
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  };
  std::vector<const Node*> roots;
  for (const Node* o : v->inputs) roots.push_back(v->op == Op::MatMul ? strip_transposes(plan, o).first : o);
  walk_inputs(roots, [&](const Node* n) {
    if (is_leaf(n)) return false;
    if (plan.materialised.count(n)) return add(n), false;
    return true;
  });
  return out;
}

Names make_names(const Program& p, const EquationSet& eqs, const std::vector<std::string>& dim_args,
                 const std::vector<std::string>& reserved) {
  Names n;
  for (const std::string& r : reserved) n.namer.claim(r);
  for (const std::string& d : dim_args) n.dim[d] = n.namer.claim(d);
  for (const std::string& d : p.dims)
    if (!n.dim.count(d)) n.dim[d] = n.namer.claim(d);
  for (const Leaf& l : p.leaves) n.leaf[l.name] = n.namer.claim(l.name);
  for (const Equation* e : all_equations(eqs)) {
    n.eq_ident[e] = n.namer.claim(e->ident);
    if (!e->node || has_flag(e->node, kLeaf)) continue;
    n.eqs[e->node].push_back(e);
    if (!n.node.count(e->node)) n.node[e->node] = n.eq_ident[e];
  }
  return n;
}

bool worth_gemm(const Node* matmul, GemmBackend backend) {
  double work = 1;
  for (const Dim& d : {matmul->shape[0], matmul->inputs[0]->shape[1], matmul->shape[1]})
    work *= d.is_symbolic() ? 64.0 : static_cast<double>(d.size);
  return backend != GemmBackend::Loops && work >= 32768;
}

std::set<std::string> params_read(const Plan& plan, const Node* v) {
  std::set<std::string> out;
  walk_inputs(v->inputs, [&](const Node* n) {
    if (n->op == Op::Param) out.insert(n->attrs.name);
    return !is_leaf(n) && !plan.materialised.count(n);
  });
  return out;
}

std::map<std::string, size_t> last_param_reads(const Plan& plan) {
  std::map<std::string, size_t> last;
  for (size_t gi = 0; gi < plan.groups.size(); ++gi)
    for (const Node* m : plan.groups[gi].members)
      for (const std::string& p : params_read(plan, m)) last[p] = gi;
  return last;
}

size_t result_group(const Plan& plan, const Result& r) {
  auto d = r.node ? plan.dest.find(r.node) : plan.dest.end();
  if (d == plan.dest.end() || d->second != r.dest) return plan.groups.size();
  for (size_t gi = 0; gi < plan.groups.size(); ++gi)
    for (const Node* m : plan.groups[gi].members)
      if (m == r.node) return gi;
  return plan.groups.size();
}

namespace {

// --fuse-step: a product group that is exactly one param's gradient and that nothing else reads
// moves to just after the last group reading that param (its operands are all computed earlier,
// and the memory plan is made afterwards), so that the update can overwrite the param right
// after it, in the GEMM itself for plain SGD (beta = 1).
void defer_gradients(Plan& plan, const std::vector<Result>& results, const std::vector<std::string>& result_param) {
  std::map<std::string, size_t> last = last_param_reads(plan);
  std::set<const Node*> copied;
  for (const Finish& f : plan.finishes) copied.insert(f.from);
  std::map<size_t, std::vector<Group>> after;
  std::vector<bool> moved(plan.groups.size(), false);
  for (size_t k = 0; k < results.size() && k < result_param.size(); ++k) {
    const Result& r = results[k];
    size_t gi = result_group(plan, r);
    if (result_param[k].empty() || gi == plan.groups.size()) continue;
    const Group& g = plan.groups[gi];
    auto reads = last.find(result_param[k]);
    if (g.kind != Kind::MatMul || g.members.size() != 1 || reads == last.end() || reads->second <= gi ||
        plan.consumers.count(r.node) || copied.count(r.node) || moved[gi])
      continue;
    moved[gi] = true;
    after[reads->second].push_back(g);
  }
  std::vector<Group> order;
  for (size_t gi = 0; gi < plan.groups.size(); ++gi) {
    if (!moved[gi]) order.push_back(plan.groups[gi]);
    for (Group& g : after[gi]) order.push_back(std::move(g));
  }
  plan.groups = std::move(order);
}

}  // namespace

Plan make_plan(const Program&, const EquationSet& eqs, const Names& names, const std::vector<Result>& results,
               const PlanOptions& opts) {
  Plan plan;
  Planner(eqs, names, plan).run(results);
  fuse(plan, results);
  for (Group& g : plan.groups) g.gemm = g.kind == Kind::MatMul && worth_gemm(g.members.front(), opts.gemm);
  if (!opts.result_param.empty()) defer_gradients(plan, results, opts.result_param);
  plan.memory = plan_memory(plan);
  return plan;
}

std::set<const Equation*> comment_only(const EquationSet& eqs, const Plan& plan, bool backward) {
  std::set<const Equation*> out;
  for (const Equation& e : eqs.forward)
    if (e.node && plan.closure.count(e.node) && !plan.materialised.count(e.node)) out.insert(&e);
  if (backward)
    for (const Equation& e : eqs.backward)
      if (!e.node || !plan.materialised.count(e.node)) out.insert(&e);
  return out;
}

}  // namespace gg::cpp
