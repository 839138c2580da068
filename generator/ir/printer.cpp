// SSA-style IR listing; attributes shown are read from the op table's display text (no per-op code).
#include "ir/printer.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "ir/op_table.h"

namespace gg {
namespace {

std::string id(const Node* n) { return "%" + std::to_string(n->id); }

// Shortest text that reads back to the same double.
std::string number(double v) { return fmt::format("{}", v); }

bool mentions(const char* pattern, const char* field) { return pattern && std::strstr(pattern, field); }

// "[axis=1, value=0.2, shape=[3]]" for the attributes that matter to n's op; "" if none.
std::string attr_list(const Node& n) {
  const Display& d = op_info(n.op).display;
  std::vector<std::string> parts;
  if (mentions(d.text, "{axis}") || n.attrs.axis != 0) parts.push_back("axis=" + std::to_string(n.attrs.axis));
  if (mentions(d.text, "{value}") || n.attrs.value != 0) parts.push_back("value=" + number(n.attrs.value));
  bool shape_used = mentions(d.text, "{shape}") || mentions(d.text, "{axes}") || mentions(d.text, "{numel}");
  if (shape_used || !n.attrs.shape.empty()) parts.push_back("shape=" + shape_str(n.attrs.shape));
  if (!n.attrs.name.empty()) parts.push_back("name=" + n.attrs.name);
  if (parts.empty()) return "";
  std::string out = "[";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out + "]";
}

std::string adjoint_line(const Program& p, const Adjoint& a) {
  return "d" + p.loss_name + "/d" + a.of + " = " + (a.node ? id(a.node) : std::string("0")) + "\n";
}

const char* def_keyword(DefKind k) {
  switch (k) {
    case DefKind::Plain: return "";
    case DefKind::Output: return "output ";
    case DefKind::Loss: return "loss ";
  }
  return "";
}

}  // namespace

std::vector<const Node*> live_nodes(const Program& p) {
  std::vector<const Node*> stack = p.roots(), out;
  std::vector<char> seen(p.graph->size(), 0);
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (n->id >= seen.size() || seen[n->id]) continue;
    seen[n->id] = 1;
    out.push_back(n);
    for (const Node* in : n->inputs) stack.push_back(in);
  }
  std::sort(out.begin(), out.end(), [](const Node* a, const Node* b) { return a->id < b->id; });
  return out;
}

std::string print_node(const Node& n) {
  const OpInfo& info = op_info(n.op);
  // Leaves displayed as just their name or value read best bare: `param W1`, `const 0.5`.
  std::string text = info.display.text ? info.display.text : "";
  if (n.inputs.empty() && text == "{name}") return std::string(info.name) + " " + n.attrs.name;
  if (n.inputs.empty() && text == "{value}") return std::string(info.name) + " " + number(n.attrs.value);
  std::string out = info.name + attr_list(n);
  for (size_t i = 0; i < n.inputs.size(); ++i) out += (i ? ", " : " ") + id(n.inputs[i]);
  return out;
}

std::string print_ir(const Program& p) {
  std::string out = "; program " + p.name + "\n";
  for (const Node* n : live_nodes(p)) out += id(n) + " : " + shape_str(n->shape) + " = " + print_node(*n) + "\n";
  for (const Definition& d : p.definitions) out += std::string(def_keyword(d.kind)) + d.name + " = " + id(d.node) + "\n";
  // The loss once: its definition's line says it, unless no definition holds it.
  const bool loss_defined = std::any_of(p.definitions.begin(), p.definitions.end(), [&](const Definition& d) {
    return d.kind == DefKind::Loss && d.node == p.loss;
  });
  if (p.loss && !loss_defined) out += "; loss " + p.loss_name + " = " + id(p.loss) + "\n";
  for (const std::string& g : p.grad_inputs) out += "; grad " + g + "\n";
  for (const Adjoint& a : p.adjoints) out += adjoint_line(p, a);
  return out;
}

}  // namespace gg
