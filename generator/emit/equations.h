// The named equations F1..Fk and B1..Bm of a differentiated, simplified Program: the one
// shared view that `explain` prints and the C++ emitter writes as comments and statements,
// so the names and formulas in both are identical.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/program.h"

namespace gg {

enum class Format { Text, Markdown, Latex };

struct Equation {
  std::string label;  // "F2", "B5"
  std::string name;   // what the equation defines, as shown: "z2", "dJ/dz2", or a temporary "t1"
  std::string ident;  // the same as a C identifier: "z2", "dJ_dz2", "t1" (C++ keyword mangling is the emitter's job)
  const Node* node;   // the value; nullptr for a gradient that is identically zero
};

class EquationSet {
 public:
  std::vector<Equation> forward;   // one per definition (aliases like `output yhat = z3` included)
  std::vector<Equation> backward;  // one per adjoint, plus temporaries for shared unnamed subexpressions

  /// The right-hand side of `eq`: its node written with every other named node by name.
  std::string rhs(const Equation& eq, Format f) const;
  /// "B3: dJ/dW2 = a2ᵀ @ dJ/dz3" (Text); markdown and LaTeX variants for the other formats.
  std::string line(const Equation& eq, Format f) const;
  /// Name under which `n` is referenced in other equations, or "" if it is written inline.
  std::string name_of(const Node* n) const;

  std::map<const Node*, std::string> names;   // node -> displayed name
  std::map<const Node*, std::string> idents;  // node -> C identifier
};

/// Builds the equations of `p` (autodiff and simplification already run).
EquationSet build_equations(const Program& p);

}  // namespace gg
