// Pass: dead-code elimination. Why: autodiff builds contributions nobody needs (the target's
// gradient in mse) and every rewriting pass leaves replaced nodes behind in the arena.
#pragma once

#include <cstddef>

#include "ir/program.h"

namespace gg {

/// Keeps only the live nodes (reachable from p.roots()) by rebuilding them, in id order, into
/// a fresh Graph that replaces p.graph: ids become dense (0..live-1) again and the dead
/// nodes' memory is freed. Returns how many nodes were dropped.
///
/// Invalidates every Node pointer into the old graph that is not held by `p` itself:
/// re-read leaves, definitions and adjoints from `p` afterwards.
size_t dce(Program& p);

}  // namespace gg
