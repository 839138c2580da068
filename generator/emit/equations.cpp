// Builds the named equations (F1..Fk, temporaries, B1..Bm) of a differentiated Program and
// prints them as text, markdown or LaTeX from the op table's Display patterns.
#include "emit/equations.h"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "ir/op_table.h"
#include "support/error.h"

namespace gg {
namespace {

// A printed subexpression and the precedence of its outermost operator.
struct Piece {
  std::string text;
  int prec;
};

constexpr int kAtom = 5;
constexpr int kUnary = 3;
constexpr int kMul = 2;

// A constant that is exactly p/q for a denominator up to 1000 and whose decimals run long:
// what a bound dim leaves of 2/n (n = 3: 2/3, not 0.6666666666666666). Short decimals (0.5,
// 0.125, 0.001) stay as they are.
std::optional<std::pair<int64_t, int64_t>> small_fraction(double v) {
  if (!std::isfinite(v) || v == std::floor(v) || std::fabs(v) > 1e6 || number_text(v).size() <= 8) return std::nullopt;
  for (int64_t q = 2; q <= 1000; ++q) {
    const double p = std::round(v * static_cast<double>(q));
    if (p / static_cast<double>(q) == v) return std::make_pair(static_cast<int64_t>(p), q);
  }
  return std::nullopt;
}

bool is_leaf(const Node* n) { return has_flag(n, kLeaf); }
bool is_number(const Node* n) { return n->op == Op::Const || n->op == Op::Count; }

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// The static factor of a shape's element count (6 for [n, 2, 3]).
int64_t static_factor(const Shape& s) {
  int64_t coef = 1;
  for (const Dim& d : s)
    if (!d.is_symbolic()) coef *= d.size;
  return coef;
}

// "3n", "n·m", "12": the element count of a shape, as in 2/n for mse over [n, 1], divided by
// `divide_by`, a factor of its static part.
Piece numel_piece(const Shape& s, Format f, int64_t divide_by = 1) {
  const int64_t coef = static_factor(s) / divide_by;
  std::vector<std::string> syms;
  for (const Dim& d : s)
    if (d.is_symbolic()) syms.push_back(d.symbol);
  if (syms.empty()) return {std::to_string(coef), kAtom};
  std::string out = coef != 1 ? std::to_string(coef) : "";
  for (size_t i = 0; i < syms.size(); ++i) {
    if (i) out += f == Format::Latex ? " " : "·";
    out += f == Format::Latex ? latex_name(syms[i]) : syms[i];
  }
  return {out, coef != 1 || syms.size() > 1 ? 4 : kAtom};
}

// Axes of `from` that SumTo removes or collapses to reach `to`: "0" or "(0, 1)".
// "1" or "(0, 2)": the axes of a list, as numpy writes an axis argument.
std::string axes_text(const std::vector<size_t>& axes) {
  if (axes.size() == 1) return std::to_string(axes[0]);
  std::string out = "(";
  for (size_t i = 0; i < axes.size(); ++i) out += (i ? ", " : "") + std::to_string(axes[i]);
  return out + ")";
}

// The axes a sum_to from `from` to `to` sums over: the leading axes it drops, and the axes it
// keeps as 1.
struct SummedAxes {
  std::vector<size_t> dropped, kept;
};
SummedAxes summed_axes(const Shape& from, const Shape& to) {
  SummedAxes a;
  const size_t offset = from.size() - to.size();
  for (size_t d = 0; d < from.size(); ++d) {
    if (d < offset)
      a.dropped.push_back(d);
    else if (to[d - offset].is_one() && !from[d].is_one())
      a.kept.push_back(d);
  }
  return a;
}

std::string all_summed_axes(const Shape& from, const Shape& to) {
  SummedAxes a = summed_axes(from, to);
  a.dropped.insert(a.dropped.end(), a.kept.begin(), a.kept.end());
  return axes_text(a.dropped);
}

// sum_to as numpy writes it: axes kept as 1 need keepdims=True, and a sum that both drops
// and keeps axes is two sums.
std::string sum_to_text(const Shape& from, const Shape& to) {
  const SummedAxes a = summed_axes(from, to);
  if (a.kept.empty()) return "sum({0}, axis=" + axes_text(a.dropped) + ")";
  const std::string keep = "sum({0}, axis=" + axes_text(a.kept) + ", keepdims=True)";
  return a.dropped.empty() ? keep : "sum(" + keep + ", axis=" + axes_text(a.dropped) + ")";
}

std::string shape_text(const Shape& s, Format f) {
  if (f != Format::Latex) return shape_str(s);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) out += (i ? " \\times " : "") + s[i].str();
  return s.empty() ? "1" : out;
}

// Ops displayed as an exponent of their operand.
bool superscript(Op op) { return op == Op::Square || op == Op::Pow || op == Op::Power || op == Op::Transpose; }

// Characters that close or open a group around a placeholder make parentheses redundant.
bool opens_group(char c) { return c == '(' || c == '{' || c == '[' || c == ','; }
bool closes_group(char c) { return c == ')' || c == '}' || c == ']' || c == ','; }

// Associative ops need no parentheses around a right operand of the same op.
bool associative(Op op) { return op == Op::Add || op == Op::Mul || op == Op::MatMul; }

class Printer {
 public:
  Printer(const EquationSet& s, int seq, bool forward, Format f) : s_(s), seq_(seq), forward_(forward), f_(f) {}

  // `n` as an operand: by name where it has one visible here, else expanded.
  Piece operand(const Node* n) const {
    if (auto name = visible_name(n)) return {display(*name), kAtom};
    return expand(n);
  }

  // `n` expanded one level (its operands by name where possible).
  Piece expand(const Node* n) const {
    if (n->op == Op::Const) return const_piece(n->attrs.value);
    if (n->op == Op::Count) return numel_piece(n->attrs.shape, f_);
    if (n->op == Op::Div && is_number(n->inputs[0]) && is_number(n->inputs[1])) return ratio(n);
    return pattern(n);
  }

 private:
  std::optional<std::string> visible_name(const Node* n) const {
    auto it = s_.names.find(n);
    if (it == s_.names.end()) return std::nullopt;
    // Constants named by `const c = ...` read as c in the forward equations; in the backward
    // ones CSE may have merged them with a rule's literal, so the value is clearer.
    if (n->op == Op::Const && !forward_) return std::nullopt;
    auto at = s_.defined_at.find(n);
    if (at != s_.defined_at.end() && at->second >= seq_) return std::nullopt;
    return it->second;
  }

  std::string display(const std::string& name) const {
    return f_ == Format::Latex ? latex_name(name, &s_.latex_spelled_out) : name;
  }

  // A negative number binds like a sum: a ⊙ (−1) reads better than a ⊙ −1. Its sign is the
  // minus sign (U+2212) that every other minus of the text forms prints.
  Piece const_piece(double v) const {
    if (auto f = small_fraction(v)) return fraction_piece(f->first, f->second);
    std::string text = f_ == Format::Latex ? latex_number(v) : number_text(v);
    if (f_ != Format::Latex && !text.empty() && text[0] == '-') text = "−" + text.substr(1);
    return {text, std::signbit(v) && !std::isnan(v) ? 1 : kAtom};
  }

  // p/q, q > 1: 1/3 (text) or \frac{1}{3}; negative, it binds like a sum, as a negative number.
  Piece fraction_piece(int64_t p, int64_t q) const {
    const std::string sign = p < 0 ? (f_ == Format::Latex ? "-" : "−") : "";
    const std::string num = std::to_string(p < 0 ? -p : p), den = std::to_string(q);
    if (f_ == Format::Latex) return {sign + "\\frac{" + num + "}{" + den + "}", p < 0 ? 1 : kAtom};
    return {sign + num + "/" + den, p < 0 ? 1 : kMul};
  }

  // Div of two numbers: 2/n (text) or \frac{2}{n}; an integer over a count shares no factor
  // with its static part (mse over [n, 2]: 1/n, not 2/(2n)).
  Piece ratio(const Node* n) const {
    const Node* num = n->inputs[0];
    const Node* den = n->inputs[1];
    int64_t common = 1;  // of an integer numerator and the count's static factor
    if (num->op == Op::Const && den->op == Op::Count && std::fabs(num->attrs.value) < 1e15 &&
        num->attrs.value == std::floor(num->attrs.value) && num->attrs.value != 0)
      common = std::gcd(static_cast<int64_t>(std::fabs(num->attrs.value)), static_factor(den->attrs.shape));
    Piece a = common > 1 ? const_piece(num->attrs.value / static_cast<double>(common)) : operand(num);
    Piece b = common > 1 ? numel_piece(den->attrs.shape, f_, common) : operand(den);
    if (f_ == Format::Latex) return {"\\frac{" + a.text + "}{" + b.text + "}", kAtom};
    if (a.prec < kAtom) a.text = "(" + a.text + ")";
    if (b.prec < kAtom) b.text = "(" + b.text + ")";
    return {a.text + "/" + b.text, kMul};
  }

  std::string pattern_of(const Node* n) const {
    const Display& d = op_info(n->op).display;
    std::string p = f_ == Format::Latex ? d.latex : d.text;
    // Mul is `·` when it scales by a scalar and `⊙` (Hadamard) otherwise.
    if (n->op == Op::Mul && (n->inputs[0]->is_scalar() || n->inputs[1]->is_scalar()))
      p = f_ == Format::Latex ? replace_all(p, "\\odot", "\\cdot") : replace_all(p, "⊙", "·");
    if (n->op == Op::SumTo && f_ != Format::Latex) p = sum_to_text(n->inputs.at(0)->shape, n->attrs.shape);
    return p;
  }

  std::string attribute(const Node* n, const std::string& key) const {
    if (key == "value") return const_piece(n->attrs.value).text;
    if (key == "axis") return std::to_string(n->attrs.axis);
    if (key == "shape") return shape_text(n->attrs.shape, f_);
    if (key == "name") return display(n->attrs.name);
    if (key == "numel") return numel_piece(n->attrs.shape, f_).text;
    if (key == "axes") return all_summed_axes(n->inputs.at(0)->shape, n->attrs.shape);
    throw InternalError(std::string("display pattern of ") + op_info(n->op).name + " uses unknown {" + key + "}");
  }

  // Fills the op's display pattern; an operand gets parentheses when its precedence is lower
  // (or, on the right of a non-associative operator, equal) unless the pattern already
  // delimits it, as in sigmoid({0}) or \frac{{{0}}}{{{1}}}.
  Piece pattern(const Node* n) const {
    const std::string p = pattern_of(n);
    const int prec = op_info(n->op).display.precedence;
    std::string out;
    for (size_t i = 0; i < p.size(); ++i) {
      char c = p[i];
      if ((c == '{' || c == '}') && i + 1 < p.size() && p[i + 1] == c) {
        out += c;
        ++i;
        continue;
      }
      if (c != '{') {
        out += c;
        continue;
      }
      size_t close = p.find('}', i);
      if (close == std::string::npos) throw InternalError("unterminated placeholder in a display pattern");
      std::string key = p.substr(i + 1, close - i - 1);
      i = close;
      if (key == "*") {  // every operand, comma-separated (variadic ops such as pack)
        for (size_t k = 0; k < n->inputs.size(); ++k) out += (k ? ", " : "") + operand_text(n, k, prec, true);
        continue;
      }
      if (key.empty() || !std::isdigit(static_cast<unsigned char>(key[0]))) {
        out += attribute(n, key);
        continue;
      }
      size_t idx = static_cast<size_t>(std::stoi(key));
      char before = out.empty() ? ' ' : out.back();
      char after = i + 1 < p.size() ? p[i + 1] : ' ';
      out += operand_text(n, idx, prec, opens_group(before) && closes_group(after));
    }
    return {out, prec};
  }

  std::string operand_text(const Node* n, size_t idx, int prec, bool delimited) const {
    const Node* in = n->inputs.at(idx);
    Piece x = operand(in);
    if (delimited) return x.text;
    bool right_infix = idx == 1 && prec <= kMul;
    bool named = visible_name(in).has_value();
    bool same_assoc = in->op == n->op && associative(n->op);
    // `a ⊙ b @ c` parses left to right but misleads a reader: a matrix product mixed with
    // elementwise ops at the same level is always parenthesised.
    bool mixes_matmul = !named && x.prec == prec && in->op != n->op && (in->op == Op::MatMul || n->op == Op::MatMul);
    // Exponents do not stack: (a²)³ and (aᵀ)² keep their parentheses (a^2^3 reads as a^8, and
    // is a LaTeX error).
    bool stacked_exponent = idx == 0 && !named && superscript(n->op) && superscript(in->op);
    // A divisor that is not an atom is bracketed, as ratio() does: x / (3n), not x / 3n.
    bool compound_divisor = n->op == Op::Div && idx == 1 && x.prec < kAtom;
    bool wrap = x.prec < prec || (right_infix && x.prec == prec && !same_assoc) || mixes_matmul || stacked_exponent ||
                compound_divisor;
    if (!wrap) return x.text;
    return f_ == Format::Latex ? "\\left(" + x.text + "\\right)" : "(" + x.text + ")";
  }

  const EquationSet& s_;
  int seq_;
  bool forward_;
  Format f_;
};

// ---------------------------------------------------------------- building

// Nodes the backward pass references by name (leaves, definitions, adjoint roots) end a walk.
struct Walk {
  const EquationSet& s;
  std::set<const Node*> roots;  // every adjoint node: named when its equation comes

  bool stop(const Node* n) const { return is_leaf(n) || s.names.count(n) || roots.count(n); }
};

// Number of references to each unnamed node from the backward equations, counting a node's
// own operands once however many equations share it (as it will be printed or computed once).
std::map<const Node*, int> count_uses(const Walk& w, const Program& p) {
  std::map<const Node*, int> uses;
  std::set<const Node*> expanded;
  std::vector<const Node*> stack;
  for (const Adjoint& a : p.adjoints)
    if (a.node && !w.s.names.count(a.node) && !is_leaf(a.node) && expanded.insert(a.node).second)
      stack.push_back(a.node);
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    for (const Node* in : n->inputs) {
      ++uses[in];
      if (!w.stop(in) && expanded.insert(in).second) stack.push_back(in);
    }
  }
  return uses;
}

// A transpose of a named value is a view; giving it a temporary would only add noise.
bool worth_a_temporary(const Walk& w, const Node* n) {
  return !(n->op == Op::Transpose && w.stop(n->inputs[0]));
}

class Builder {
 public:
  Builder(const Program& p, EquationSet& s) : p_(p), s_(s) {}

  void run() {
    s_.network = p_.name;
    s_.loss_name = p_.loss_name;
    for (const Leaf& l : p_.leaves) name_node(l.node, l.name, l.name, -1);
    for (const Leaf& l : p_.leaves) taken_.insert(l.name);
    for (const Definition& d : p_.definitions) taken_.insert(d.name);
    for (const std::string& dim : p_.dims) taken_.insert(dim);  // `dim t1`: 1/t1 would read as 1/n
    for (size_t i = 0; i < p_.definitions.size(); ++i) {
      const Definition& d = p_.definitions[i];
      if (d.node && !s_.names.count(d.node) && !is_leaf(d.node)) {
        Walk w{s_, {}};  // a C++ loop unrolls into a chain thousands deep: cut it into temporaries
        for (const Node* in : d.node->inputs) hoist(w, in, s_.forward, forward_walk_);
      }
      s_.forward.push_back(Equation{"F" + std::to_string(i + 1), d.name, d.name, d.node, seq_});
      name_node(d.node, d.name, d.name, seq_++);
    }
    backward();
  }

 private:
  void name_node(const Node* n, const std::string& name, const std::string& ident, int seq) {
    if (!n || s_.names.count(n)) return;
    s_.names[n] = name;
    s_.idents[n] = ident;
    s_.defined_at[n] = seq;
  }

  void backward() {
    Walk w{s_, {}};
    for (const Adjoint& a : p_.adjoints)
      if (a.node) w.roots.insert(a.node);
    uses_ = count_uses(w, p_);
    const std::string& J = p_.loss_name;
    for (size_t i = 0; i < p_.adjoints.size(); ++i) {
      const Adjoint& a = p_.adjoints[i];
      if (a.node && !s_.names.count(a.node) && !is_leaf(a.node))
        for (const Node* in : a.node->inputs) hoist(w, in, s_.backward, backward_walk_);
      s_.backward.push_back(Equation{"B" + std::to_string(i + 1), "d" + J + "/d" + a.of, "d" + J + "_d" + a.of,
                                     a.node, seq_});
      name_node(a.node, s_.backward.back().name, s_.backward.back().ident, seq_++);
    }
  }

  // What a hoisting walk has seen: each node once, and the levels it prints as.
  struct Hoisting {
    bool share;  // shared subexpressions get temporaries (backward equations)
    std::set<const Node*> visited;
    std::map<const Node*, int> height;
  };

  // Gives shared unnamed subexpressions of an operand temporaries (backward equations only),
  // innermost first, and cuts an unshared one that would print more than kMaxNesting levels
  // deep (a chain unrolled from a C++ loop is thousands deep: one line of it would be
  // unreadable, and the printer recurses once per level); the temporaries go to `into`.
  // Post-order with an explicit stack, as such chains would overflow ours too.
  void hoist(const Walk& w, const Node* root, std::vector<Equation>& into, Hoisting& h) {
    constexpr int kMaxNesting = 24;
    std::vector<std::pair<const Node*, size_t>> stack;  // node, inputs visited so far
    if (!w.stop(root) && h.visited.insert(root).second) stack.emplace_back(root, 0);
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      if (next < n->inputs.size()) {
        const Node* in = n->inputs[next++];
        if (!w.stop(in) && h.visited.insert(in).second) stack.emplace_back(in, 0);
        continue;
      }
      const Node* done = n;
      stack.pop_back();
      int height = 1;
      for (const Node* in : done->inputs)
        if (!w.stop(in)) height = std::max(height, 1 + h.height[in]);
      h.height[done] = height;
      const bool shared = h.share && uses_[done] >= 2 && worth_a_temporary(w, done);
      if (!shared && height <= kMaxNesting) continue;
      std::string t = fresh();
      into.push_back(Equation{"", t, t, done, seq_});
      name_node(done, t, t, seq_++);
    }
  }

  std::string fresh() {
    for (;;) {
      std::string t = "t" + std::to_string(++temps_);
      if (taken_.insert(t).second) return t;
    }
  }

  const Program& p_;
  EquationSet& s_;
  int seq_ = 0;
  int temps_ = 0;
  std::set<std::string> taken_;
  std::map<const Node*, int> uses_;
  Hoisting forward_walk_{false, {}, {}};
  Hoisting backward_walk_{true, {}, {}};
};

bool is_forward(const Equation& eq) { return eq.label.rfind('F', 0) == 0; }

}  // namespace

std::string number_text(double v) {
  if (std::isnan(v)) return "nan";  // a NaN's sign bit means nothing: not "-nan"
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string latex_number(double v) {
  if (std::isnan(v)) return "\\mathrm{NaN}";
  if (std::isinf(v)) return v > 0 ? "\\infty" : "-\\infty";
  std::string t = number_text(v);
  size_t e = t.find('e');
  if (e == std::string::npos) return t;
  std::string exponent = t.substr(e + 1);
  const bool minus = exponent[0] == '-';
  exponent = exponent.substr(exponent[0] == '-' || exponent[0] == '+' ? 1 : 0);
  exponent = exponent.substr(std::min(exponent.find_first_not_of('0'), exponent.size() - 1));
  const std::string mantissa = t.substr(0, e), power = "10^{" + std::string(minus ? "-" : "") + exponent + "}";
  if (mantissa == "1" || mantissa == "-1") return mantissa.substr(0, mantissa.size() - 1) + power;
  return mantissa + " \\cdot " + power;
}

std::string latex_name(const std::string& name, const std::set<std::string>* spelled_out) {
  size_t slash = name.find('/');
  if (slash != std::string::npos && name.size() > slash + 2 && name[0] == 'd')
    return "\\frac{\\partial " + latex_name(name.substr(1, slash - 1), spelled_out) + "}{\\partial " +
           latex_name(name.substr(slash + 2), spelled_out) + "}";
  if (spelled_out && spelled_out->count(name)) return "\\mathrm{" + replace_all(name, "_", "\\_") + "}";
  auto word = [](const std::string& w) {
    std::string esc = replace_all(w, "_", "\\_");
    return w.size() > 1 ? "\\mathrm{" + esc + "}" : esc;
  };
  auto sub = [](const std::string& b) {
    const bool plain = b.size() == 1 && std::isalnum(static_cast<unsigned char>(b[0]));  // x_1, not x__
    return plain ? "_" + b : "_{" + replace_all(b, "_", "\\_") + "}";
  };
  size_t us = name.find('_');
  if (us != std::string::npos && us > 0 && us + 1 < name.size()) return word(name.substr(0, us)) + sub(name.substr(us + 1));
  size_t digits = name.find_last_not_of("0123456789");
  if (digits != std::string::npos && digits + 1 < name.size())
    return word(name.substr(0, digits + 1)) + sub(name.substr(digits + 1));
  return word(name);
}

namespace {

// Names whose usual LaTeX form another name also has (z_2 and z2, W_12 and W12): each group
// keeps the form for its name without an underscore, or for its first name, and spells out
// the others.
std::set<std::string> latex_collisions(const Program& p, const EquationSet& s) {
  std::set<std::string> names(p.dims.begin(), p.dims.end());
  for (const Leaf& l : p.leaves) names.insert(l.name);
  for (const Definition& d : p.definitions) names.insert(d.name);
  for (const Equation& e : s.backward)
    if (e.label.empty()) names.insert(e.name);  // temporaries
  std::map<std::string, std::vector<std::string>> by_form;
  for (const std::string& n : names) by_form[latex_name(n)].push_back(n);
  std::set<std::string> spelled_out;
  for (const auto& [form, group] : by_form) {
    if (group.size() < 2) continue;
    auto plain = std::find_if(group.begin(), group.end(), [](const std::string& n) { return n.find('_') == std::string::npos; });
    const std::string& kept = plain != group.end() ? *plain : group.front();
    for (const std::string& n : group)
      if (n != kept) spelled_out.insert(n);
  }
  return spelled_out;
}

}  // namespace

EquationSet build_equations(const Program& p) {
  EquationSet s;
  Builder(p, s).run();
  s.latex_spelled_out = latex_collisions(p, s);
  return s;
}

std::string EquationSet::name_of(const Node* n) const {
  auto it = names.find(n);
  return it == names.end() ? "" : it->second;
}

std::string EquationSet::expr(const Node* n, int seq, Format f) const {
  if (!n) return "0";
  return Printer(*this, seq, false, f).operand(n).text;
}

std::string EquationSet::rhs(const Equation& eq, Format f) const {
  if (!eq.node) return "0";
  Printer pr(*this, eq.seq, is_forward(eq), f);
  // An equation names its own node; an alias (`output yhat = z3`) shows the earlier name.
  auto at = defined_at.find(eq.node);
  bool own = at != defined_at.end() && at->second == eq.seq;
  return (own ? pr.expand(eq.node) : pr.operand(eq.node)).text;
}

std::string EquationSet::line(const Equation& eq, Format f) const {
  std::string body = rhs(eq, f);
  switch (f) {
    case Format::Text: return (eq.label.empty() ? "" : eq.label + ": ") + eq.name + " = " + body;
    case Format::Markdown:
      return "- " + (eq.label.empty() ? std::string("temporary") : "**" + eq.label + "**") + ": `" + eq.name +
             " = " + body + "`";
    case Format::Latex:
      return latex_name(eq.name, &latex_spelled_out) + " &= " + body + (eq.label.empty() ? "" : " \\tag*{" + eq.label + "}");
  }
  throw InternalError("unknown equation format");
}

namespace {

// The letter the backward legend uses for "any value" (dJ/dv = ∂J/∂v): v, unless the network
// has a value named v.
std::string legend_variable(const EquationSet& s) {
  std::set<std::string> taken;
  const std::string prefix = "d" + s.loss_name + "/d";
  for (const Equation& eq : s.forward) taken.insert(eq.name);
  for (const Equation& eq : s.backward)
    if (eq.name.rfind(prefix, 0) == 0) taken.insert(eq.name.substr(prefix.size()));
  for (const char* v : {"v", "u", "q", "r", "s", "p"})
    if (!taken.count(v)) return v;
  return "value";
}

std::string render_text(const EquationSet& s) {
  std::string out = "network " + s.network + "\n\nforward:\n";
  for (const Equation& eq : s.forward) out += (eq.label.empty() ? "      " : "  ") + s.line(eq, Format::Text) + "\n";
  const std::string v = legend_variable(s);
  out += "\nbackward (d" + s.loss_name + "/d" + v + " = ∂" + s.loss_name + "/∂" + v + "):\n";
  for (const Equation& eq : s.backward) out += (eq.label.empty() ? "      " : "  ") + s.line(eq, Format::Text) + "\n";
  return out;
}

std::string render_markdown(const EquationSet& s) {
  std::string out = "## Network `" + s.network + "`\n\n### Forward\n\n";
  for (const Equation& eq : s.forward) out += s.line(eq, Format::Markdown) + "\n";
  const std::string v = legend_variable(s);
  // Both in code spans: a name such as __J__ outside one would render in bold.
  out += "\n### Backward (`d" + s.loss_name + "/d" + v + "` = `∂" + s.loss_name + "/∂" + v + "`)\n\n";
  for (const Equation& eq : s.backward) out += s.line(eq, Format::Markdown) + "\n";
  return out;
}

std::string render_latex(const EquationSet& s) {
  std::string out = "% network " + s.network + ": forward and backward equations (needs amsmath)\n";
  out += "\\begin{align*}\n";
  auto rows = [&](const std::vector<Equation>& eqs, bool last_block) {
    for (size_t i = 0; i < eqs.size(); ++i) {
      bool last = last_block && i + 1 == eqs.size();
      out += "  " + s.line(eqs[i], Format::Latex) + (last ? "\n" : " \\\\\n");
    }
  };
  rows(s.forward, s.backward.empty());
  rows(s.backward, true);
  return out + "\\end{align*}\n";
}

}  // namespace

std::string render_equations(const EquationSet& s, Format f) {
  switch (f) {
    case Format::Text: return render_text(s);
    case Format::Markdown: return render_markdown(s);
    case Format::Latex: return render_latex(s);
  }
  throw InternalError("unknown equation format");
}

}  // namespace gg
