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

// Evaluates a scalar node on scalar constant operands with the reference evaluation.
double evaluate(const Node* old, const std::vector<const Node*>& ins) {
  std::vector<Tensor> vals;
  vals.reserve(ins.size());
  for (const Node* in : ins) vals.push_back(Tensor::scalar(in->attrs.value));
  std::vector<const Tensor*> ptrs;
  for (const Tensor& t : vals) ptrs.push_back(&t);
  Tensor out = Tensor::zeros({});
  const DimBindings none;
  op_info(old->op).eval(EvalArgs{*old, ptrs, out, none});
  return out.data[0];
}

}  // namespace

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
        return {g.constant(evaluate(old, ins)), true};
      },
      "const_fold");
}

}  // namespace gg
