// The simplification pipeline: const_fold, algebraic, cse, dce to a fixpoint, with dump hooks.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "ir/program.h"

namespace gg {

struct PipelineOptions {
  std::vector<std::string> dump_after;  // pass names (see pass_names()); IR printed after each run of them
  std::ostream* dump = nullptr;         // where dumps go; nothing is printed when null
  bool verify = false;                  // run the verifier before the first pass and after every pass
};

/// Names accepted by dump_after, in pipeline order: autodiff, const_fold, algebraic, pack_scatters, cse, dce.
/// The CLI checks --dump-after against this list (an unknown name is a usage error, exit 2).
const std::vector<std::string>& pass_names();

/// Runs const_fold, algebraic, pack_scatters, cse and dce in rounds until a round changes nothing (at most
/// a fixed number of rounds). Values are preserved (up to floating-point reassociation the
/// rules do not perform). Ends with dce, so p.graph is replaced and holds live nodes only:
/// node pointers not held by `p` are invalid afterwards.
/// Throws std::invalid_argument naming the pass for an unknown dump_after name (before doing
/// anything), and InternalError when verification fails.
void optimize(Program& p, const PipelineOptions& opts);

/// differentiate (dump hook "autodiff") then optimize.
void differentiate_and_optimize(Program& p, const PipelineOptions& opts);

}  // namespace gg
