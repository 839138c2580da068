// Pass: constant folding. Why: gradient rules and --bind leave arithmetic on literals
// (2 / count[4, 1], 1 - 0.5) that is cheaper to compute once, here, than at every step.
#pragma once

#include <cstddef>
#include <optional>

#include "ir/program.h"

namespace gg {

/// Replaces every live node whose operands are all scalar Consts (and whose result is a
/// scalar) by a Const holding its value, computed with the op table's own reference `eval`
/// (so folding and the interpreter cannot disagree). A Count of a fully static shape becomes
/// a Const. Returns the number of nodes folded.
size_t const_fold(Program& p);

/// The value of scalar node `n` when everything it reads is a scalar Const (a formula of
/// literals that a front end has just built), computed as const_fold computes it; nullopt
/// otherwise, or when the formula is more than `depth` nodes deep.
std::optional<double> constant_value(const Node* n, int depth = 8);

}  // namespace gg
