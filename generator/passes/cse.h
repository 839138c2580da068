// Pass: common-subexpression elimination by structural hashing. Why: gradient rules rebuild
// the same subterms (transpose(W2), 1 − a2, the count of a shape) at every use, and
// differentiate re-creates constants; one node per distinct value keeps the code small.
#pragma once

#include <cstddef>

#include "ir/program.h"

namespace gg {

/// Nodes with the same op, the same operand nodes (in any order for ops flagged commutative
/// in the op table) and the same attributes (constants compared bit for bit) become one:
/// the lowest-id one survives, so the result is deterministic. Returns the number merged.
size_t cse(Program& p);

}  // namespace gg
