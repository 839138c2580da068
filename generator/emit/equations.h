// The named equations F1..Fk and B1..Bm of a differentiated, simplified Program: the one
// shared view that `explain` prints and the C++ emitter writes as comments and statements,
// so the names and formulas in both are identical.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/program.h"

namespace gg {

enum class Format { Text, Markdown, Latex };

struct Equation {
  std::string label;  // "F2", "B5"; "" for a temporary
  std::string name;   // what the equation defines, as shown: "z2", "dJ/dz2", or a temporary "t1"
  std::string ident;  // the same as a C identifier: "z2", "dJ_dz2", "t1" (C++ keyword mangling is the emitter's job)
  const Node* node;   // the value; nullptr for a gradient that is identically zero
  int seq = 0;        // position in the whole sequence (forward, then temporaries and backward interleaved);
                      // an equation references by name only nodes defined at a smaller seq
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
  /// `n` written as an expression as seen from an equation at position `seq`: nodes named
  /// before `seq` (and leaves) appear by name, everything else inline. For graph labels.
  std::string expr(const Node* n, int seq, Format f) const;

  std::map<const Node*, std::string> names;   // node -> displayed name
  std::map<const Node*, std::string> idents;  // node -> C identifier
  std::map<const Node*, int> defined_at;      // node -> seq of the equation naming it (-1: a leaf)
  std::set<std::string> latex_spelled_out;    // names whose usual LaTeX form another name has
  std::string network;                        // Program::name, for headings
  std::string loss_name;                      // "J"
};

/// Builds the equations of `p` (autodiff and simplification already run).
EquationSet build_equations(const Program& p);

/// The whole `explain` document: forward then backward equations in format `f`.
std::string render_equations(const EquationSet& s, Format f);

/// A number for LaTeX: 0.5 stays, 5e-04 becomes 5 \cdot 10^{-4} and 1e+20 10^{20}.
std::string latex_number(double v);

/// A tensor or gradient name in LaTeX: W1 -> W_{1}, dJ/dz3 -> \frac{\partial J}{\partial z_{3}}.
/// Names in `spelled_out` are written as they are (\mathrm{z\_2}): their usual form is another
/// name's (z_2 and z2 both read z_2).
std::string latex_name(const std::string& name, const std::set<std::string>* spelled_out = nullptr);

/// Shortest text that reads back as the same double: 0.5, 2, 1e-08.
std::string number_text(double v);

}  // namespace gg
