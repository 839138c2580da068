// IR verifier: structural and shape invariants of a Program.
#include "ir/verifier.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>
#include <string>
#include <vector>

#include "ir/op_table.h"
#include "support/error.h"

namespace gg {
namespace {

[[noreturn]] void fail(const std::string& msg) { throw InternalError("verifier: " + msg); }

std::string where(const Node* n) { return "%" + std::to_string(n->id) + " (" + op_info(n->op).name + ")"; }

void check_row(const Node* n) {
  const auto idx = static_cast<size_t>(n->op);
  if (idx >= op_table().size() || !op_table()[idx].name)
    fail("%" + std::to_string(n->id) + " has op " + std::to_string(idx) + ", which has no row in the op table");
}

void check_node(const Node* n) {
  check_row(n);
  const OpInfo& info = op_info(n->op);
  if (info.arity != kVariadic && static_cast<int>(n->inputs.size()) != info.arity)
    fail(where(n) + " has " + std::to_string(n->inputs.size()) + " operands, its op takes " +
         std::to_string(info.arity));
  for (const Node* in : n->inputs) {
    if (!in) fail(where(n) + " has a null operand");
    if (in->id >= n->id)
      fail(where(n) + " uses %" + std::to_string(in->id) + ", which is not older (cycle or foreign node)");
  }
  Shape s;
  try {
    s = info.shape(n->inputs, n->attrs);
  } catch (const ShapeError& e) {
    fail(where(n) + ": shape rule rejects its operands: " + e.what());
  }
  if (s != n->shape) fail(where(n) + " has shape " + shape_str(n->shape) + " but its shape rule gives " + shape_str(s));
}

// Live nodes found by identity rather than by id, so that nodes of a foreign graph show up.
std::vector<const Node*> reachable(const Program& p) {
  std::vector<const Node*> stack = p.roots(), out;
  std::unordered_set<const Node*> seen;
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!n || !seen.insert(n).second) continue;
    out.push_back(n);
    for (const Node* in : n->inputs) stack.push_back(in);
  }
  std::stable_sort(out.begin(), out.end(), [](const Node* a, const Node* b) { return a->id < b->id; });
  return out;
}

void check_nodes(const Program& p) {
  std::set<uint32_t> ids;
  for (const Node* n : reachable(p)) {
    if (!ids.insert(n->id).second) fail("two live nodes share id %" + std::to_string(n->id) + " (mixed graphs)");
    if (n->id >= p.graph->size())
      fail("%" + std::to_string(n->id) + " is beyond the graph's " + std::to_string(p.graph->size()) + " nodes");
    check_node(n);
  }
}

void check_leaves(const Program& p) {
  for (const Leaf& l : p.leaves) {
    if (!l.node) fail("leaf " + l.name + " has no node");
    Op want = l.kind == LeafKind::Param ? Op::Param : Op::Input;
    if (l.node->op != want || l.node->attrs.name != l.name)
      fail("leaf " + l.name + " is node " + where(l.node) + " named '" + l.node->attrs.name + "'");
  }
  for (const Definition& d : p.definitions)
    if (!d.node) fail("definition " + d.name + " has no node");
  for (const std::string& g : p.grad_inputs) {
    const Leaf* l = p.find_leaf(g);
    if (!l || l->kind == LeafKind::Param) fail("`grad " + g + "` does not name an input or target");
  }
}

void check_loss(const Program& p) {
  if (!p.loss) fail("the program has no loss");
  if (!p.loss->is_scalar()) fail("loss " + p.loss_name + " has shape " + shape_str(p.loss->shape) + ", not a scalar");
}

// The shape of each named value: leaves, then definitions (an index: one lookup per adjoint
// scanning them all was quadratic in a long network).
std::map<std::string, const Shape*> named_shapes(const Program& p) {
  std::map<std::string, const Shape*> out;
  for (const Leaf& l : p.leaves) out.emplace(l.name, &l.node->shape);
  for (const Definition& d : p.definitions) out.emplace(d.name, &d.node->shape);
  return out;
}

void check_adjoints(const Program& p) {
  std::set<std::string> seen;
  const std::map<std::string, const Shape*> shapes = named_shapes(p);
  for (const Adjoint& a : p.adjoints) {
    auto found = shapes.find(a.of);
    if (found == shapes.end()) fail("adjoint d" + p.loss_name + "/d" + a.of + " names no leaf or definition");
    const Shape* want = found->second;
    if (!seen.insert(a.of).second) fail("two adjoints for " + a.of);
    if (a.node && a.node->shape != *want)
      fail("d" + p.loss_name + "/d" + a.of + " has shape " + shape_str(a.node->shape) + " but " + a.of + " has " +
           shape_str(*want));
  }
  if (p.adjoints.empty()) return;
  for (const Leaf& l : p.leaves)
    if (l.kind == LeafKind::Param && !seen.count(l.name)) fail("param " + l.name + " has no adjoint");
  for (const std::string& g : p.grad_inputs)
    if (!seen.count(g)) fail("grad input " + g + " has no adjoint");
}

}  // namespace

void verify(const Program& p) {
  if (!p.graph) fail("the program has no graph");
  check_leaves(p);
  check_loss(p);
  check_nodes(p);
  check_adjoints(p);
}

}  // namespace gg
