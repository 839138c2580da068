// Row-block schedule (see cpp_rowblock.h): classification of an entry's values and the text
// of the block lambda, its driver over the rows and the lane sums after it.
#include "emit/cpp_rowblock.h"

#include <algorithm>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "emit/cpp_kernels.h"
#include "ir/op_table.h"
#include "support/error.h"

namespace gg::cpp {
namespace {

// RT: the transpose of a row-local value (read by Rᵀ @ R); RTP: U @ Rᵀ, a product whose columns
// are rows (read only by its transpose, which is the row-local R @ Uᵀ).
enum class Cls { U, R, RT, RTP, A, Post, Bad };

// Computed inline wherever read: elementwise ops, index maps and leaves.
bool inlinable(const Node* n) {
  return has_flag(n, kLeaf) || has_flag(n, kElementwise) || n->op == Op::Transpose || n->op == Op::BroadcastTo ||
         n->op == Op::Unsqueeze || n->op == Op::Index || n->op == Op::Scatter;
}

Shape tail(const Shape& s) { return Shape(s.begin() + 1, s.end()); }

class RowBlock {
 public:
  explicit RowBlock(const RowBlockInput& in) : in_(in), prec_(in.precision), text_{in.names.dim, in.precision} {}

  // "" when the entry qualifies.
  std::string check() {
    const Plan& plan = in_.plan;
    bool have_row = false;
    for (const Node* n : plan.closure) {
      if (n->op != Op::Input) continue;
      if (n->shape.empty()) return "an input is a scalar";
      if (!have_row) row_ = n->shape[0], have_row = true;
      if (n->shape[0] != row_) return "inputs differ in their leading dim";
    }
    if (!have_row) {
      const bool computes = std::any_of(in_.results.begin(), in_.results.end(), [](const Result& r) { return r.node; });
      return computes ? "what it computes reads no input" : "nothing to compute (no output)";
    }
    if (!row_.is_symbolic() && row_.size < 2) return "the row dim is fixed at " + std::to_string(row_.size);
    // Operands first (ids grow from operand to user), so that classify() finds every operand's
    // class already made and does not recurse down a chain thousands of nodes long.
    std::vector<const Node*> in_id_order(plan.closure.begin(), plan.closure.end());
    std::sort(in_id_order.begin(), in_id_order.end(), [](const Node* a, const Node* b) { return a->id < b->id; });
    for (const Node* n : in_id_order) classify(n);
    for (const Result& r : in_.results)
      if (r.node && classify(r.node) == Cls::Bad) return why_.empty() ? "unsupported value" : why_;
    for (const Result& r : in_.results)
      if (r.node && (cls_.at(r.node) == Cls::RT || cls_.at(r.node) == Cls::RTP)) return "a transposed row-local result";
    for (const Result& r : in_.results)
      if (r.node && cls_.at(r.node) == Cls::U && !static_numel(r.node->shape)) return "a uniform result of symbolic shape";
    // In node order, so that the first reason given does not depend on where nodes live in memory.
    std::vector<std::pair<const Node*, Cls>> by_id(cls_.begin(), cls_.end());
    std::sort(by_id.begin(), by_id.end(), [](const auto& a, const auto& b) { return a.first->id < b.first->id; });
    int64_t acc_total = 0, lane_total = 0;
    for (const auto& [n, c] : by_id) {
      switch (c) {
        case Cls::R: {
          auto rs = static_numel(tail(n->shape));
          if (!rs) return "the rows of " + label(n) + " have a size known only at run time";
          if (*rs > kRowBlockMaxRow)
            return fmt::format("per-row size {} > {} ({})", *rs, kRowBlockMaxRow, label(n));
          if (n->op == Op::Input || plan.materialised.count(n)) lane_total += *rs;
          break;
        }
        case Cls::A: case Cls::Post: {
          auto z = static_numel(n->shape);
          if (!z) return "accumulated value " + label(n) + " has a size known only at run time";
          if (c == Cls::A) acc_total += *z;
          break;
        }
        case Cls::U:
          if (n->op == Op::Param) {
            auto z = static_numel(n->shape);
            if (!z || *z > kRowBlockMaxUniform)
              return fmt::format("param size {} > {} ({})", z ? std::to_string(*z) : "unknown", kRowBlockMaxUniform,
                                 label(n));
          }
          break;
        case Cls::RT: case Cls::RTP: case Cls::Bad: break;
      }
    }
    if (acc_total > kRowBlockMaxAccumulated)
      return fmt::format("sums over rows of {} scalars > {}", acc_total, kRowBlockMaxAccumulated);
    if (lane_total > kRowBlockMaxLaneScalars)
      return fmt::format("row-local values of {} scalars per row > {}", lane_total, kRowBlockMaxLaneScalars);
    return "";
  }

  // "h1[n, 784]" (the value's name where it has one, else its op).
  std::string label(const Node* n) const {
    std::string name = has_flag(n, kLeaf) ? n->attrs.name : "";
    if (name.empty())
      if (auto it = in_.plan.name.find(n); it != in_.plan.name.end()) name = it->second;
    if (name.empty())
      if (auto it = lanes_.find(n); it != lanes_.end()) name = it->second;
    if (name.empty()) name = op_info(n->op).name;
    return name + shape_str(n->shape);
  }

  RowBlockBody emit();

 private:
  Cls bad(const std::string& why) {
    if (why_.empty()) why_ = why;
    return Cls::Bad;
  }

  bool is_row(const Node* n) const { return n->rank() >= 1 && n->shape[0] == row_; }

  Cls classify(const Node* n) {
    if (auto it = cls_.find(n); it != cls_.end()) return it->second;
    Cls c = classify_new(n);
    cls_[n] = c;
    return c;
  }

  Cls classify_new(const Node* n) {
    const char* name = op_info(n->op).name;
    switch (n->op) {
      case Op::Input: return is_row(n) ? Cls::R : bad("input without the row dim");
      case Op::Param: case Op::Const: case Op::Count: return Cls::U;
      default: break;
    }
    std::vector<Cls> ic;
    for (const Node* o : n->inputs) ic.push_back(classify(o));
    bool any_r = false, any_ap = false;
    for (Cls c : ic) {
      if (c == Cls::Bad) return Cls::Bad;
      any_r = any_r || c == Cls::R || c == Cls::RT || c == Cls::RTP;
      any_ap = any_ap || c == Cls::A || c == Cls::Post;
    }
    if (!any_r && !any_ap)
      return inlinable(n) ? Cls::U
                          : bad(label(n) + ", computed from params and constants alone, is a " + name +
                                " (only elementwise ones are recomputed in each block)");
    if (any_ap) {
      if (any_r) return bad("row-local " + label(n) + " reads a sum over the rows (a second pass)");
      return inlinable(n) && static_numel(n->shape) ? Cls::Post : bad(std::string(name) + " of accumulated values");
    }
    auto all_r_rows = [&]() {
      for (size_t i = 0; i < n->inputs.size(); ++i) {
        if (ic[i] == Cls::RT || ic[i] == Cls::RTP) return false;
        if (ic[i] == Cls::R && (n->inputs[i]->rank() != n->rank() || !is_row(n->inputs[i]))) return false;
      }
      return true;
    };
    if (has_flag(n, kElementwise))
      return is_row(n) && all_r_rows() ? Cls::R : bad(std::string(name) + " mixes row and non-row axes");
    const Node* o = n->inputs[0];
    switch (n->op) {
      case Op::Transpose:
        if (ic[0] == Cls::R && o->rank() == 2 && !in_.plan.materialised.count(n)) return Cls::RT;
        if (ic[0] == Cls::RTP && is_row(n)) return Cls::R;  // (U @ Rᵀ)ᵀ = R @ Uᵀ
        return bad("transpose of a row-local value");
      case Op::BroadcastTo:
        return ic[0] == Cls::R && n->rank() == o->rank() && is_row(n) ? Cls::R : bad("broadcast of a row-local value");
      case Op::Unsqueeze: return ic[0] == Cls::R && n->attrs.axis >= 1 ? Cls::R : bad("unsqueeze before the rows");
      case Op::MatMul:
        if (ic[0] == Cls::R && ic[1] == Cls::U && is_row(n)) return Cls::R;
        if (ic[0] == Cls::RT && ic[1] == Cls::R) return Cls::A;
        if (ic[0] == Cls::U && ic[1] == Cls::RT && n->rank() == 2) return Cls::RTP;
        return bad("matmul that is neither rows @ uniform nor rowsᵀ @ rows");
      case Op::Sum: case Op::Mean: return ic[0] == Cls::R ? Cls::A : bad("sum");
      case Op::SumAxis: case Op::MeanAxis:
        if (ic[0] != Cls::R) return bad("sum over axis");
        return n->attrs.axis == 0 ? Cls::A : Cls::R;
      case Op::SumTo: {
        if (ic[0] != Cls::R) return bad("sum_to");
        const Shape& t = n->shape;
        if (static_cast<int>(t.size()) == o->rank() && t[0] == row_) return Cls::R;
        return Cls::A;
      }
      case Op::Softmax: case Op::LogSoftmax:
        return ic[0] == Cls::R && n->attrs.axis >= 1 ? Cls::R : bad("softmax along the rows");
      case Op::Mse: case Op::Sse: case Op::Bce: case Op::BceLogits: case Op::CrossEntropy:
        if (ic[0] != Cls::R || (ic[1] != Cls::R && ic[1] != Cls::U) || !is_row(o) || o->shape != n->inputs[1]->shape)
          return bad(std::string(name) + " of non-row operands");
        if (n->op == Op::CrossEntropy && o->rank() != 2) return bad("cross_entropy of rank other than 2");
        return Cls::A;
      default: return bad(std::string(name) + " in a row-wise entry");
    }
  }

  // ---- text helpers (shared with KernelWriter)
  std::string dim(const Dim& d) const { return text_.dim(d); }
  std::string numel(const Shape& s) const { return text_.numel(s); }
  std::string count_value(const Shape& s) const { return text_.count_value(s); }
  std::string offset(const Shape& s, const Idx& idx) const { return text_.offset(s, idx); }

  // Offset within one row of an R value (its dims after the first).
  std::string row_offset(const Shape& s, const Idx& idx) const {
    return offset(tail(s), Idx(idx.begin() + 1, idx.end()));
  }

  static std::string at(const std::string& dest, const std::string& off) {
    return (dest.rfind('&', 0) == 0 ? "(" + dest + ")" : dest) + "[" + off + "]";
  }

  std::string ptr(const Node* n) {
    used_leaves_.insert(n->attrs.name);
    return in_.names.leaf.at(n->attrs.name);
  }

  // "i1", "i2" for the dims after the row ("0" for a size-1 one); idx[0] is the row.
  Idx row_idx(const Shape& s) const {
    Idx idx{row_expr_};
    for (size_t d = 1; d < s.size(); ++d) idx.push_back(s[d].is_one() ? "0" : "i" + std::to_string(d));
    return idx;
  }
  static Idx static_idx(const Shape& s) {
    Idx idx;
    for (size_t d = 0; d < s.size(); ++d) idx.push_back(s[d].is_one() ? "0" : "i" + std::to_string(d));
    return idx;
  }

  std::string read(const Node* n, const Idx& idx) {
    if (n->op == Op::Const) return literal(n->attrs.value, prec_);
    if (n->op == Op::Count) return count_value(n->attrs.shape);
    if (auto it = lanes_.find(n); it != lanes_.end()) return it->second + "[" + row_offset(n->shape, idx) + "][" + l_ + "]";
    if (auto it = store_.find(n); it != store_.end()) return at(it->second, offset(n->shape, idx));
    if (n->op == Op::Param) return ptr(n) + "[" + offset(n->shape, idx) + "]";
    if (n->op == Op::Input) throw InternalError("row block: input " + n->attrs.name + " read before its rows were loaded");
    return define(n, idx);
  }

  // The text of `n` at `idx`, computed inline. A value read more than once whose text is long
  // is written once into a local of the current scope: inlined at every read, a chain of them
  // (a1 = a0·w + a0·v, a2 = a1·w + a1·v, ...) doubled in length at each link.
  std::string define(const Node* n, const Idx& idx) {
    if (auto in = view_index(n, idx)) return read(n->inputs[0], *in);
    if (auto it = locals_.find({n, idx}); it != locals_.end()) return it->second;
    std::string text;
    if (n->op == Op::Scatter) {
      text = scatter_text(n, offset(n->shape, idx), read(n->inputs[0], {}));
    } else {
      if (!has_flag(n, kElementwise)) throw InternalError(std::string("row block: ") + op_info(n->op).name + " inline");
      std::vector<std::string> ops;
      for (const Node* o : n->inputs) ops.push_back(read(o, broadcast_idx(o->shape, n->shape, idx)));
      text = elementwise_text(n, std::move(ops), prec_);
    }
    constexpr size_t kLongText = 160;
    if (text.size() <= kLongText || reads_of(n) < 2) return text;
    const std::string local = namer_.claim("part");
    line("const Scalar " + local + " = " + unwrap(text) + ";");
    locals_.emplace(std::make_pair(n, idx), local);
    return local;
  }
  // How many operands of the values computed read `n`.
  int reads_of(const Node* n) {
    if (reads_.empty())
      for (const Node* user : in_.plan.closure)
        for (const Node* o : user->inputs) ++reads_[o];
    auto it = reads_.find(n);
    return it == reads_.end() ? 0 : it->second;
  }

  // ---- output
  void line(const std::string& s) { out_ += std::string(static_cast<size_t>(indent_) * 2, ' ') + s + "\n"; }
  // A new scope, or the end of one: the locals of define() are out of reach or stale.
  void indent(int by) { indent_ += by, locals_.clear(); }
  void open(const std::string& s) { line(s), indent(1); }
  void close() { indent(-1), line("}"); }

  // `for (var = start; var < extent; ++var) {`. A short loop is marked GG_UNROLL: unrolled, it
  // leaves the lanes loop around it straight-line code that GCC vectorizes at -O2 as well.
  void open_for(const std::string& var, const Dim& extent, int start = 0) {
    if (!extent.is_symbolic() && extent.size - start <= kRowBlockUnrolled) line("GG_UNROLL");
    open(fmt::format("for (std::int64_t {0} = {1}; {0} < {2}; ++{0}) {{", var, start, dim(extent)));
  }
  // A one-line loop of `trips` iterations, marked the same way.
  void short_loop(int64_t trips, const std::string& loop) {
    if (trips <= kRowBlockUnrolled) line("GG_UNROLL");
    line(loop);
  }
  // Loops over the dims of `s` whose index in `idx` is a variable, from dim `from` on; returns how many opened.
  int loops(const Shape& s, const Idx& idx, size_t from, const std::vector<bool>& skip = {}) {
    int opened = 0;
    for (size_t d = from; d < s.size(); ++d) {
      if (idx[d] == "0" || (!skip.empty() && skip[d])) continue;
      open_for(idx[d], s[d]);
      ++opened;
    }
    return opened;
  }
  void closes(int k) {
    while (k-- > 0) close();
  }
  // A statement of lane l (the block body is one loop over the lanes, vectorised across them).
  void lanes(const std::string& stmt) { line(stmt); }
  void lanes_block(const std::vector<std::string>& stmts) {
    open("{");
    for (const std::string& s : stmts) line(s);
    close();
  }

  void flush(int below) {
    for (; next_ < pending_.size() && pending_[next_]->seq < below; ++next_)
      if (printed_.insert(pending_[next_]).second) line("// " + in_.eqs.line(*pending_[next_], Format::Text));
  }
  // The equations computing `n`; an unnamed value (a product before its bias, say) shows those
  // of the first named value it is part of, ahead of it.
  void comments(const Node* n) {
    auto it = in_.names.eqs.find(n);
    for (int depth = 0; it == in_.names.eqs.end() && depth < 4; ++depth) {
      auto users = in_.plan.consumers.find(n);
      if (users == in_.plan.consumers.end() || users->second.empty()) return;
      n = users->second.front();
      it = in_.names.eqs.find(n);
    }
    if (it == in_.names.eqs.end()) return;
    flush(it->second.front()->seq);
    for (const Equation* e : it->second)
      if (printed_.insert(e).second) line("// " + in_.eqs.line(*e, Format::Text));
  }

  std::string lane_array(const Node* n) { return lanes_.at(n) + "[" + row_offset(n->shape, row_idx(n->shape)) + "][" + l_ + "]"; }
  std::string acc(const Node* n, const std::string& off) { return acc_.at(n) + "[" + off + "][" + l_ + "]"; }

  // Transposed products (U @ Rᵀ)ᵀ that `n` reads inline get their lane arrays first: they
  // are sums over k, not expressions that can be inlined.
  void ensure_products(const Node* n) {
    for (const Node* o : n->inputs) {
      if (lanes_.count(o) || store_.count(o) || has_flag(o, kLeaf)) continue;
      auto it = cls_.find(o);
      if (it == cls_.end() || it->second != Cls::R) continue;
      ensure_products(o);
      if (o->op == Op::Transpose) emit_r(o);
    }
  }
  void emit_r(const Node* n);
  void emit_row_product(const Node* n, const Idx& idx, const Dim& kdim,
                        const std::function<std::string(const std::string&)>& term);
  void emit_a(const Node* n);
  void emit_lse(const Node* x, const Shape& s, const Idx& idx, size_t ax);
  void emit_lse_text(const Node* x, const Shape& s, const Idx& idx, size_t ax);
  std::string final_scale(const Node* n) const;
  void lane_sums(const std::vector<const Node*>& accumulated, int width);

  const RowBlockInput& in_;
  Precision prec_;
  ShapeText text_;
  Dim row_;
  std::map<const Node*, Cls> cls_;
  std::string why_;
  std::map<const Node*, std::string> lanes_;  // R values held in lane arrays: name[row offset][lane]
  std::map<const Node*, std::string> acc_;    // A values: lane-wise partial sums acc[offset][lane]
  std::map<const Node*, std::string> store_;  // A and Post values after the loop (pointer or array)
  std::set<std::string> used_leaves_;
  std::vector<std::string> decls_;  // lane arrays, declared before the loop over the lanes
  int64_t lane_scalars_ = 0;        // their scalars per lane
  std::map<const Node*, std::string> lse_;  // logits -> lane array of their rows' logsumexp
  std::vector<const Equation*> pending_;
  std::set<const Equation*> printed_;
  size_t next_ = 0;
  std::map<std::pair<const Node*, Idx>, std::string> locals_;  // define()'s locals in the current scope
  std::map<const Node*, int> reads_;
  std::string out_;
  int indent_ = 1;
  std::string l_, L_;
  std::string lanes_p_;  // the block's lane count as a std::integral_constant<std::size_t, L>: lane arrays'
                         // bound (a dependent int bound is a -Wsign-conversion warning in GCC)
  Namer namer_;
  std::string row_expr_;  // the row of lane l inside a block: "(r0 + l)"
};

// log Σ exp of x along axis `ax` of `s` at the other indices of `idx`, into `lse`.
void RowBlock::emit_lse(const Node* x, const Shape& s, const Idx& idx, size_t ax) {
  // Softmax, log_softmax and cross_entropy of the same rank-2 logits share one logsumexp per
  // row (as gg::logsumexp_softmax does in the general schedule): the first computes it into a
  // lane array, the others read it.
  int users = 0;
  if (s.size() == 2 && ax == 1)
    for (const auto& [u, c] : cls_)
      if ((c == Cls::R || c == Cls::A) && !u->inputs.empty() && u->inputs[0] == x &&
          (((u->op == Op::Softmax || u->op == Op::LogSoftmax) && u->attrs.axis == 1) || u->op == Op::CrossEntropy))
        ++users;
  if (users > 1) {
    if (auto it = lse_.find(x); it != lse_.end()) {
      line("const gg::Lse<Scalar> lse = " + it->second + "[0][" + l_ + "];  // logsumexp computed above");
      return;
    }
  }
  emit_lse_text(x, s, idx, ax);
  if (users > 1) {
    std::string name = namer_.claim("lse_" + (lanes_.count(x) ? lanes_.at(x) : std::string("rows")));
    decls_.push_back(fmt::format("gg::Lse<Scalar> {}[1][{}];  // logsumexp of each row of {}", name, lanes_p_, label(x)));
    lane_scalars_ += 2;  // an Lse: max and log_sum
    line(name + "[0][" + l_ + "] = lse;");
    lse_[x] = name;
  }
}

void RowBlock::emit_lse_text(const Node* x, const Shape& s, const Idx& idx, size_t ax) {
  Idx first = idx;
  first[ax] = "0";
  line("gg::Lse<Scalar> lse{" + unwrap(read(x, first)) + ", Scalar(0)};");
  std::string k = idx[ax];
  open_for(k, s[ax], 1);
  line("const Scalar pv = " + unwrap(read(x, idx)) + ";");
  line("lse.max = pv > lse.max ? pv : lse.max;");
  close();
  line("Scalar acc = Scalar(0);");
  open_for(k, s[ax]);
  line("acc += gg::exp(" + read(x, idx) + " - lse.max);");
  close();
  line("lse.log_sum = gg::log(acc);");
}

// Row-local `n` at `idx` as a sum over k < `kdim` of `term(k)`, for each of its columns.
void RowBlock::emit_row_product(const Node* n, const Idx& idx, const Dim& kdim,
                                const std::function<std::string(const std::string&)>& term) {
  const std::string k = kdim.is_one() ? "0" : "i2";
  int o = loops(n->shape, idx, 1);
  lanes(lane_array(n) + " = Scalar(0);");
  if (k != "0") open_for(k, kdim);
  lanes(lane_array(n) + " += " + term(k) + ";");
  if (k != "0") close();
  closes(o);
}

// One row-local value for the lanes of the block.
void RowBlock::emit_r(const Node* n) {
  // A transposed product read inline has no buffer name: its equation's, else a new one.
  std::string name;
  if (auto it = in_.plan.name.find(n); it != in_.plan.name.end())
    name = it->second;
  else if (auto nt = in_.names.node.find(n); nt != in_.names.node.end())
    name = nt->second;
  else
    name = namer_.claim("product");
  for (const Result& res : in_.results)  // a result pointer of that name (a gradient of an input)
    if (res.dest == name) name = namer_.claim(name + "_rows");
  Shape row = tail(n->shape);
  int64_t rs = *static_numel(row);
  comments(n);
  decls_.push_back(fmt::format("Scalar {}[{}][{}];  // {}", name, rs, lanes_p_, shape_str(n->shape)));
  lane_scalars_ += rs;
  lanes_[n] = name;
  Idx idx = row_idx(n->shape);
  switch (n->op) {
    case Op::MatMul: {  // row r is Σ_k A[r, k] · B[k, j]
      const Node* a = n->inputs[0];
      const Node* b = n->inputs[1];
      emit_row_product(n, idx, a->shape[1], [&](const std::string& k) {
        return read(a, {row_expr_, k}) + " * " + read(b, {k, idx[1]});
      });
      break;
    }
    case Op::Transpose: {  // (A @ Bᵀ)ᵀ with B row-local: row r of it is Σ_k A[j, k] · B[r, k]
      const Node* a = n->inputs[0]->inputs[0];
      const Node* b = n->inputs[0]->inputs[1]->inputs[0];
      emit_row_product(n, idx, a->shape[1], [&](const std::string& k) {
        return read(a, {idx[1], k}) + " * " + read(b, {row_expr_, k});
      });
      break;
    }
    case Op::SumAxis: case Op::MeanAxis: case Op::SumTo: {
      const Node* o = n->inputs[0];
      Idx oi = row_idx(o->shape);
      Idx out = reduce_out_idx(n, oi);  // the row axis is kept
      int k = loops(n->shape, idx, 1);
      lanes(lane_array(n) + " = Scalar(0);");
      closes(k);
      k = loops(o->shape, oi, 1);
      lanes(lanes_.at(n) + "[" + row_offset(n->shape, out) + "][" + l_ + "] += " + unwrap(read(o, oi)) + ";");
      closes(k);
      if (n->op == Op::MeanAxis) {
        std::string c = count_value(Shape{o->shape[static_cast<size_t>(n->attrs.axis)]});
        k = loops(n->shape, idx, 1);
        lanes(lane_array(n) + " /= " + c + ";");
        closes(k);
      }
      break;
    }
    case Op::Softmax: case Op::LogSoftmax: {
      const Node* o = n->inputs[0];
      size_t ax = static_cast<size_t>(n->attrs.axis);
      std::vector<bool> skip(n->shape.size(), false);
      skip[ax] = true;
      int k = loops(n->shape, idx, 1, skip);
      if (idx[ax] == "0") idx[ax] = "i" + std::to_string(ax);  // a one-element axis still needs its loop variable
      open("{");
      emit_lse(o, n->shape, idx, ax);
      open_for(idx[ax], n->shape[ax]);
      std::string x = read(o, idx);
      std::string target = lanes_.at(n) + "[" + row_offset(n->shape, idx) + "][" + l_ + "]";
      lanes(target + " = " + (n->op == Op::Softmax ? "gg::exp(" + x + " - lse)" : x + " - lse") + ";");
      close();
      close();
      closes(k);
      break;
    }
    default: {
      int k = loops(n->shape, idx, 1);
      lanes(lane_array(n) + " = " + unwrap(define(n, idx)) + ";");
      closes(k);
      break;
    }
  }
}

// One accumulated value: the block's rows added into its lane-wise partial sums.
void RowBlock::emit_a(const Node* n) {
  comments(n);
  const Node* o = n->inputs[0];
  Idx oi = o->rank() ? row_idx(o->shape) : Idx{};
  switch (n->op) {
    case Op::MatMul: {  // Rᵀ @ R: the sum over rows of outer products
      const Node* a = o->inputs[0];
      const Node* b = n->inputs[1];
      Idx idx = static_idx(n->shape);
      idx[0] = n->shape[0].is_one() ? "0" : "i0";
      int k = loops(n->shape, idx, 0);
      lanes(acc(n, offset(n->shape, idx)) + " += " + read(a, {row_expr_, idx[0]}) + " * " + read(b, {row_expr_, idx[1]}) + ";");
      closes(k);
      break;
    }
    case Op::Sum: case Op::Mean: {
      int k = loops(o->shape, oi, 1);
      lanes(acc(n, "0") + " += " + unwrap(read(o, oi)) + ";");
      closes(k);
      break;
    }
    case Op::SumAxis: case Op::MeanAxis: case Op::SumTo: {
      Idx out = reduce_out_idx(n, oi);  // the row axis is summed over
      int k = loops(o->shape, oi, 1);
      lanes(acc(n, offset(n->shape, out)) + " += " + unwrap(read(o, oi)) + ";");
      closes(k);
      break;
    }
    case Op::Mse: case Op::Sse: case Op::Bce: case Op::BceLogits: {
      const Node* y = n->inputs[1];
      int k = loops(o->shape, oi, 1);
      std::string pv = unwrap(read(o, oi)), yv = read(y, oi);
      if (n->op == Op::Mse || n->op == Op::Sse)
        lanes_block({"const Scalar dv = " + pv + " - " + yv + ";", acc(n, "0") + " += dv * dv;"});
      else if (n->op == Op::Bce)
        lanes_block({"const Scalar pv = " + pv + ";", "const Scalar yv = " + unwrap(yv) + ";",
                     acc(n, "0") + " -= yv * gg::clamped_log(pv) + (Scalar(1) - yv) * gg::clamped_log(Scalar(1) - pv);"});
      else
        lanes_block({"const Scalar zv = " + pv + ";", acc(n, "0") + " += gg::softplus(zv) - zv * " + yv + ";"});
      closes(k);
      break;
    }
    case Op::CrossEntropy: {
      const Node* y = n->inputs[1];
      Idx idx = oi;
      if (idx[1] == "0") idx[1] = "i1";
      open("{");
      emit_lse(o, o->shape, idx, 1);
      open_for(idx[1], o->shape[1]);
      lanes(acc(n, "0") + " -= " + read(y, idx) + " * (" + read(o, idx) + " - lse);");
      close();
      close();
      break;
    }
    default: throw InternalError(std::string("row block: accumulated ") + op_info(n->op).name);
  }
}

// What the summed lanes are divided by ("" for nothing).
// Lane sums: upper halves of the lanes folded onto the lower ones (vector adds). A bound n
// folds each value at once; an n at run time folds only the halves its blocks reached, one
// test per half for all values. With a bound n, halves of 4 lanes or more of the values with
// few accumulators are folded first, in one loop over the lanes around all of them: compilers
// unroll the values and add whole vectors (GCC vectorised a loop over a value's accumulators
// around the lanes' loops across the accumulators instead, gathering every lane: for W1 at
// 16 lanes ~800 of the entry's 1028 instructions). An n at run time keeps the per-value
// loops: its sums live in memory, and there the lane loop made no difference for GCC and
// more instructions for clang.
void RowBlock::lane_sums(const std::vector<const Node*>& accumulated, int width) {
  if (!accumulated.empty()) line("// The lanes' partial sums added up, pairwise.");
  auto fold = [&](const Node* n, int w) {
    int64_t z = *static_numel(n->shape);
    std::string a = acc_.at(n) + "[" + (z == 1 ? "0" : "i0") + "]";
    return fmt::format("for (int {0} = 0; {0} < {1}; ++{0}) {2}[{0}] += {2}[{0} + {1}];", l_, w, a);
  };
  auto few = [&](const Node* n) { return *static_numel(n->shape) <= kRowBlockFoldUnrolled; };
  // One half, w lanes, of the values with few accumulators: a loop over the lanes around them.
  auto fold_half = [&](int w) {
    if (std::none_of(accumulated.begin(), accumulated.end(), few)) return;
    open(fmt::format("for (int {0} = 0; {0} < {1}; ++{0}) {{", l_, w));
    for (const Node* n : accumulated) {
      if (!few(n)) continue;
      int64_t z = *static_numel(n->shape);
      std::string a = acc_.at(n) + "[" + (z == 1 ? "0" : "i0") + "]";
      std::string add = fmt::format("{0}[{1}] += {0}[{1} + {2}];", a, l_, w);
      if (z == 1)
        line(add);
      else
        short_loop(z, fmt::format("for (std::int64_t i0 = 0; i0 < {}; ++i0) {}", z, add));
    }
    close();
  };
  for (int w = width / 2; w > 1 && row_.is_symbolic() && !accumulated.empty(); w /= 2) {
    open(fmt::format("if ({} >= {}) {{", dim(row_), 2 * w));
    for (const Node* n : accumulated) {
      int64_t z = *static_numel(n->shape);
      line(z == 1 ? fold(n, w) : fmt::format("for (std::int64_t i0 = 0; i0 < {}; ++i0) {}", z, fold(n, w)));
    }
    close();
  }
  for (int w = width / 2; w >= 4 && !row_.is_symbolic(); w /= 2) fold_half(w);
  for (const Node* n : accumulated) {
    int64_t z = *static_numel(n->shape);
    std::string i = z == 1 ? "0" : "i0";
    std::string a = acc_.at(n) + "[" + i + "]";
    std::vector<std::string> folds;
    for (int w = width / 2; w > 1 && !row_.is_symbolic(); w /= 2)
      if (w < 4 || !few(n)) folds.push_back(fold(n, w));
    std::string sum = width > 1 ? a + "[0] + " + a + "[1]" : a + "[0]";
    std::string scale = final_scale(n);
    folds.push_back(fmt::format("{} = {};", at(store_.at(n), i), scale.empty() ? sum : "(" + sum + ")" + scale));
    if (folds.size() == 1) {
      line(z == 1 ? folds.front() : fmt::format("for (std::int64_t i0 = 0; i0 < {}; ++i0) {}", z, folds.front()));
      continue;
    }
    open(z == 1 ? std::string("{") : fmt::format("for (std::int64_t i0 = 0; i0 < {}; ++i0) {{", z));
    for (const std::string& b : folds) line(b);
    close();
  }
}

std::string RowBlock::final_scale(const Node* n) const {
  const Node* o = n->inputs[0];
  switch (n->op) {
    case Op::Mean: case Op::Mse: case Op::Bce: case Op::BceLogits: return " / " + count_value(o->shape);
    case Op::MeanAxis: case Op::CrossEntropy: return " / " + count_value(Shape{o->shape[0]});
    default: return "";
  }
}

RowBlockBody RowBlock::emit() {
  const Plan& plan = in_.plan;
  Namer& namer = namer_;
  namer = in_.names.namer;
  for (const auto& [n, name] : plan.name) namer.claim(name);
  const std::string rows = namer.claim("rows"), r0 = namer.claim("r0"), r = namer.claim("r");
  lanes_p_ = namer.claim("lanes");
  l_ = namer.claim("l");
  L_ = namer.claim("L");
  row_expr_ = "(" + r0 + " + " + l_ + ")";
  const int max_lanes = prec_ == Precision::F32 ? 16 : 8;
  pending_.assign(in_.comment_only.begin(), in_.comment_only.end());
  for (const Node* n : plan.order)  // uniform values are computed inline: their equations are comments
    if (cls_.count(n) && cls_.at(n) == Cls::U && in_.names.eqs.count(n))
      for (const Equation* e : in_.names.eqs.at(n)) pending_.push_back(e);
  std::sort(pending_.begin(), pending_.end(), [](const Equation* a, const Equation* b) { return a->seq < b->seq; });

  // Blocks: as many of the widest as fit, then one each of 8 and 4, then single rows.
  std::vector<int> widths;
  for (int w = max_lanes; w >= 4; w /= 2) widths.push_back(w);
  std::vector<std::pair<int, int64_t>> fixed_blocks;  // bound n: (width, count)
  int width = max_lanes;
  if (!row_.is_symbolic()) {
    int64_t left = row_.size;
    for (size_t i = 0; i < widths.size(); ++i) {
      int64_t c = i == 0 ? left / widths[i] : (left >= widths[i] ? 1 : 0);
      if (c) fixed_blocks.push_back({widths[i], c});
      left -= c * widths[i];
    }
    if (left) fixed_blocks.push_back({1, left});
    width = fixed_blocks.front().first;
  }

  // Results: where each value ends up.
  std::vector<std::string> decls;
  std::map<const Node*, size_t> owner;  // A/Post node -> the result it is stored into
  for (size_t i = 0; i < in_.results.size(); ++i) {
    const Result& res = in_.results[i];
    if (!res.node || owner.count(res.node)) continue;
    Cls c = cls_.at(res.node);
    if (c != Cls::A && c != Cls::Post) continue;
    owner[res.node] = i;
    const std::string& name = plan.name.at(res.node);
    store_[res.node] = name;
    if (name != res.dest) decls.push_back("Scalar* const " + name + " = " + res.dest + ";");
  }
  for (const std::string& d : decls) line(d);
  if (!decls.empty()) out_ += "\n";

  // Accumulators.
  std::vector<const Node*> accumulated, post, row_local;
  for (const Node* n : plan.order) {
    auto it = cls_.find(n);
    if (it == cls_.end()) continue;
    if (it->second == Cls::A) accumulated.push_back(n);
    if (it->second == Cls::Post) post.push_back(n);
    if (it->second == Cls::R) row_local.push_back(n);
  }
  line(fmt::format("// Rows in blocks of up to {} (one per SIMD lane): forward and backward in one pass, sums over the", width));
  line("// rows kept per lane and added up after the last block.");
  for (const Node* n : accumulated) {
    acc_[n] = namer.claim("acc_" + plan.name.at(n));
    line(fmt::format("Scalar {}[{}][{}] = {{}};  // {}, per lane", acc_[n], *static_numel(n->shape), width,
                     shape_str(n->shape)));
  }
  // In f32, past kSettleBlocks blocks the lanes' sums are settled into double totals and start
  // again from zero: a float lane adding up n/16 same-sign terms loses ~n/16·2⁻²⁴ of its sum
  // (4e-5 at n = 65536), one adding up at most kSettleBlocks terms ~2e-6 at worst.
  constexpr int64_t kSettleBlocks = 32;
  const int64_t settle_rows = kSettleBlocks * width;
  const bool settles = prec_ == Precision::F32 && !accumulated.empty() &&
                       (row_.is_symbolic() || row_.size > settle_rows);
  std::map<const Node*, std::string> total;
  const std::string settle = settles ? namer.claim("settle") : "", stretch = settles ? namer.claim("stretch_end") : "";
  if (settles) {
    for (const Node* n : accumulated) {
      total[n] = namer.claim("total_" + plan.name.at(n));
      line(fmt::format("gg::Accum<Scalar> {}[{}] = {{}};  // {}, the settled blocks", total[n], *static_numel(n->shape),
                       shape_str(n->shape)));
    }
    open(fmt::format("auto {} = [&] {{  // the lanes' sums into the totals, and the lanes zeroed", settle));
    for (const Node* n : accumulated) {
      const std::string a = acc_.at(n) + "[i0][" + l_ + "]";
      open(fmt::format("for (std::int64_t i0 = 0; i0 < {}; ++i0) {{", *static_numel(n->shape)));
      line(fmt::format("for (int {0} = 0; {0} < {1}; ++{0}) {2}[i0] += static_cast<gg::Accum<Scalar>>({3}), {3} = Scalar(0);",
                       l_, width, total.at(n), a));
      close();
    }
    indent(-1);
    line("};");
  }

  // The block.
  open(fmt::format("auto {} = [&](auto {}, std::int64_t {}) {{", rows, lanes_p_, r0));
  line(fmt::format("constexpr int {} = decltype({})::value;", L_, lanes_p_));
  const size_t body_start = out_.size();
  indent(1);
  std::vector<const Node*> inputs;
  for (const Node* n : plan.closure)
    if (n->op == Op::Input) inputs.push_back(n);
  std::sort(inputs.begin(), inputs.end(), [](const Node* a, const Node* b) { return a->id < b->id; });
  for (const Node* x : inputs) {
    int64_t rs = *static_numel(tail(x->shape));
    std::string name = namer.claim(in_.names.leaf.at(x->attrs.name) + "_rows");
    std::string p = ptr(x);
    lane_scalars_ += rs;
    decls_.push_back(fmt::format("Scalar {}[{}][{}];  // rows {} .. {} + {} - 1 of {}", name, rs, lanes_p_, r0, r0, L_,
                                 x->attrs.name));
    if (rs == 1)
      line(fmt::format("{}[0][{}] = {}[{} + {}];", name, l_, p, r0, l_));
    else
      short_loop(rs, fmt::format("for (std::int64_t i1 = 0; i1 < {0}; ++i1) {1}[i1][{2}] = {3}[({4} + {2}) * {0} + i1];",
                                 rs, name, l_, p, r0));
    lanes_[x] = name;
  }
  for (const Node* n : plan.order) {
    auto it = cls_.find(n);
    if (it == cls_.end()) continue;
    if (it->second == Cls::R && !lanes_.count(n)) ensure_products(n), emit_r(n);
    if (it->second == Cls::A) ensure_products(n), emit_a(n);
  }
  // Row-local results: the block's rows written out.
  for (const Result& res : in_.results) {
    if (!res.node || cls_.at(res.node) != Cls::R) continue;
    int64_t rs = *static_numel(tail(res.node->shape));
    std::string src = lanes_.at(res.node);
    if (rs == 1)
      line(fmt::format("{} = {}[0][{}];", at(res.dest, r0 + " + " + l_), src, l_));
    else
      short_loop(rs, fmt::format("for (std::int64_t i1 = 0; i1 < {0}; ++i1) {1} = {2}[i1][{3}];", rs,
                                 at(res.dest, "(" + r0 + " + " + l_ + ") * " + std::to_string(rs) + " + i1"), src, l_));
  }
  indent(-1);
  std::string body = out_.substr(body_start);
  out_.resize(body_start);
  for (const std::string& d : decls_) line(d);
  // Lanes are distinct rows: no iteration reads what another writes. Said, so that GCC's -O2 cost
  // model vectorizes the loop without alias checks between the input rows and the rows of an
  // input gradient written in it (the seed's step at -O2 -march=native, n = 64: 1470 -> 160 ns).
  line("GG_IVDEP");
  line(fmt::format("for (int {0} = 0; {0} < {1}; ++{0}) {{  // one row per lane", l_, L_));
  out_ += body;
  line("}");
  indent(-1);
  line("};");

  // The driver.
  auto block = [&](int w) { return fmt::format("{}(std::integral_constant<std::size_t, {}>{{}}, ", rows, w); };
  if (row_.is_symbolic()) {
    const std::string n = dim(row_);
    line(fmt::format("std::int64_t {} = 0;", r));
    // `n - r >= w`, not `r + w <= n`: from the latter GCC -O3 inferred a row past the end in a
    // dead block (with n a constant after inlining) and failed -Werror=aggressive-loop-optimizations.
    if (settles) {  // one call of the widest block (two made GCC stop inlining it: W1 1.3x slower)
      open(fmt::format("while ({} - {} >= {}) {{", n, r, widths[0]));
      line(fmt::format("const std::int64_t {0} = {3} - {1} >= {2} ? {1} + {2} : {1} + ({3} - {1}) / {4} * {4};", stretch, r,
                       settle_rows, n, widths[0]));
      line(fmt::format("for (; {0} < {1}; {0} += {2}) {3}{0});", r, stretch, widths[0], block(widths[0])));
      line(fmt::format("if ({} % {} == 0) {}();  // a whole stretch", r, settle_rows, settle));
      close();
    } else {
      line(fmt::format("for (; {2} - {0} >= {1}; {0} += {1}) {3}{0});", r, widths[0], n, block(widths[0])));
    }
    for (size_t i = 1; i < widths.size(); ++i)
      line(fmt::format("if ({2} - {0} >= {1}) {3}{0}), {0} += {1};", r, widths[i], n, block(widths[i])));
    line(fmt::format("for (; {0} < {1}; ++{0}) {2}{0});", r, n, block(1)));
  } else {
    int64_t start = 0;
    for (auto [w, c] : fixed_blocks) {
      if (settles && w == width && c * w > settle_rows) {  // settled stretches, one call of the block
        const int64_t end = start + c * w;
        open("{");
        line(fmt::format("std::int64_t {} = {};", r, start));
        open(fmt::format("while ({} < {}) {{", r, end));
        line(fmt::format("const std::int64_t {0} = {3} - {1} >= {2} ? {1} + {2} : {3};", stretch, r, settle_rows, end));
        line(fmt::format("for (; {0} < {1}; {0} += {2}) {3}{0});", r, stretch, w, block(w)));
        line(settle + "();");
        close();
        close();
        start = end;
        continue;
      }
      if (c == 1)
        line(fmt::format("{}{});", block(w), start));
      else
        line(fmt::format("for (std::int64_t {0} = {1}; {0} < {2}; {0} += {3}) {4}{0});", r, start, start + c * w, w,
                         block(w)));
      start += c * w;
    }
  }

  // Declared first: the settled and the plain ending below both store them.
  for (const Node* n : accumulated)
    if (!store_.count(n)) {
      store_[n] = plan.name.at(n);
      line(fmt::format("Scalar {}[{}];  // {}", store_[n], *static_numel(n->shape), shape_str(n->shape)));
    }
  // Settled (n past one stretch; a bound n always): the rest settled too, each total stored.
  // Otherwise the totals are zero and the lanes are added up in float as before, saving W1's
  // unbound step the conversions (30 ns of its 76).
  bool plain_ending = true;
  if (settles) {
    const std::string when = row_.is_symbolic() ? fmt::format("if ({} >= {}) {{", dim(row_), settle_rows) : "{";
    open(when);
    line(settle + "();");
    for (const Node* n : accumulated) {
      int64_t z = *static_numel(n->shape);
      const std::string i = z == 1 ? "0" : "i0";
      std::string scale = final_scale(n);
      std::string value = fmt::format("static_cast<Scalar>({}[{}])", total.at(n), i);
      std::string store = fmt::format("{} = {};", at(store_.at(n), i), scale.empty() ? value : "(" + value + ")" + scale);
      line(z == 1 ? store : fmt::format("for (std::int64_t i0 = 0; i0 < {}; ++i0) {}", z, store));
    }
    plain_ending = row_.is_symbolic();
    if (plain_ending) {
      indent(-1);
      line("} else {");
      indent(1);
    } else {
      close();
    }
  }
  if (plain_ending) lane_sums(accumulated, width);
  if (settles && plain_ending) close();
  // Values computed from the sums.
  for (const Node* n : post) {
    comments(n);
    if (!store_.count(n)) {
      store_[n] = plan.name.at(n);
      line(fmt::format("Scalar {}[{}];  // {}", store_[n], *static_numel(n->shape), shape_str(n->shape)));
    }
    Idx idx = static_idx(n->shape);
    int k = loops(n->shape, idx, 0);
    line(at(store_.at(n), offset(n->shape, idx)) + " = " + unwrap(define(n, idx)) + ";");
    closes(k);
  }
  flush(1 << 30);
  // The other results: copies, uniform values and zeros.
  for (size_t i = 0; i < in_.results.size(); ++i) {
    const Result& res = in_.results[i];
    if (res.node && cls_.at(res.node) == Cls::R) continue;
    if (res.node && owner.count(res.node) && owner.at(res.node) == i) continue;
    Idx idx = static_idx(res.shape);
    if (!res.node) {
      line(fmt::format("for (std::int64_t i0 = 0; i0 < {}; ++i0) {} = Scalar(0);", numel(res.shape), at(res.dest, "i0")));
      continue;
    }
    int k = loops(res.shape, idx, 0);
    line(at(res.dest, offset(res.shape, idx)) + " = " + unwrap(read(res.node, idx)) + ";");
    closes(k);
  }
  for (const std::string& u : in_.updates) line(u);
  int64_t acc_scalars = 0;
  for (const Node* n : accumulated) acc_scalars += *static_numel(n->shape) * width;
  return RowBlockBody{out_, used_leaves_, width, acc_scalars, lane_scalars_ * width};
}

}  // namespace

std::optional<RowBlockBody> row_block_body(const RowBlockInput& in, std::string& refusal) {
  RowBlock rb(in);
  refusal = rb.check();
  if (!refusal.empty()) return std::nullopt;
  return rb.emit();
}

}  // namespace gg::cpp
