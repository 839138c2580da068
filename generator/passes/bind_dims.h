// Pass: bind symbolic dimensions to fixed sizes (`--bind n=64`). Why: specialised code
// knows every size, and const_fold then turns count[n, 1] into a literal.
#pragma once

#include <cstddef>

#include "ir/program.h"
#include "ir/shape.h"

namespace gg {

/// Throws InputError, saying which `--bind NAME=SIZE` and why, if a bound name is not a `dim`
/// of the program, a size is not in 1..kMaxDim, or a declared tensor would pass kMaxElements.
void check_bindings(const Program& p, const DimBindings& b);

/// Rebuilds every live node whose shape attribute (Input/Param declared shape, Count, SumTo,
/// BroadcastTo target) mentions a bound dim with that dim fixed; shape rules re-run on the
/// rebuilt users. Bound names are removed from p.dims. Returns the number of nodes rebound.
/// Checks `b` first (check_bindings).
size_t bind_dims(Program& p, const DimBindings& b);

}  // namespace gg
