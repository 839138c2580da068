// Depth-first walks down a node's inputs without recursion: a network may be a chain of many
// thousand definitions, deeper than the call stack allows.
#pragma once

#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "ir/node.h"

namespace gg {

/// Walks from `roots` down through inputs (left to right), visiting nodes in the order a
/// recursive walk would. Each (node, state) pair is visited once; `visit(n, s)` returns the state
/// to walk n's inputs with, or nullopt to go no further below n.
template <class State, class Visit>
void walk_inputs(const std::vector<std::pair<const Node*, State>>& roots, Visit visit) {
  std::vector<std::pair<const Node*, State>> stack(roots.rbegin(), roots.rend());
  std::set<std::pair<const Node*, State>> seen;
  while (!stack.empty()) {
    const auto top = stack.back();
    stack.pop_back();
    if (!seen.insert(top).second) continue;
    const std::optional<State> below = visit(top.first, top.second);
    if (!below) continue;
    const auto& inputs = top.first->inputs;
    for (auto it = inputs.rbegin(); it != inputs.rend(); ++it) stack.emplace_back(*it, *below);
  }
}

/// The same walk without a state: `visit(n)` returns whether to go on into n's inputs.
template <class Visit>
void walk_inputs(const std::vector<const Node*>& roots, Visit visit) {
  std::vector<std::pair<const Node*, bool>> with_state;
  for (const Node* r : roots) with_state.emplace_back(r, true);
  walk_inputs<bool>(with_state, [&](const Node* n, bool) { return visit(n) ? std::optional<bool>(true) : std::nullopt; });
}

}  // namespace gg
