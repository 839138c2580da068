// Pass: algebraic simplification by a list of rewrite rules. Why: gradient rules are
// written generically (g * local, seeded with dLoss/dLoss = 1), so the backward graph is full
// of 1·x, x + 0, −(−x) and ᵀᵀ that a person would never write and the emitter should not.
#pragma once

#include <cstddef>

#include "ir/program.h"

namespace gg {

/// Applies the rules listed in algebraic.cpp bottom-up over the live graph; returns how
/// many nodes were rewritten. A rewrite never changes a node's shape: where the surviving
/// operand is smaller than the result (x[3] · 1[n, 3]), the node is kept.
size_t algebraic(Program& p);

}  // namespace gg
