// Statement text for fused groups: loops, matmul epilogues, reductions, softmax and losses.
#include "emit/cpp_kernels.h"

#include <algorithm>

#include <fmt/format.h>

#include "ir/op_table.h"
#include "support/error.h"

namespace gg::cpp {
namespace {

// A sum to a scalar (a loss, sum, mean) is added up in double even in an f32 network: one
// float running sum over 2 million squares lost 1e-3 of an mse (gg::Accum in reduce.hpp).
constexpr const char* kAccumulator = "gg::Accum<Scalar> acc = 0;";

std::string var(size_t d) { return "i" + std::to_string(d); }

// "i0", "i1" for each dimension, "0" for a size-1 one (it has a single index).
Idx loop_idx(const Shape& s) {
  Idx idx;
  for (size_t d = 0; d < s.size(); ++d) idx.push_back(s[d].is_one() ? "0" : var(d));
  return idx;
}

}  // namespace

Idx broadcast_idx(const Shape& from, const Shape& to, const Idx& idx) {
  Idx out;
  size_t off = to.size() - from.size();
  for (size_t d = 0; d < from.size(); ++d) out.push_back(from[d].is_one() ? "0" : idx[off + d]);
  return out;
}

// Drops one pair of parentheses around the whole expression.
std::string unwrap(const std::string& e) {
  if (e.size() < 2 || e.front() != '(' || e.back() != ')') return e;
  int depth = 0;
  for (size_t i = 0; i < e.size(); ++i) {
    depth += e[i] == '(' ? 1 : e[i] == ')' ? -1 : 0;
    if (depth == 0 && i + 1 < e.size()) return e;
  }
  return e.substr(1, e.size() - 2);
}

// The left operand of + − × / without its parentheses when they only group a chain of the
// same precedence: "((a + b) - c)" is written "(a + b - c)", which C++ groups the same way
// (left to right), so the arithmetic is unchanged. A 300-term sum nested 300 parentheses deep,
// past clang's limit of 256.
namespace {
std::string without_left_parens(Op parent, const std::string& left) {
  const bool additive = parent == Op::Add || parent == Op::Sub;
  if (!additive && parent != Op::Mul && parent != Op::Div) return left;
  const std::string_view same[] = {additive ? " + " : " * ", additive ? " - " : " / "};
  if (left.size() < 2 || left.front() != '(' || left.back() != ')') return left;
  int depth = 0;
  bool chained = false;
  for (size_t i = 0; i < left.size(); ++i) {
    const char ch = left[i];
    depth += ch == '(' || ch == '[' ? 1 : ch == ')' || ch == ']' ? -1 : 0;
    if (depth == 0 && i + 1 < left.size()) return left;  // "(a) + (b)": not one group
    if (depth != 1 || ch != ' ') continue;
    // Every binary operator is written between spaces: the one at depth 1 decides.
    const size_t end = left.find(' ', i + 1);
    if (end == std::string::npos || end == i + 1) return left;
    const std::string_view op(left.data() + i, end - i + 1);
    if (op != same[0] && op != same[1]) return left;
    chained = true;
    i = end;
  }
  return chained ? left.substr(1, left.size() - 2) : left;
}

// x for `(-x)`, x one term (a literal, an element, a call: no space outside brackets); nullopt
// otherwise.
std::optional<std::string> negated_atom(const std::string& text) {
  const std::string inner = unwrap(text);
  if (inner.size() == text.size() || inner.size() < 2 || inner[0] != '-') return std::nullopt;
  int depth = 0;
  for (const char ch : inner) {
    depth += ch == '(' || ch == '[' ? 1 : ch == ')' || ch == ']' ? -1 : 0;
    if (depth == 0 && ch == ' ') return std::nullopt;
  }
  return inner.substr(1);
}

// `(a < b ? 1 : 0)`, a comparison written inline, as the condition `a < b`; nullopt for any
// other text (a named mask, a nested group).
std::optional<std::string> inline_condition(const std::string& text) {
  constexpr std::string_view kTail = " ? 1 : 0";
  const std::string inner = unwrap(text);
  if (inner.size() == text.size() || inner.size() <= kTail.size() ||
      inner.compare(inner.size() - kTail.size(), kTail.size(), kTail) != 0)
    return std::nullopt;
  const std::string condition = inner.substr(0, inner.size() - kTail.size());
  return condition.find(" ? ") == std::string::npos ? std::optional(condition) : std::nullopt;  // its own ?: only
}
}  // namespace

std::string elementwise_text(const Node* n, std::vector<std::string> ops, Precision prec) {
  ops.resize(3);
  // select([t < 1e-12], 1e-12, t) as (t < 1e-12f ? 1e-12f : t), not ((t < 1e-12f ? 1 : 0) != 0 ? ...).
  if (n->op == Op::Select)
    if (std::optional<std::string> condition = inline_condition(ops[0]))
      return "(" + *condition + " ? " + ops[1] + " : " + ops[2] + ")";
  // −(−x) as x (exact: two sign flips), so a negated constant gradient reads 1.0f, not -(-1.0f).
  if (n->op == Op::Neg)
    if (std::optional<std::string> negated = negated_atom(ops[0])) return *negated;
  ops[0] = without_left_parens(n->op, ops[0]);
  return fmt::format(fmt::runtime(op_info(n->op).emit), ops[0], ops[1], ops[2],
                     fmt::arg("value", literal(n->attrs.value, prec)));
}

std::optional<Idx> view_index(const Node* n, const Idx& idx) {
  if (n->op == Op::Transpose) return Idx{idx[1], idx[0]};
  if (n->op == Op::BroadcastTo) return broadcast_idx(n->inputs[0]->shape, n->shape, idx);
  if (n->op == Op::Unsqueeze) {
    Idx in = idx;
    in.erase(in.begin() + n->attrs.axis);
    return in;
  }
  if (n->op != Op::Index) return std::nullopt;
  const Shape& s = n->inputs[0]->shape;  // Index: flat element attrs.axis of a static shape
  Idx in(s.size());
  int64_t rest = n->attrs.axis;
  for (size_t d = s.size(); d-- > 0;) {
    in[d] = std::to_string(rest % s[d].size);
    rest /= s[d].size;
  }
  return in;
}

std::vector<std::string> kernel_includes(const std::string& code) {
  auto calls = [&](const char* what) { return code.find(what) != std::string::npos; };
  std::vector<std::string> inc;
  // The op table's elementwise functions (emitted as `gg::name(...)`) live in activations.hpp.
  bool act = false;
  for (const OpInfo& row : op_table()) {
    const std::string_view emit = row.emit;
    const size_t paren = emit.find('(');
    if (emit.rfind("gg::", 0) == 0 && paren != std::string_view::npos)
      act = act || calls(std::string(emit.substr(0, paren + 1)).c_str());
  }
  if (act) inc.push_back("#include <gradgen/activations.hpp>");
  if (calls("gg::fill(") || calls("gg::copy(") || calls("gg::flat(")) inc.push_back("#include <gradgen/buffer.hpp>");
  if (calls("gg::matmul_")) inc.push_back("#include <gradgen/matmul.hpp>");
  if (calls("gg::logsumexp") || calls("gg::Lse<") || calls("gg::clamped_log") || calls("gg::Accum<"))
    inc.push_back("#include <gradgen/reduce.hpp>");
  if (calls("GG_IVDEP") || calls("GG_UNROLL")) inc.push_back("#include <gradgen/vectorize.hpp>");
  std::sort(inc.begin(), inc.end());
  return inc;
}

std::string standard_includes(const std::string& code) {
  return code.find("std::numeric_limits") != std::string::npos ? "#include <limits>\n" : "";
}

std::string scatter_text(const Node* n, const std::string& offset, const std::string& value) {
  return "(" + offset + " == " + std::to_string(n->attrs.axis) + " ? " + value + " : Scalar(0))";
}

std::string ShapeText::dim(const Dim& d) const {
  return d.is_symbolic() ? dim_names.at(d.symbol) : std::to_string(d.size);
}

std::string ShapeText::numel(const Shape& s) const {
  int64_t fixed = 1;
  std::string syms;
  for (const Dim& d : s) {
    if (d.is_symbolic())
      syms += (syms.empty() ? "" : " * ") + dim(d);
    else
      fixed *= d.size;
  }
  if (syms.empty()) return std::to_string(fixed);
  return fixed == 1 ? syms : syms + " * " + std::to_string(fixed);
}

std::string ShapeText::count_value(const Shape& s) const {
  if (auto n = static_numel(s)) return literal(static_cast<double>(*n), prec);
  return "static_cast<Scalar>(" + numel(s) + ")";
}

// The count a sum kept in gg::Accum (double for f32) is divided by: in that type, so the mean
// neither rounds n past 2^24 to float nor widens a float in the division.
std::string ShapeText::accum_count(const Shape& s) const {
  if (auto n = static_numel(s)) return literal(static_cast<double>(*n), Precision::F64);
  return "static_cast<gg::Accum<Scalar>>(" + numel(s) + ")";
}

// Row-major flat offset in Horner form: ((i0) * d1 + i1) * d2 + i2, size-1 indices dropped.
std::string ShapeText::offset(const Shape& s, const Idx& idx) const {
  std::string e;
  for (size_t d = 0; d < s.size(); ++d) {
    if (!e.empty() && !s[d].is_one()) e = (e.find(" + ") != std::string::npos ? "(" + e + ")" : e) + " * " + dim(s[d]);
    if (idx[d] != "0") e = e.empty() ? idx[d] : e + " + " + idx[d];
  }
  return e.empty() ? "0" : e;
}

std::string KernelWriter::ptr(const Node* n) {
  if (n->op == Op::Input || n->op == Op::Param) {
    const std::string& id = names_.leaf.at(n->attrs.name);
    used_leaves_.insert(n->attrs.name);
    return id;
  }
  return plan_.name.at(n);
}

std::string KernelWriter::read(const Node* n, const Idx& idx) {
  if (n->op == Op::Const) return literal(n->attrs.value, prec_);
  if (n->op == Op::Count) return count_value(n->attrs.shape);
  if (n->op == Op::Input || n->op == Op::Param) return ptr(n) + "[" + offset(n->shape, idx) + "]";
  if (auto it = locals_.find(n); it != locals_.end()) return it->second;
  if (plan_.materialised.count(n)) return ptr(n) + "[" + offset(n->shape, idx) + "]";
  return define(n, idx);
}

// `n` computed from its operands at index `idx` (elementwise ops and index maps only).
std::string KernelWriter::define(const Node* n, const Idx& idx) {
  if (has_flag(n, kLeaf)) return read(n, idx);
  if (auto in = view_index(n, idx)) return read(n->inputs[0], *in);
  if (n->op == Op::Scatter) return scatter_text(n, offset(n->shape, idx), read(n->inputs[0], {}));
  if (!has_flag(n, kElementwise)) throw InternalError(std::string("C++ emitter: ") + op_info(n->op).name + " was not given a buffer");
  std::vector<std::string> ops;
  for (const Node* o : n->inputs) ops.push_back(read(o, broadcast_idx(o->shape, n->shape, idx)));
  return elementwise_text(n, std::move(ops), prec_);
}

void KernelWriter::line(const std::string& s) { out_ += std::string(static_cast<size_t>(indent_) * 2, ' ') + s + "\n"; }

void KernelWriter::open_loops(const Shape& s, const Idx& idx, const std::vector<bool>& which, bool independent) {
  size_t innermost = s.size();
  for (size_t d = 0; d < s.size(); ++d)
    if (which[d] && idx[d] != "0") innermost = d;
  for (size_t d = 0; d < s.size(); ++d) {
    if (!which[d] || idx[d] == "0") continue;
    if (independent && d == innermost) line("GG_IVDEP");
    line(fmt::format("for (std::int64_t {0} = 0; {0} < {1}; ++{0}) {{", idx[d], dim(s[d])));
    ++indent_;
    ++open_;
  }
}

void KernelWriter::close_loops() {
  for (; open_ > 0; --open_) {
    --indent_;
    line("}");
  }
}

void KernelWriter::comments(const Node* n) {
  auto it = names_.eqs.find(n);
  if (it == names_.eqs.end()) return;
  for (const Equation* e : it->second) line("// " + eqs_.line(*e, Format::Text));
}

void KernelWriter::members(const Group& g, const Idx& idx, size_t from, bool comment_each) {
  for (size_t i = from; i < g.members.size(); ++i) {
    const Node* m = g.members[i];
    if (comment_each) comments(m);
    if (kind_of(m->op) == Kind::Reduce) {  // output-stationary: zeroed before the loop (reduce_prologue)
      const std::string at = offset(m->shape, reduce_out_idx(m, idx));
      if (auto s = staged_.find(m); s != staged_.end())
        line("col_sums[" + (s->second ? std::to_string(s->second) + " + " : "") + at +
             "] += static_cast<gg::Accum<Scalar>>(" + unwrap(read(m->inputs[0], idx)) + ");");
      else
        line(ptr(m) + "[" + at + "] += " + unwrap(read(m->inputs[0], idx)) + ";");
      continue;
    }
    std::string e = unwrap(define(m, idx));
    if (plan_.stored.count(m)) {
      line(ptr(m) + "[" + offset(m->shape, idx) + "] = " + e + ";");
    } else {
      line("const Scalar " + plan_.name.at(m) + " = " + e + ";");
      locals_[m] = plan_.name.at(m);
    }
  }
}

// Reductions accumulated inside a loop start from zero. In f32 they are added up in double
// while they fit on the stack (kStagedSumsMax): a float column sum over n rows of same-sign
// terms (a bias gradient, summed over the batch) loses ~n·2⁻²⁴ of itself, 1e-3 at n = 65536.
void KernelWriter::reduce_prologue(const Group& g) {
  constexpr int64_t kStagedSumsMax = 4096;
  staged_.clear();
  int64_t total = 0;
  bool all_static = true;
  for (const Node* m : g.members) {
    if (kind_of(m->op) != Kind::Reduce) continue;
    auto n = static_numel(m->shape);
    all_static = all_static && n.has_value();
    if (n) staged_[m] = total, total += *n;
  }
  if (prec_ == Precision::F32 && all_static && total > 0 && total <= kStagedSumsMax) {
    line("{");
    ++indent_;
    line(fmt::format("gg::Accum<Scalar> col_sums[{}] = {{}};  // sums over rows, added up in double", total));
    return;
  }
  staged_.clear();
  for (const Node* m : g.members)
    if (kind_of(m->op) == Kind::Reduce) line(fmt::format("gg::fill({}, {}, Scalar(0));", ptr(m), numel(m->shape)));
}

// ...and stored, and a mean is scaled, once the loop is done.
void KernelWriter::reduce_epilogue(const Group& g) {
  if (!staged_.empty()) {
    for (const auto& [m, at] : staged_)
      line(fmt::format("for (std::int64_t i0 = 0; i0 < {}; ++i0) {}[i0] = static_cast<Scalar>(col_sums[{}i0]);",
                       numel(m->shape), ptr(m), at ? std::to_string(at) + " + " : ""));
    staged_.clear();
    --indent_;
    line("}");
  }
  for (const Node* m : g.members) {
    if (m->op != Op::MeanAxis) continue;
    Idx idx = loop_idx(m->shape);
    std::string at = ptr(m) + "[" + offset(m->shape, idx) + "]";
    open_loops(m->shape, idx, std::vector<bool>(m->shape.size(), true));
    line(at + " = " + at + " / " + count_value(Shape{m->inputs[0]->shape[static_cast<size_t>(m->attrs.axis)]}) + ";");
    close_loops();
  }
}

// The output index a reduction accumulates element `idx` of its operand into.
Idx reduce_out_idx(const Node* r, const Idx& idx) {
  const Shape& s = r->inputs[0]->shape;
  Idx out;
  if (r->op == Op::SumTo) {
    size_t off = s.size() - r->shape.size();
    for (size_t j = 0; j < r->shape.size(); ++j) out.push_back(r->shape[j].is_one() ? "0" : idx[off + j]);
    return out;
  }
  std::vector<bool> reduced = reduced_axes(r);
  for (size_t d = 0; d < s.size(); ++d)
    if (!reduced[d]) out.push_back(idx[d]);
  return out;
}

// Whether the iterations of the innermost loop over `idx` write disjoint elements: each member
// from `from` on stores at the loop's own index, so only a reduction can write one element
// twice, when it sums along that loop (a row sum) rather than across it (a column sum).
bool KernelWriter::lanes_independent(const Group& g, const Idx& idx, size_t from) const {
  std::string inner;
  for (const std::string& i : idx)
    if (i != "0") inner = i;
  for (size_t i = from; i < g.members.size(); ++i) {
    const Node* m = g.members[i];
    if (kind_of(m->op) != Kind::Reduce) continue;
    const Idx out = reduce_out_idx(m, idx);
    if (std::find(out.begin(), out.end(), inner) == out.end()) return false;
  }
  return !inner.empty();
}

void KernelWriter::map_group(const Group& g) {
  const Shape& s = g.members.front()->shape;
  Idx idx = loop_idx(s);
  reduce_prologue(g);
  open_loops(s, idx, std::vector<bool>(s.size(), true), lanes_independent(g, idx, 0));
  members(g, idx, 0, s.empty());
  close_loops();
  reduce_epilogue(g);
}

// C = op(A) op(B) by one GEMM into the product's buffer (or, when the product is only a loop
// local, into the group's last buffer), then one loop applying the epilogue in place.
void KernelWriter::gemm_group(const Group& g) {
  const Node* mm = g.members.front();
  auto [a, ta] = strip_transposes(plan_, mm->inputs[0]);
  auto [b, tb] = strip_transposes(plan_, mm->inputs[1]);
  const Node* c = plan_.stored.count(mm) ? mm : loop_tail(g);
  auto into = gemm_into_.find(mm);  // fused SGD: param += (-lr) · gradient
  line(fmt::format("gg::gemm({}, {}, {}, {}, {}, {}, {}, {}, Scalar({}), {});", ta ? "true" : "false",
                   tb ? "true" : "false", dim(mm->shape[0]), dim(mm->inputs[0]->shape[1]), dim(mm->shape[1]),
                   into == gemm_into_.end() ? "Scalar(1)" : into->second->gemm_alpha, ptr(a), ptr(b),
                   into == gemm_into_.end() ? 0 : 1, into == gemm_into_.end() ? ptr(c) : into->second->target));
  if (g.members.size() == 1) return;
  Idx idx = loop_idx(mm->shape);
  reduce_prologue(g);
  open_loops(mm->shape, idx, std::vector<bool>(mm->shape.size(), true), lanes_independent(g, idx, 1));
  line("const Scalar acc = " + ptr(c) + "[" + offset(mm->shape, idx) + "];");
  locals_[mm] = "acc";
  members(g, idx, 1);
  close_loops();
  reduce_epilogue(g);
}

void KernelWriter::matmul_group(const Group& g) {
  if (g.gemm) return gemm_group(g);
  const Node* mm = g.members.front();
  auto [a, ta] = strip_transposes(plan_, mm->inputs[0]);
  auto [b, tb] = strip_transposes(plan_, mm->inputs[1]);
  Idx idx = loop_idx(mm->shape);
  reduce_prologue(g);
  auto param = [&](size_t d) { return idx[d] == "0" ? std::string("std::int64_t") : "std::int64_t " + idx[d]; };
  line(fmt::format("gg::matmul_{}{}({}, {}, {}, {}, {}, [&]({}, {}, Scalar acc) {{", ta ? 't' : 'n', tb ? 't' : 'n', ptr(a),
                   ptr(b), dim(mm->shape[0]), dim(mm->inputs[0]->shape[1]), dim(mm->shape[1]), param(0), param(1)));
  ++indent_;
  if (plan_.stored.count(mm)) line(ptr(mm) + "[" + offset(mm->shape, idx) + "] = acc;");
  locals_[mm] = "acc";
  members(g, idx, 1);
  --indent_;
  line("});");
  reduce_epilogue(g);
}

void KernelWriter::reduce_group(const Node* r) {
  const Node* o = r->inputs[0];
  const Shape& s = o->shape;
  Idx idx = loop_idx(s);
  if (reduces_leading_axes(r)) {  // kept axes inner: zero the output, then accumulate rows into it
    Group alone{Kind::Reduce, {r}};
    reduce_prologue(alone);
    open_loops(s, idx, std::vector<bool>(s.size(), true));
    members(alone, idx, 0);
    close_loops();
    reduce_epilogue(alone);
    return;
  }
  const std::vector<bool> reduced = reduced_axes(r);
  const Idx out = reduce_out_idx(r, idx);
  std::string scale;
  if (r->op == Op::Mean) scale = " / " + text_.accum_count(s);
  if (r->op == Op::MeanAxis) scale = " / " + text_.accum_count(Shape{s[static_cast<size_t>(r->attrs.axis)]});
  std::vector<bool> outer(reduced.size());
  for (size_t d = 0; d < reduced.size(); ++d) outer[d] = !reduced[d];
  open_loops(s, idx, outer);
  int outer_open = open_;
  if (outer_open == 0) line("{"), ++indent_;
  line(kAccumulator);
  open_ = 0;
  open_loops(s, idx, reduced);
  line("acc += gg::widen(" + unwrap(read(o, idx)) + ");");
  close_loops();
  line(ptr(r) + "[" + offset(r->shape, out) + "] = " + from_accum("acc" + scale, prec_) + ";");
  if (outer_open == 0) --indent_, line("}");
  open_ = outer_open;
  close_loops();
}

void KernelWriter::rowwise_group(const Node* r) {
  const Node* o = r->inputs[0];
  const Shape& s = o->shape;
  size_t ax = static_cast<size_t>(r->attrs.axis);
  Idx idx = loop_idx(s);
  std::vector<bool> outer(s.size(), true);
  outer[ax] = false;
  open_loops(s, idx, outer);
  int outer_open = open_;
  if (outer_open == 0) line("{"), ++indent_;
  std::string param = idx[ax] == "0" ? "std::int64_t" : "std::int64_t " + idx[ax];
  line(fmt::format("const gg::Lse<Scalar> lse = gg::logsumexp<Scalar>({}, [&]({}) {{ return {}; }});", dim(s[ax]), param,
                   unwrap(read(o, idx))));
  open_ = 0;
  std::vector<bool> axis(s.size(), false);
  axis[ax] = true;
  open_loops(s, idx, axis);
  std::string x = read(o, idx);
  line(ptr(r) + "[" + offset(s, idx) + "] = " + (r->op == Op::Softmax ? "gg::exp(" + x + " - lse)" : x + " - lse") + ";");
  close_loops();
  if (outer_open == 0) --indent_, line("}");
  open_ = outer_open;
  close_loops();
}

// Softmax, log_softmax and cross-entropy along the last axis of one operand: one loop over
// rows, one logsumexp per row (which also writes the softmax row when there is one), then one
// loop over the row for the other members.
void KernelWriter::row_group(const Group& g) {
  const Node* p = row_operand(g.members.front());
  const Shape& s = p->shape;
  size_t ax = s.size() - 1;
  Idx idx = loop_idx(s);
  const Node* ce = nullptr;
  const Node* sm = nullptr;
  for (const Node* m : g.members) {
    if (m->op == Op::CrossEntropy) ce = m;
    if (m->op == Op::Softmax) sm = m;
  }
  std::vector<bool> rows(s.size(), true);
  rows[ax] = false;
  bool outer_loop = false;
  for (size_t d = 0; d < ax; ++d) outer_loop = outer_loop || idx[d] != "0";
  bool uses_lse = false;  // by a member other than the softmax
  for (const Node* m : g.members) uses_lse = uses_lse || m->op != Op::Softmax;
  bool block = ce || (!outer_loop && uses_lse);
  if (block) line("{"), ++indent_;
  if (ce) line(kAccumulator);
  open_loops(s, idx, rows);
  int outer_open = open_;
  std::string param = idx[ax] == "0" ? "std::int64_t" : "std::int64_t " + idx[ax];
  std::string x = unwrap(read(p, idx));
  if (sm) {
    Idx row = idx;
    row[ax] = "0";
    std::string off = offset(s, row);
    line(fmt::format("{}gg::logsumexp_softmax<Scalar>({}, [&]({}) {{ return {}; }}, {});",
                     uses_lse ? "const gg::Lse<Scalar> lse = " : "", dim(s[ax]), param, x, off == "0" ? ptr(sm) : ptr(sm) + " + " + off));
  } else {
    line(fmt::format("const gg::Lse<Scalar> lse = gg::logsumexp<Scalar>({}, [&]({}) {{ return {}; }});", dim(s[ax]), param, x));
  }
  std::vector<std::string> body;
  for (const Node* m : g.members) {
    if (m->op == Op::LogSoftmax) body.push_back(ptr(m) + "[" + offset(s, idx) + "] = " + read(p, idx) + " - lse;");
    if (m->op == Op::CrossEntropy)
      body.push_back("acc -= gg::widen(" + read(m->inputs[1], idx) + " * (" + read(p, idx) + " - lse));");
  }
  if (!body.empty()) {
    open_ = 0;
    std::vector<bool> axis(s.size(), false);
    axis[ax] = true;
    open_loops(s, idx, axis);
    for (const std::string& b : body) line(b);
    close_loops();
  }
  open_ = outer_open;
  close_loops();
  if (ce) line(ptr(ce) + "[0] = " + from_accum("acc" + (s.size() == 2 ? " / " + text_.accum_count(Shape{s[0]}) : ""), prec_) + ";");
  if (block) --indent_, line("}");
}

// Elementwise losses: one accumulation over every element (cross-entropy: row_group).
void KernelWriter::loss_group(const Node* r) {
  const Node* p = r->inputs[0];
  const Node* y = r->inputs[1];
  const Shape& s = p->shape;
  Idx idx = loop_idx(s);
  line("{");
  ++indent_;
  line(kAccumulator);
  std::string scale = " / " + text_.accum_count(s);
  open_loops(s, idx, std::vector<bool>(s.size(), true));
  std::string pv = unwrap(read(p, idx)), yv = unwrap(read(y, idx));
  switch (r->op) {
    case Op::Mse: case Op::Sse:
      line("const Scalar dv = " + pv + " - " + read(y, idx) + ";");
      line("acc += gg::widen(dv * dv);");
      break;
    case Op::Bce:
      line("const Scalar pv = " + pv + ";");
      line("const Scalar yv = " + yv + ";");
      line("acc -= gg::widen(yv * gg::clamped_log(pv) + (Scalar(1) - yv) * gg::clamped_log(Scalar(1) - pv));");
      break;
    case Op::BceLogits:
      line("const Scalar zv = " + pv + ";");
      line("acc += gg::widen(gg::softplus(zv) - zv * " + read(y, idx) + ");");
      break;
    case Op::Input: case Op::Param: case Op::Const: case Op::Count: case Op::Add: case Op::Sub: case Op::Mul:
    case Op::Div: case Op::Neg: case Op::Sigmoid: case Op::Tanh: case Op::Relu: case Op::LeakyRelu: case Op::Softplus:
    case Op::Exp: case Op::Log: case Op::Sqrt: case Op::Square: case Op::Abs: case Op::Sin: case Op::Cos: case Op::Pow:
    case Op::Power: case Op::Log1p: case Op::Expm1: case Op::Sinh: case Op::Cosh: case Op::Tan: case Op::Exp2:
    case Op::Log2: case Op::Log10: case Op::ToFloat:
    case Op::Step: case Op::LeakyStep: case Op::Sign: case Op::Transpose: case Op::BroadcastTo: case Op::Unsqueeze:
    case Op::Index: case Op::Pack: case Op::Scatter: case Op::Select: case Op::Less: case Op::LessEq: case Op::Equal:
    case Op::MatMul: case Op::Softmax: case Op::LogSoftmax:
    case Op::Sum: case Op::Mean: case Op::SumAxis: case Op::MeanAxis: case Op::SumTo: case Op::CrossEntropy:
      throw InternalError("loss_group: not an elementwise loss");
  }
  close_loops();
  if (r->op == Op::Sse) scale.clear();
  line(ptr(r) + "[0] = " + from_accum("acc" + scale, prec_) + ";");
  --indent_;
  line("}");
}

// One store per element: the scalars a Pack gathers into a small static tensor.
void KernelWriter::pack_group(const Node* n) {
  for (size_t k = 0; k < n->inputs.size(); ++k)
    line(ptr(n) + "[" + std::to_string(k) + "] = " + unwrap(read(n->inputs[k], {})) + ";");
}

void KernelWriter::group(const Group& g) {
  // A loop's equations stand above it; scalar statements (no loop) each under their own.
  const bool scalar_statements = g.kind == Kind::Map && g.members.front()->shape.empty();
  if (!scalar_statements)
    for (const Node* m : g.members) comments(m);
  switch (g.kind) {
    case Kind::Map: map_group(g); break;
    case Kind::MatMul: matmul_group(g); break;
    case Kind::Reduce: reduce_group(g.members.front()); break;
    case Kind::RowWise: case Kind::Loss:
      if (row_operand(g.members.front()))
        row_group(g);
      else if (g.kind == Kind::RowWise)
        rowwise_group(g.members.front());
      else
        loss_group(g.members.front());
      break;
    case Kind::Pack: pack_group(g.members.front()); break;
  }
  locals_.clear();
}

// Where each fused update goes: after group max(last read of the param, group completing its
// gradient), or after the finishes (key groups.size()) when a finish writes the gradient. A
// single-product gradient computed after the param's last read instead updates the param in
// its GEMM (plain SGD), and its destination is never written.
std::map<size_t, std::vector<std::string>> KernelWriter::place_updates(const std::vector<Result>& results) {
  std::map<size_t, std::vector<std::string>> at;
  std::map<std::string, size_t> last = last_param_reads(plan_);
  const size_t end = plan_.groups.size();
  std::set<const Node*> copied;  // read by a finish: their destination must be written
  for (const Finish& f : plan_.finishes) {
    copied.insert(f.from);
    if (f.from && f.from->op == Op::Param) last[f.from->attrs.name] = end;  // read after every group
  }
  for (const FusedUpdate& u : updates_) {
    const Result& r = results[u.result];
    size_t gi = result_group(plan_, r);
    auto read = last.find(u.param);
    bool read_before = read == last.end() || read->second < gi;
    if (gi < end) {
      const Group& g = plan_.groups[gi];
      if (!u.gemm_alpha.empty() && g.gemm && g.members.size() == 1 && g.members.front() == r.node && read_before &&
          plan_.stored.count(r.node) && !plan_.consumers.count(r.node) && !copied.count(r.node)) {
        gemm_into_[r.node] = &u;
        skipped_.insert(u.result);
        continue;
      }
    }
    size_t pos = gi;
    if (read != last.end()) pos = std::max(pos, read->second);
    at[pos].push_back(u.statement);
  }
  return at;
}

std::string KernelWriter::body(const std::vector<Result>& results, const std::set<const Equation*>& comment_only) {
  std::map<size_t, std::vector<std::string>> updates = place_updates(results);
  auto emit_updates = [&](size_t pos) {
    for (const std::string& u : updates[pos]) line(u);
  };
  std::vector<const Equation*> pending(comment_only.begin(), comment_only.end());
  std::sort(pending.begin(), pending.end(), [](const Equation* a, const Equation* b) { return a->seq < b->seq; });
  size_t next = 0;
  constexpr int kAll = 1 << 30;  // above every equation's seq
  auto flush = [&](int below) {
    for (; next < pending.size() && pending[next]->seq < below; ++next)
      line("// " + eqs_.line(*pending[next], Format::Text));
  };
  for (size_t gi = 0; gi < plan_.groups.size(); ++gi) {
    const Group& g = plan_.groups[gi];
    int first = kAll;
    for (const Node* m : g.members)
      if (auto it = names_.eqs.find(m); it != names_.eqs.end()) first = std::min(first, it->second.front()->seq);
    if (first != kAll) flush(first);  // a group without an equation of its own (a partial sum) waits
    group(g);
    emit_updates(gi);
  }
  flush(kAll);
  for (const Finish& f : plan_.finishes) {
    const Result& r = results[f.result];
    if (!f.from)
      line(fmt::format("gg::fill({}, {}, Scalar(0));", r.dest, numel(r.shape)));
    else if (f.from->op == Op::Const || f.from->op == Op::Count)  // a constant result: dL/dx = 1
      line(fmt::format("gg::fill({}, {}, Scalar({}));", r.dest, numel(r.shape), read(f.from, {})));
    else
      line(fmt::format("gg::copy({}, {}, {});", r.dest, ptr(f.from), numel(r.shape)));
  }
  emit_updates(plan_.groups.size());
  return out_;
}

}  // namespace gg::cpp
