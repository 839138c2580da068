// Text of generated statements: scalar expressions read through index maps (broadcasting,
// transposes and unsqueezes become indexing, never copies) and one loop nest per fused group.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "emit/cpp_plan.h"
#include "emit/equations.h"

namespace gg::cpp {

using Idx = std::vector<std::string>;  // one index expression per dimension ("i0", "0")

/// Emits the statements of one entry point's body.
class KernelWriter {
 public:
  KernelWriter(const EquationSet& eqs, const Names& names, const Plan& plan, Precision prec)
      : eqs_(eqs), names_(names), plan_(plan), prec_(prec) {}

  /// All groups (each preceded by its equations as comments) then the result finishes.
  std::string body(const std::vector<Result>& results, const std::set<const Equation*>& comment_only);

  /// Leaves the body reads (their pointers must be declared).
  const std::set<std::string>& used_leaves() const { return used_leaves_; }

  /// Dimension text: "3" or the dim's identifier.
  std::string dim(const Dim& d) const;
  /// Element count of a shape as an int64 expression: "n * 3", "6", "1".
  std::string numel(const Shape& s) const;

 private:
  std::string read(const Node* n, const Idx& idx);
  std::string define(const Node* n, const Idx& idx);
  std::string offset(const Shape& s, const Idx& idx) const;
  std::string count_value(const Shape& s) const;
  std::string ptr(const Node* n);

  void group(const Group& g);
  void map_group(const Group& g);
  void matmul_group(const Group& g);
  void blas_group(const Group& g);
  void reduce_group(const Node* n);
  void rowwise_group(const Node* n);
  void loss_group(const Node* n);
  void pack_group(const Node* n);
  void members(const Group& g, const Idx& idx, size_t from);
  void comments(const Node* n);

  // Loop-nest helpers: open loops over the dims whose index is a variable.
  void open_loops(const Shape& s, const Idx& idx, const std::vector<bool>& which);
  void close_loops();
  void line(const std::string& s);

  const EquationSet& eqs_;
  const Names& names_;
  const Plan& plan_;
  Precision prec_;
  std::map<const Node*, std::string> locals_;
  std::set<std::string> used_leaves_;
  std::string out_;
  int indent_ = 1;
  int open_ = 0;
};

/// `idx` of a node of shape `to` read as an operand of shape `from` under numpy broadcasting.
Idx broadcast_idx(const Shape& from, const Shape& to, const Idx& idx);

}  // namespace gg::cpp
