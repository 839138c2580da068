// The memoized, iterative evaluator and evaluate(): loss, outputs and gradients of a Program.
#include "interp/interpreter.h"

#include <algorithm>
#include <unordered_set>

#include "ir/op_table.h"
#include "support/error.h"
#include "support/numbers.h"

namespace gg {

void round_to_f32(Tensor& t) {
  for (double& v : t.data) v = static_cast<double>(nearest_float(v));
}

Interpreter::Interpreter(const Values& leaves, DimBindings dims, Precision precision)
    : leaves_(&leaves), dims_(std::move(dims)), precision_(precision) {
  if (precision_ == Precision::F32) {  // borrowed values are the caller's: round a copy
    owned_ = leaves;
    leaves_ = &owned_;
    round_owned();
  }
}

Interpreter::Interpreter(Values&& leaves, DimBindings dims, Precision precision)
    : owned_(std::move(leaves)), leaves_(&owned_), dims_(std::move(dims)), precision_(precision) {
  if (precision_ == Precision::F32) round_owned();
}

void Interpreter::round_owned() {
  for (auto& [name, t] : owned_) round_to_f32(t);
}

const Tensor* Interpreter::known(const Node* n) const {
  if (auto it = memo_.find(n); it != memo_.end()) return &it->second;
  if (auto it = leaf_memo_.find(n); it != leaf_memo_.end()) return it->second;
  return nullptr;
}

const Tensor& Interpreter::eval(const Node* n) {
  eval_all({n});
  return *known(n);
}

// Collects every not-yet-computed node reachable from `nodes` with an explicit stack, then
// computes them by increasing id: a node's operands were created, hence numbered, before it.
void Interpreter::eval_all(const std::vector<const Node*>& nodes) {
  std::vector<const Node*> todo, stack;
  std::unordered_set<const Node*> seen;
  auto visit = [&](const Node* n) {
    if (!n) throw InternalError("interpreter asked to evaluate a null node");
    if (!known(n) && seen.insert(n).second) stack.push_back(n);
  };
  for (const Node* n : nodes) visit(n);
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    todo.push_back(n);
    for (const Node* in : n->inputs) visit(in);
  }
  std::sort(todo.begin(), todo.end(), [](const Node* a, const Node* b) { return a->id < b->id; });
  for (const Node* n : todo) compute(n);
}

const Tensor& Interpreter::leaf_value(const Node* n) const {
  auto it = leaves_->find(n->attrs.name);
  if (it == leaves_->end()) throw InputError("no value for '" + n->attrs.name + "' " + shape_str(n->shape));
  if (it->second.shape != concrete(n->shape, dims_))
    throw InputError("value for '" + n->attrs.name + "' does not have its declared shape " + shape_str(n->shape));
  return it->second;
}

void Interpreter::compute(const Node* n) {
  if (n->op == Op::Input || n->op == Op::Param) {
    leaf_memo_.emplace(n, &leaf_value(n));
    return;
  }
  std::vector<const Tensor*> ins;
  ins.reserve(n->inputs.size());
  for (const Node* in : n->inputs) {
    const Tensor* t = known(in);
    if (!t) throw InternalError("operand of node " + std::to_string(n->id) + " evaluated out of order");
    ins.push_back(t);
  }
  Tensor out = Tensor::zeros(concrete(n->shape, dims_));
  op_info(n->op).eval(EvalArgs{*n, ins, out, dims_});
  if (precision_ == Precision::F32) round_to_f32(out);
  memo_.emplace(n, std::move(out));
}

namespace {

const Adjoint& adjoint_entry(const Program& p, const std::string& name) {
  for (const Adjoint& a : p.adjoints)
    if (a.of == name) return a;
  throw InternalError("no adjoint for '" + name + "': autodiff must run before evaluate");
}

Tensor gradient(const Program& p, Interpreter& it, const std::string& name) {
  const Leaf* leaf = p.find_leaf(name);
  if (!leaf) throw InternalError("grad input '" + name + "' is not a declared tensor");
  std::vector<int64_t> shape = concrete(leaf->node->shape, it.dims());
  const Node* adj = adjoint_entry(p, name).node;
  if (!adj) return Tensor::zeros(shape);  // a symbolic zero
  const Tensor& g = it.eval(adj);
  if (g.shape != shape)
    throw InternalError("adjoint of '" + name + "' has shape " + shape_str(adj->shape) + ", not " +
                        shape_str(leaf->node->shape));
  return g;
}

}  // namespace

EvalResult evaluate(const Program& p, const Values& values, Precision precision) {
  EvalResult r;
  r.dims = infer_dims(p, values);
  for (const Leaf& l : p.leaves)
    if (l.kind == LeafKind::Param && !values.count(l.name))
      throw InputError("missing value for param '" + l.name + "' " + shape_str(l.node->shape));
  if (!p.loss) throw InternalError("program '" + p.name + "' has no loss");
  Interpreter it(values, r.dims, precision);
  std::vector<const Node*> roots{p.loss};
  for (const Definition& d : p.definitions)
    if (d.kind == DefKind::Output) roots.push_back(d.node);
  for (const Adjoint& a : p.adjoints)
    if (a.node) roots.push_back(a.node);
  it.eval_all(roots);
  r.loss = it.eval(p.loss).data.at(0);
  for (const Definition& d : p.definitions)
    if (d.kind == DefKind::Output) r.outputs[d.name] = it.eval(d.node);
  for (const Leaf& l : p.leaves)
    if (l.kind == LeafKind::Param) r.grads[l.name] = gradient(p, it, l.name);
  for (const std::string& name : p.grad_inputs) r.grads[name] = gradient(p, it, name);
  return r;
}

}  // namespace gg
