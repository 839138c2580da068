// THE op table: one row per op in ops.def holding everything about it — shape rule,
// reference evaluation, local-gradient rule (built as IR from other ops), and display
// and emission text. Autodiff, interpreter, printers and emitters hold no per-op code.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "ir/expr.h"
#include "ir/node.h"
#include "ir/tensor.h"

namespace gg {

enum OpFlags : unsigned {
  kLeaf = 1u << 0,         // no operands
  kElementwise = 1u << 1,  // result[i] depends on operand[i] only (binary ones broadcast)
  kCommutative = 1u << 2,
  kLinear = 1u << 3,       // linear in each operand (cotangent can be pushed through)
  kReduction = 1u << 4,
  kLoss = 1u << 5,         // scalar loss function of (prediction, target)
  kInternal = 1u << 6,     // produced by autodiff or passes, not callable from .grad
};

/// What a local-gradient rule sees: the node, its operands, its output and the cotangent
/// `g` arriving from above. It calls to(i, c) once per operand that receives a gradient;
/// the autodiff driver sums `c` over broadcast axes and accumulates it.
struct Vjp {
  Graph& graph;
  const Node* node;
  E g;    // dLoss/d(out), same shape as out
  E out;  // the node itself: rules may reuse the forward result (σ' = σ(1-σ))

  E in(int i) const { return E{&graph, node->inputs[static_cast<size_t>(i)]}; }
  void to(int i, E contribution) { contributions[static_cast<size_t>(i)] = contribution.n; }
  std::vector<const Node*> contributions;  // nullptr = symbolic zero
};

/// Reference evaluation: `out.shape` is set and `out.data` sized before the call.
struct EvalArgs {
  const Node& node;
  const std::vector<const Tensor*>& in;
  Tensor& out;
  const DimBindings& dims;
};

using ShapeRule = Shape (*)(const std::vector<const Node*>& in, const Attrs& attrs);
using EvalRule = void (*)(const EvalArgs& args);
using VjpRule = void (*)(Vjp& v);

/// How a node is written in equations. `text` and `latex` are fmt-style patterns with
/// {0}, {1} for operands and {value}, {axis}, {shape} for attributes. Operands whose
/// precedence is lower than `precedence` get parentheses.
struct Display {
  const char* text;
  const char* latex;
  int precedence;  // 1 additive, 2 multiplicative, 3 unary minus, 4 postfix/call, 5 atom
};

/// OpInfo::arity of an op taking any number of operands (Pack).
constexpr int kVariadic = -1;

struct OpInfo {
  Op op;
  const char* name;
  int arity;  // operand count, or kVariadic
  unsigned flags;
  ShapeRule shape;
  EvalRule eval;
  VjpRule vjp;  // nullptr only for leaves (they have no operands)
  Display display;
  const char* emit;  // C++ emission: a scalar expression over {0}, {1} for elementwise ops, else the runtime kernel name
};

/// The row for `op`. Every op has exactly one complete row (tests/unit/test_op_table.cpp).
const OpInfo& op_info(Op op);
const std::vector<OpInfo>& op_table();
/// Lookup by .grad function name, for the front end; nullptr if none (internal ops excluded).
const OpInfo* find_callable(std::string_view name);
inline bool has_flag(const Node* n, OpFlags f) { return (op_info(n->op).flags & f) != 0; }

}  // namespace gg
