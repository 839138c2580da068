// Deterministic SSA-style text listing of a Program's live IR (for --dump-after and tests).
#pragma once

#include <string>
#include <vector>

#include "ir/program.h"

namespace gg {

/// Nodes reachable from p.roots(), in increasing id order. Nodes that no root reaches are
/// dead: passes, the printer, the verifier and emitters look at live nodes only.
std::vector<const Node*> live_nodes(const Program& p);

/// One line per live node in id order, e.g. `%7 : [n, 3] = add %5, %6`,
/// `%9 : [n] = sum_axis[axis=1] %7`, `%3 : [] = const 0.5`, `%1 : [2, 3] = param W1`,
/// then the definitions, the loss, `grad` inputs and the adjoints (`dJ/dW2 = %23`,
/// `dJ/db1 = 0` for a symbolic zero). Attributes shown are those the op's display text uses,
/// plus any other that is not at its default.
std::string print_ir(const Program& p);

/// The right-hand side of one node's line: `add %5, %6`, `const 0.5`, `sum_to[shape=[3]] %7`.
std::string print_node(const Node& n);

}  // namespace gg
