// Program lookups.
#include "ir/program.h"

namespace gg {

double Optimizer::arg(const std::string& key) const {
  for (const auto& [k, v] : args)
    if (k == key) return v;
  return 0.0;
}

const Leaf* Program::find_leaf(const std::string& n) const {
  for (const Leaf& l : leaves)
    if (l.name == n) return &l;
  return nullptr;
}

const Definition* Program::find_definition(const std::string& n) const {
  for (const Definition& d : definitions)
    if (d.name == n) return &d;
  return nullptr;
}

const Node* Program::adjoint_of(const std::string& n) const {
  for (const Adjoint& a : adjoints)
    if (a.of == n) return a.node;
  return nullptr;
}

std::vector<const Node*> Program::roots() const {
  std::vector<const Node*> r;
  for (const Leaf& l : leaves) r.push_back(l.node);
  for (const Definition& d : definitions) r.push_back(d.node);
  if (loss) r.push_back(loss);
  for (const Adjoint& a : adjoints)
    if (a.node) r.push_back(a.node);
  return r;
}

}  // namespace gg
