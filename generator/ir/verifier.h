// IR verifier: checks the invariants every pass must preserve; run between passes in tests.
#pragma once

#include "ir/program.h"

namespace gg {

/// Checks, for every live node: its op has a row, arity matches, operands are non-null and
/// older (operand id < node id: acyclic), ids are unique (no node from a foreign graph), and
/// re-running the shape rule gives the stored shape. Checks the program: leaves are Input/
/// Param nodes carrying their names, the loss exists and is a scalar, `grad` names inputs,
/// each adjoint names a leaf or definition once and has its shape, and — once adjoints exist —
/// every param has one. Throws InternalError("verifier: ...") on the first violation.
void verify(const Program& p);

}  // namespace gg
