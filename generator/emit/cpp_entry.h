// Bodies of the generated entry points (init, forward, loss_and_grad, step): argument
// checks, buffer declarations and the scheduled kernels.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "emit/cpp_api.h"
#include "emit/cpp_plan.h"

namespace gg::cpp {

/// One entry point that computes values: its results, its plan, and the text of its body.
struct Entry {
  std::vector<Result> results;
  Plan plan;
  std::string body;
  std::string workspace_need;  // int64 expression: scalars of workspace it uses ("0" if none)
  std::string workspace_need_approx;  // the same in double, slots not rounded to lines: cannot overflow
  std::set<size_t> unwritten;  // train_step: results a fused GEMM applied to the param instead (dest not written)
  // The schedule (for --report): row blocks (cpp_rowblock.h) with their stack arrays, or the
  // general one, with why the entry does not take row blocks and whether its buffers are local arrays.
  bool row_blocks = false;
  int lanes = 0;                    // row blocks: rows per block, at most
  int64_t accumulator_scalars = 0;  // row blocks: lane-wise accumulators on the stack
  int64_t lane_scalars = 0;         // row blocks: the block's row arrays on the stack
  std::string not_row_blocks;       // general schedule: why not row blocks
  bool workspace_on_stack = false;  // general schedule: every buffer a local array (ws unused)
};

struct EntryContext {
  const Program& p;
  const EquationSet& eqs;
  const Names& names;
  const CppApi& api;
  const CppOptions& opts;
};

Entry forward_entry(const EntryContext& c);
Entry loss_and_grad_entry(const EntryContext& c);
/// --fuse-step: loss_and_grad with each param's optimizer update fused in (see FusedUpdate).
Entry train_step_entry(const EntryContext& c);
std::string init_body(const EntryContext& c);
std::string step_body(const EntryContext& c);

}  // namespace gg::cpp
