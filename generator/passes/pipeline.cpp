// The pass pipeline: a straight list of passes, each with its invariant, dump hook and verifier.
#include "passes/pipeline.h"

#include <algorithm>
#include <ostream>
#include <stdexcept>

#include "autodiff/reverse.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/algebraic.h"
#include "passes/const_fold.h"
#include "passes/cse.h"
#include "passes/dce.h"
#include "passes/pack_scatters.h"

namespace gg {
namespace {

// Enough for the rule chains we have (0 − x → −x → folded into a parent needs 3).
constexpr int kMaxRounds = 8;

void check_names(const PipelineOptions& opts) {
  for (const std::string& n : opts.dump_after)
    if (std::find(pass_names().begin(), pass_names().end(), n) == pass_names().end()) {
      std::string known;
      for (const std::string& k : pass_names()) known += (known.empty() ? "" : ", ") + k;
      throw std::invalid_argument("unknown pass '" + n + "' in --dump-after (passes: " + known + ")");
    }
}

// After each pass: the dump hook, then the verifier.
void after(const char* pass, const std::string& note, const Program& p, const PipelineOptions& opts) {
  const auto& d = opts.dump_after;
  if (opts.dump && std::find(d.begin(), d.end(), pass) != d.end())
    *opts.dump << "; ---- after " << pass << note << " ----\n" << print_ir(p);
  if (opts.verify) verify(p);
}

std::string note(int round, const char* what, size_t n) {
  return " (round " + std::to_string(round) + ", " + std::to_string(n) + " " + what + ")";
}

// One round; returns the number of rewrites (dce's drops are consequences, not counted).
size_t round_of(Program& p, const PipelineOptions& opts, int r) {
  size_t changes = 0, n = 0;
  n = const_fold(p);  // every node with constant operands is a Const
  changes += n;
  after("const_fold", note(r, "folded", n), p, opts);
  n = algebraic(p);  // no rule of algebraic.cpp matches a live node's immediate operands
  changes += n;
  after("algebraic", note(r, "rewritten", n), p, opts);
  n = pack_scatters(p);  // no add of two scatters/packs and no index of a pack is live
  changes += n;
  after("pack_scatters", note(r, "merged", n), p, opts);
  n = cse(p);  // no two live nodes have the same op, operands and attributes
  changes += n;
  after("cse", note(r, "merged", n), p, opts);
  n = dce(p);  // every node in p.graph is live; ids are dense
  after("dce", note(r, "dropped", n), p, opts);
  return changes;
}

}  // namespace

const std::vector<std::string>& pass_names() {
  static const std::vector<std::string> names{"autodiff", "const_fold", "algebraic", "pack_scatters", "cse", "dce"};
  return names;
}

void optimize(Program& p, const PipelineOptions& opts) {
  check_names(opts);
  if (opts.verify) verify(p);
  for (int r = 1; r <= kMaxRounds; ++r)
    if (round_of(p, opts, r) == 0) break;
}

void differentiate_and_optimize(Program& p, const PipelineOptions& opts) {
  check_names(opts);
  if (opts.verify) verify(p);
  // The same product written twice (`p = sigmoid(X @ W)`, `v = sum(X @ W, axis=1)`) is one
  // node before it is differentiated, so its gradient is summed once and multiplied once
  // (Xᵀ @ (g1 + g2)), not Xᵀ @ g1 + Xᵀ @ g2.
  cse(p);
  dce(p);
  differentiate(p);
  after("autodiff", "", p, opts);
  optimize(p, opts);
}

}  // namespace gg
