// Row-block schedule for small row-wise networks (issue 4): one pass over the batch in blocks
// of rows, one row per SIMD lane, forward and backward together, every reduction over the rows
// (weight and bias gradients, the loss) kept in lane-wise accumulators that are summed once
// after the last block. Used for an entry point when every value it computes is
//   U    uniform: depends on no input (params, constants, counts, and their elementwise
//        functions and views, e.g. W2ᵀ), computed inline where read;
//   R    row-local: leading dim the row dim, row i depending only on row i of the inputs
//        (inputs, elementwise ops with U operands broadcast along the rows, R @ U, (U @ Rᵀ)ᵀ,
//        softmax, log_softmax and sums/means over non-leading axes; softmax, log_softmax and
//        cross_entropy of the same rank-2 logits share each row's logsumexp);
//   A    accumulated over the rows: sum/mean (all, or axis 0, or sum_to dropping the rows) of
//        R, Rᵀ @ R (the weight gradients), and the losses of R operands;
//   Post elementwise functions and views of A, U and Post values, computed after the loop;
// no R value reads an A or Post value, and every size is static and small (see kRowBlock*).
// Otherwise the entry keeps the general schedule (KernelWriter).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "emit/cpp_plan.h"
#include "emit/equations.h"

namespace gg::cpp {

/// Largest per-row element count of any row-local value (X[n, 784] of W2 does not qualify).
constexpr int64_t kRowBlockMaxRow = 64;
/// Largest element count of one uniform tensor read in the block (a param, say).
constexpr int64_t kRowBlockMaxUniform = 4096;
/// Largest total element count of the accumulated values (each has one accumulator per lane).
constexpr int64_t kRowBlockMaxAccumulated = 1024;
/// Largest total per-row element count of the row-local values kept in lane arrays.
constexpr int64_t kRowBlockMaxLaneScalars = 512;
/// Loops inside a block of at most this many iterations are marked GG_UNROLL (fully unrolled
/// under GCC, whose -O2 then vectorizes the loop over the lanes; -O3 and clang do so unasked).
constexpr int64_t kRowBlockUnrolled = 8;
/// With a bound row dim, values with at most this many accumulators have the halves of 4 lanes
/// or more of their lane sums folded in one loop over the lanes around all of them (compilers
/// unroll loops this short completely); larger ones each in a loop over their accumulators.
constexpr int64_t kRowBlockFoldUnrolled = 16;

struct RowBlockInput {
  const EquationSet& eqs;
  const Names& names;
  const Plan& plan;  // its materialised set and names (the same identifiers as the general path)
  Precision precision;
  const std::vector<Result>& results;
  const std::set<const Equation*>& comment_only;  // equations shown as comments only
  std::vector<std::string> updates;               // train_step: optimizer updates, run after every result is written
};

struct RowBlockBody {
  std::string text;                   // the statements (indented for a function body), without `return`
  std::set<std::string> used_leaves;  // leaves read (their pointers must be declared)
  int lanes = 1;                      // rows per block, at most (the widest block)
  int64_t accumulator_scalars = 0;    // lane-wise accumulators (a stack array each, lanes per value)
  int64_t lane_scalars = 0;           // the block's row arrays (a stack array each, lanes rows per value)
};

/// The row-block body of an entry point, or nullopt when the entry does not qualify; then
/// `refusal` says why, e.g. "per-row size 784 > 64 (X[n, 784])" (`gradgen generate --report`
/// prints it under the entry's workspace line).
std::optional<RowBlockBody> row_block_body(const RowBlockInput& in, std::string& refusal);

}  // namespace gg::cpp
