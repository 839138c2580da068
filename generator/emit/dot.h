// Graphviz DOT of a Program: the forward graph (variables as boxes, ops as ellipses, edges in
// data-flow direction, as in the seed's Figure 1) and, with `backward`, the backward
// equations as nodes and each forward edge labelled with its local gradient.
#pragma once

#include <string>

#include "emit/equations.h"
#include "ir/program.h"

namespace gg {

struct DotOptions {
  bool backward = false;  // add the backward equations and local-gradient edge labels
};

/// The DOT text for `p` (differentiated and simplified when `opts.backward`); `eqs` are its
/// equations (build_equations(p)), used for names and labels. Deterministic: nodes and edges
/// appear in program order and node-id order, never pointer order.
std::string emit_dot(const Program& p, const EquationSet& eqs, const DotOptions& opts);

/// A DOT double-quoted string literal holding `s`.
std::string dot_quote(const std::string& s);

}  // namespace gg
