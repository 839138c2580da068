// Constant folding through the op table's evaluation functions.
#include "passes/const_fold.h"

#include <vector>

#include "ir/op_table.h"
#include "passes/rewrite.h"

namespace gg {
namespace {

bool all_const(const std::vector<const Node*>& ins) {
  for (const Node* in : ins)
    if (in->op != Op::Const) return false;
  return !ins.empty();
}

// Evaluates a scalar node on scalar operand values with the reference evaluation.
double evaluate(const Node* old, const std::vector<double>& operands) {
  std::vector<Tensor> vals;
  vals.reserve(operands.size());
  for (double v : operands) vals.push_back(Tensor::scalar(v));
  std::vector<const Tensor*> ptrs;
  for (const Tensor& t : vals) ptrs.push_back(&t);
  Tensor out = Tensor::zeros({});
  const DimBindings none;
  op_info(old->op).eval(EvalArgs{*old, ptrs, out, none});
  return out.data[0];
}

}  // namespace

std::optional<double> constant_value(const Node* n, int depth) {
  if (n->op == Op::Const) return n->attrs.value;
  if (!n->is_scalar() || n->inputs.empty() || depth <= 0) return std::nullopt;
  std::vector<double> operands;
  for (const Node* in : n->inputs) {
    const std::optional<double> v = constant_value(in, depth - 1);
    if (!v) return std::nullopt;
    operands.push_back(*v);
  }
  return evaluate(n, operands);
}

size_t const_fold(Program& p) {
  Graph& g = *p.graph;
  return rewrite(
      p,
      [&](const Node* old, const std::vector<const Node*>& ins) -> Rewritten {
        if (old->op == Op::Count) {
          auto n = static_numel(old->attrs.shape);
          if (!n) return {};
          return {g.constant(static_cast<double>(*n)), true};
        }
        if (!old->is_scalar() || !all_const(ins)) return {};
        std::vector<double> operands;
        for (const Node* in : ins) operands.push_back(in->attrs.value);
        return {g.constant(evaluate(old, operands)), true};
      },
      "const_fold");
}

}  // namespace gg
