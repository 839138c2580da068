// Text of generated statements: scalar expressions read through index maps (broadcasting,
// transposes and unsqueezes become indexing, never copies) and one loop nest per fused group.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "emit/cpp_plan.h"
#include "emit/equations.h"

namespace gg::cpp {

using Idx = std::vector<std::string>;  // one index expression per dimension ("i0", "0")

/// Text of dims, element counts and offsets in one network's generated code.
struct ShapeText {
  const std::map<std::string, std::string>& dim_names;  // dim symbol -> identifier
  Precision prec;

  /// "3" or the dim's identifier.
  std::string dim(const Dim& d) const;
  /// Element count as an int64 expression: "n * 3", "6", "1".
  std::string numel(const Shape& s) const;
  /// Row-major flat offset of `idx` in `s`.
  std::string offset(const Shape& s, const Idx& idx) const;
  /// Element count as a Scalar: "6.0f" or "static_cast<Scalar>(n * 3)".
  std::string count_value(const Shape& s) const;
  std::string accum_count(const Shape& s) const;
};

/// Drops one pair of parentheses around the whole expression.
std::string unwrap(const std::string& e);

/// Elementwise node `n` written with the op table's emission text over its operands' text
/// `ops`; a left operand that continues a chain of the same precedence ("(a + b) - c") loses
/// its parentheses, so long chains do not nest past what compilers accept.
std::string elementwise_text(const Node* n, std::vector<std::string> ops, Precision prec);

/// For ops that only re-index their operand (transpose, broadcast_to, unsqueeze, index): the
/// index of the operand that element `idx` of `n` reads; nullopt for any other op.
std::optional<Idx> view_index(const Node* n, const Idx& idx);

/// The output index a reduction accumulates element `idx` of its operand into.
Idx reduce_out_idx(const Node* r, const Idx& idx);

/// Element `idx` of a scatter (one-hot placement of the scalar `value`).
std::string scatter_text(const Node* n, const std::string& offset, const std::string& value);

/// train_step (--fuse-step): one param's optimizer update, placed right after both the group
/// that completes its gradient and the last group that reads the param.
struct FusedUpdate {
  std::string param;       // param name
  size_t result = 0;       // index of its gradient in the entry's results
  std::string target;      // mutable pointer to the param's first scalar
  std::string statement;   // the update, reading the gradient from the result's destination
  std::string gemm_alpha;  // plain SGD: "-lr"; a GEMM that is the whole gradient then updates the param itself (beta = 1)
};

/// Emits the statements of one entry point's body.
class KernelWriter {
 public:
  KernelWriter(const EquationSet& eqs, const Names& names, const Plan& plan, Precision prec)
      : eqs_(eqs), names_(names), plan_(plan), prec_(prec), text_{names.dim, prec} {}

  /// All groups (each preceded by its equations as comments) then the result finishes.
  std::string body(const std::vector<Result>& results, const std::set<const Equation*>& comment_only);

  /// Fuses these optimizer updates into the body (train_step).
  void set_fused_updates(std::vector<FusedUpdate> u) { updates_ = std::move(u); }
  /// Results whose values a fused GEMM wrote straight into the param (their destination unused).
  const std::set<size_t>& skipped_results() const { return skipped_; }

  /// Leaves the body reads (their pointers must be declared).
  const std::set<std::string>& used_leaves() const { return used_leaves_; }

  /// Dimension text: "3" or the dim's identifier.
  std::string dim(const Dim& d) const { return text_.dim(d); }
  /// Element count of a shape as an int64 expression: "n * 3", "6", "1".
  std::string numel(const Shape& s) const { return text_.numel(s); }

 private:
  std::string read(const Node* n, const Idx& idx);
  std::string define(const Node* n, const Idx& idx);
  std::string offset(const Shape& s, const Idx& idx) const { return text_.offset(s, idx); }
  std::string count_value(const Shape& s) const { return text_.count_value(s); }
  std::string ptr(const Node* n);

  void group(const Group& g);
  void map_group(const Group& g);
  void matmul_group(const Group& g);
  void gemm_group(const Group& g);
  void reduce_group(const Node* n);
  void reduce_prologue(const Group& g);
  void reduce_epilogue(const Group& g);
  void row_group(const Group& g);
  void rowwise_group(const Node* n);
  void loss_group(const Node* n);
  void pack_group(const Node* n);
  void members(const Group& g, const Idx& idx, size_t from, bool comment_each = false);
  void comments(const Node* n);
  std::map<size_t, std::vector<std::string>> place_updates(const std::vector<Result>& results);

  bool lanes_independent(const Group& g, const Idx& idx, size_t from) const;

  // Loop-nest helpers: open loops over the dims whose index is a variable; `independent` marks
  // the innermost one GG_IVDEP.
  void open_loops(const Shape& s, const Idx& idx, const std::vector<bool>& which, bool independent = false);
  void close_loops();
  void line(const std::string& s);

  const EquationSet& eqs_;
  const Names& names_;
  const Plan& plan_;
  Precision prec_;
  ShapeText text_;
  std::vector<FusedUpdate> updates_;
  std::map<const Node*, const FusedUpdate*> gemm_into_;  // gradient products written into the param
  std::set<size_t> skipped_;
  std::map<const Node*, std::string> locals_;
  std::map<const Node*, int64_t> staged_;  // the group's f32 column sums: offset in col_sums
  std::set<std::string> used_leaves_;
  std::string out_;
  int indent_ = 1;
  int open_ = 0;
};

/// The runtime headers kernel statements in `code` call (activations, fills, loop matmuls, row
/// reductions, GG_IVDEP / GG_UNROLL), as sorted #include lines.
std::vector<std::string> kernel_includes(const std::string& code);

/// The standard headers those statements need, as #include lines: <limits> for a NaN or
/// infinite constant (std::numeric_limits), else "".
std::string standard_includes(const std::string& code);

/// `idx` of a node of shape `to` read as an operand of shape `from` under numpy broadcasting.
Idx broadcast_idx(const Shape& from, const Shape& to, const Idx& idx);

}  // namespace gg::cpp
