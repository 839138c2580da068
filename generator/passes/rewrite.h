// Shared engine of the rewriting passes: a memoized bottom-up rebuild of the live graph.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "ir/program.h"

namespace gg {

/// What a rule decided for one node: `node` = nullptr keeps it (rebuilt through Graph::make
/// only if an operand changed); otherwise `node` stands for it and `replaced` says whether
/// that counts as a change (false for a plain rebuild the rule did itself).
struct Rewritten {
  const Node* node = nullptr;
  bool replaced = true;
};

/// Sees an old node and its operands as already rewritten.
using RewriteRule = std::function<Rewritten(const Node* old, const std::vector<const Node*>& ins)>;

/// Applies `rule` to every live node in id order (operands before users), memoizing
/// old -> new, then remaps every reference in `p`. Nodes are never mutated: replacements are
/// new nodes of p.graph. Returns how many nodes the rule replaced. A replacement must keep
/// the node's shape (InternalError otherwise: it would silently change the program), unless
/// `reshapes` is set (bind_dims, whose whole point is to change shapes).
size_t rewrite(Program& p, const RewriteRule& rule, const char* pass_name, bool reshapes = false);

/// The same node rebuilt on new operands (or `old` itself when they are unchanged).
const Node* rebuild(Graph& g, const Node* old, const std::vector<const Node*>& ins);

}  // namespace gg
