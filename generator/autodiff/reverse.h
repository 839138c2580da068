// Reverse-mode automatic differentiation of a Program: builds the backward graph as IR.
#pragma once

#include "ir/program.h"

namespace gg {

/// Appends the backward graph to p.graph and fills p.adjoints (B1..Bm).
///
/// The driver holds no per-op code: each node's local gradient comes from its op-table
/// `vjp` rule. Cotangents start at dLoss/dLoss = 1, flow from the loss towards the leaves
/// in reverse topological order (node id order, so the result is deterministic), are summed
/// over broadcast axes (SumTo) where a contribution is bigger than its operand, and are
/// accumulated with Add at fan-out. Zeros stay symbolic (no node): only operands that
/// depend on a param or on an input listed in `grad` receive gradients.
///
/// p.adjoints gets one entry, in the order cotangents become final, for
///  - every named definition (first name of a node only; never the loss itself) whose
///    cotangent is non-zero, emitted as soon as it is final;
///  - every param, emitted once all its consumers have been processed (params the loss
///    does not reach come after the walk, in declaration order);
///  - every input in p.grad_inputs, last, in `grad` order.
/// A param or grad input whose gradient is identically zero gets node == nullptr:
/// consumers write zeros of the leaf's shape.
///
/// Throws InternalError naming the op when a rule is missing or misbehaves, or when the
/// program has no scalar loss; p is unchanged in that case except for unused graph nodes.
void differentiate(Program& p);

}  // namespace gg
