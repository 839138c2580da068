// Graphviz DOT emitter for `gradgen graph`: the forward data-flow graph and, optionally, the
// backward equations with local gradients (from the op table's vjp rules) on the edges.
#include "emit/dot.h"

#include <climits>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "ir/op_table.h"
#include "ir/walk.h"
#include "support/error.h"

namespace gg {
namespace {

const char* const kInputFill = "#fff2a8";   // yellow boxes are variables, as in Figure 1
const char* const kParamFill = "#ffd98e";
const char* const kValueFill = "#fffbe0";
const char* const kLossFill = "#f9c0b8";
const char* const kOpFill = "#cfe2ff";      // blue shapes are operations
const char* const kGradFill = "#fde2e2";
const char* const kGradEdge = "#c0392b";

bool is_number(const Node* n) { return n->op == Op::Const || n->op == Op::Count; }

std::string shape_label(const Shape& s) { return s.empty() ? "scalar" : shape_str(s); }

class DotWriter {
 public:
  DotWriter(const Program& p, const EquationSet& eqs, const DotOptions& o)
      : p_(p), eqs_(eqs), opts_(o), forward_seq_(static_cast<int>(eqs.forward.size())) {}

  std::string run() {
    out_ = "digraph " + dot_quote(p_.name) + " {\n";
    out_ += "  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n";
    out_ += "  edge [fontname=\"Helvetica\", fontsize=9];\n";
    if (opts_.backward) mark_active();
    leaves();
    for (size_t i = 0; i < p_.definitions.size(); ++i) definition(p_.definitions[i]);
    if (opts_.backward) backward();
    return out_ + "}\n";
  }

 private:
  // ------------------------------------------------------------ forward

  void leaves() {
    out_ += "  // inputs, targets and params\n";
    for (const Leaf& l : p_.leaves) {
      const char* fill = l.kind == LeafKind::Param ? kParamFill : kInputFill;
      const char* kind = l.kind == LeafKind::Param ? "param" : l.kind == LeafKind::Target ? "target" : "input";
      std::string id = "v_" + l.name;
      box_of_[l.node] = id;
      out_ += "  " + dot_quote(id) + " [shape=box, style=filled, fillcolor=\"" + fill +
              "\", label=" + dot_quote(l.name + "\n" + kind + " " + shape_label(l.node->shape)) + "];\n";
    }
  }

  void definition(const Definition& d) {
    out_ += "  // " + d.name + "\n";
    emit_ops(d.node);
    std::string id = "v_" + d.name;
    bool loss = d.kind == DefKind::Loss;
    const char* fill = loss ? kLossFill : kValueFill;
    std::string style = loss ? "filled,bold" : "filled";
    std::string kind = loss ? "loss " : d.kind == DefKind::Output ? "output " : "";
    out_ += "  " + dot_quote(id) + " [shape=box, style=\"" + style + "\", fillcolor=\"" + fill +
            "\"" + (loss ? ", peripheries=2" : "") + ", label=" +
            dot_quote(d.name + "\n" + kind + shape_label(d.node->shape)) + "];\n";
    // A definition that only renames another value (`output yhat = z3`) is a dashed edge.
    bool alias = box_of_.count(d.node) > 0;
    out_ += "  " + dot_quote(ref(d.node)) + " -> " + dot_quote(id) + (alias ? " [style=dashed]" : "") + ";\n";
    if (!alias) box_of_[d.node] = id;
  }

  // Post-order: every unnamed op and constant under `n` gets its ellipse before its users.
  void emit_ops(const Node* n) {
    if (box_of_.count(n) || !emitted_.insert(n).second) return;
    for (const Node* in : n->inputs) emit_ops(in);
    std::string id = "n" + std::to_string(n->id);
    if (is_number(n)) {
      out_ += "  " + dot_quote(id) + " [shape=plaintext, label=" + dot_quote(eqs_.expr(n, forward_seq_, Format::Text)) + "];\n";
      return;
    }
    out_ += "  " + dot_quote(id) + " [shape=ellipse, style=filled, fillcolor=\"" + kOpFill +
            "\", label=" + dot_quote(op_label(n)) + "];\n";
    for (size_t i = 0; i < n->inputs.size(); ++i) {
      const Node* in = n->inputs[i];
      std::string attrs;
      if (opts_.backward && active_.count(in)) attrs = " [label=" + dot_quote(local_gradient(n, i)) + "]";
      out_ += "  " + dot_quote(ref(in)) + " -> " + dot_quote(id) + attrs + ";\n";
    }
  }

  std::string ref(const Node* n) const {
    auto it = box_of_.find(n);
    return it != box_of_.end() ? it->second : "n" + std::to_string(n->id);
  }

  // The op's display with its operands as `·`: "+", "@", "sigmoid(·)", "sum(·, axis=0)".
  std::string op_label(const Node* n) {
    std::vector<const Node*> dots;
    for (const Node* in : n->inputs) {
      Attrs a;
      a.name = "·";
      a.shape = in->shape;
      dots.push_back(scratch_.make(Op::Input, {}, a));
    }
    std::string text = eqs_.expr(scratch_.make(n->op, dots, n->attrs), forward_seq_, Format::Text);
    const std::string dot = "· ";
    if (n->inputs.size() == 2 && text.rfind(dot, 0) == 0 && text.size() > 2 * dot.size() &&
        text.compare(text.size() - 3, 3, " ·") == 0) {
      std::string mid = text.substr(dot.size(), text.size() - dot.size() - 3);
      if (mid.find(' ') == std::string::npos) return mid;
    }
    return text;
  }

  // ------------------------------------------------------------ local gradients

  // Nodes on a path from a param or a `grad` input: only their edges carry gradients.
  void mark_active() {
    std::set<std::string> wanted(p_.grad_inputs.begin(), p_.grad_inputs.end());
    for (const Leaf& l : p_.leaves)
      if (l.kind == LeafKind::Param || wanted.count(l.name)) active_.insert(l.node);
    for (const Definition& d : p_.definitions) mark(d.node);
  }

  bool mark(const Node* n) {
    if (auto it = marked_.find(n); it != marked_.end()) return it->second;
    bool on = active_.count(n) > 0;
    for (const Node* in : n->inputs) on = mark(in) || on;
    if (on) active_.insert(n);
    marked_[n] = on;
    return on;
  }

  // "∂z3/∂W2 = a2ᵀ": the op's vjp rule applied to a placeholder cotangent ḡ, with ḡ factored
  // out where the rule is a product with it (the local Jacobian); otherwise the map ḡ ↦ ....
  std::string local_gradient(const Node* n, size_t i) {
    Attrs ga;
    ga.name = "ḡ";
    ga.shape = n->shape;
    const Node* g = scratch_.make(Op::Input, {}, ga);
    Vjp v{scratch_, n, E{&scratch_, g}, E{&scratch_, n}, std::vector<const Node*>(n->inputs.size(), nullptr)};
    op_info(n->op).vjp(v);
    const Node* c = v.contributions[i];
    std::string what = "∂" + short_name(n) + "/∂" + short_name(n->inputs[i]) + " = ";
    if (!c) return what + "0";
    try {
      if (auto local = strip(c, g)) return what + (*local ? eqs_.expr(*local, forward_seq_, Format::Text) : "1");
    } catch (const ShapeError&) {
      // The factored form does not type-check for this op: fall back to the map.
    }
    return "ḡ ↦ " + eqs_.expr(c, forward_seq_, Format::Text);
  }

  std::string short_name(const Node* n) const {
    std::string s = eqs_.expr(n, forward_seq_, Format::Text);
    // A negation reads as part of ∂ (∂−z) unless grouped: (−z).
    bool simple = s.find(' ') == std::string::npos && s.rfind("−", 0) != 0;
    return simple ? s : "(" + s + ")";
  }

  // Whether `e` reads the placeholder `g`. Only the scratch nodes made after `g` can: the walk
  // does not go down into the network's own values (a long chain of them, shared many times).
  bool uses(const Node* e, const Node* g) const {
    bool found = false;
    walk_inputs({e}, [&](const Node* n) {
      found = found || n == g;
      return !found && scratch_.owns(n) && n->id > g->id;
    });
    return found;
  }

  // `e` with the cotangent factor `g` removed: nullopt if `e` is not a product with `g`,
  // a null node for exactly `g` (the local gradient 1).
  std::optional<const Node*> strip(const Node* e, const Node* g) {
    if (e == g) return static_cast<const Node*>(nullptr);
    auto one = [&](const Node* x) { return x ? x : scratch_.constant(1.0); };
    const auto& in = e->inputs;
    bool a = !in.empty() && uses(in[0], g);
    bool b = in.size() > 1 && uses(in[1], g);
    if (e->op == Op::Mul && a != b) {
      auto s = strip(in[a ? 0 : 1], g);
      const Node* other = in[a ? 1 : 0];
      if (!s) return std::nullopt;
      return *s ? scratch_.make(Op::Mul, {*s, other}) : other;
    }
    if (e->op == Op::Neg && a) {
      auto s = strip(in[0], g);
      if (!s) return std::nullopt;
      return scratch_.make(Op::Neg, {one(*s)});
    }
    if (e->op == Op::Div && a && !b) {
      auto s = strip(in[0], g);
      if (!s) return std::nullopt;
      return scratch_.make(Op::Div, {one(*s), in[1]});
    }
    if (e->op == Op::MatMul && a != b) {
      auto s = strip(in[a ? 0 : 1], g);
      if (!s || *s) return std::nullopt;
      return in[a ? 1 : 0];  // C = A B: ḡ Bᵀ gives Bᵀ, Aᵀ ḡ gives Aᵀ
    }
    // Summing over broadcast axes, broadcasting and unsqueezing only move ḡ around.
    if ((e->op == Op::SumTo || e->op == Op::BroadcastTo || e->op == Op::Unsqueeze) && a) return strip(in[0], g);
    return std::nullopt;
  }

  // ------------------------------------------------------------ backward

  void backward() {
    out_ += "  subgraph cluster_backward {\n    label=\"backward\";\n    style=dashed;\n    color=\"" +
            std::string(kGradEdge) + "\";\n";
    for (const Equation& eq : eqs_.backward)
      out_ += "    " + dot_quote("b_" + eq.ident) + " [shape=box, style=\"filled,rounded\", fillcolor=\"" + kGradFill +
              "\", label=" + dot_quote(eqs_.line(eq, Format::Text)) + "];\n";
    out_ += "  }\n";
    // Only gradient-to-gradient edges: the forward values an equation reads are in its label,
    // and drawing those edges too buries the graph in crossings.
    // Temporaries carry the gradient only if they are built from one: t1 = broadcast(1, ...)
    // or a forward value the rules reuse (h ⊙ (1 − h ⊙ h)) start no chain rule.
    std::set<const Node*> carries_gradient;
    for (const Equation& eq : eqs_.backward) {
      std::string id = dot_quote("b_" + eq.ident);
      bool from_gradient = false;
      for (const Node* r : references(eq)) {
        if (eqs_.defined_at.at(r) < forward_seq_) continue;
        from_gradient = from_gradient || carries_gradient.count(r) > 0;
        out_ += "  " + dot_quote("b_" + eqs_.idents.at(r)) + " -> " + id + " [color=\"" + kGradEdge + "\"];\n";
      }
      const bool is_gradient = !eq.label.empty();  // B1..Bm; temporaries have no label
      if (eq.node && (is_gradient || from_gradient)) carries_gradient.insert(eq.node);
      // Gradients that use no other gradient start the chain rule at dJ/dJ = 1.
      if (eq.node && is_gradient && !from_gradient && p_.find_definition(p_.loss_name))
        out_ += "  " + dot_quote("v_" + p_.loss_name) + " -> " + id + " [color=\"" + kGradEdge +
                "\", label=" + dot_quote("∂" + p_.loss_name + "/∂" + p_.loss_name + " = 1") + "];\n";
    }
  }

  // Named values an equation's right-hand side refers to, in order of first appearance.
  std::vector<const Node*> references(const Equation& eq) const {
    std::vector<const Node*> out;
    std::set<const Node*> seen;
    if (eq.node) collect(eq.node, eq.seq, true, out, seen);
    return out;
  }

  void collect(const Node* n, int seq, bool top, std::vector<const Node*>& out, std::set<const Node*>& seen) const {
    auto at = eqs_.defined_at.find(n);
    bool named = at != eqs_.defined_at.end() && n->op != Op::Const;
    if (named && (!top || at->second != seq) && at->second < seq) {
      if (seen.insert(n).second) out.push_back(n);
      return;
    }
    if (!seen.insert(n).second) return;
    for (const Node* in : n->inputs) collect(in, seq, false, out, seen);
  }

  const Program& p_;
  const EquationSet& eqs_;
  DotOptions opts_;
  int forward_seq_;  // seq just past the forward equations: forward names visible, backward not
  Graph scratch_;    // placeholders and vjp results for labels; never part of the program
  std::string out_;
  std::map<const Node*, std::string> box_of_;  // lookup only
  std::set<const Node*> emitted_;
  std::set<const Node*> active_;
  std::map<const Node*, bool> marked_;
};

}  // namespace

namespace {

// Graphviz refuses a quoted string of 16 KiB or more ("longer than 16384?"); names have no
// length limit. A longer text keeps its start and ends with a hash of the whole, so that node
// ids stay distinct.
std::string fit_for_graphviz(const std::string& s) {
  constexpr size_t kMax = 4096, kKept = 1024;
  if (s.size() <= kMax) return s;
  size_t cut = kKept;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return s.substr(0, cut) + "… (" + std::to_string(s.size()) + " bytes, #" + hex + ")";
}

}  // namespace

std::string dot_quote(const std::string& text) {
  const std::string s = fit_for_graphviz(text);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string emit_dot(const Program& p, const EquationSet& eqs, const DotOptions& opts) {
  return DotWriter(p, eqs, opts).run();
}

}  // namespace gg
