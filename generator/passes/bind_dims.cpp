// Replacing symbolic dims by fixed sizes throughout the live graph.
#include "passes/bind_dims.h"

#include <algorithm>
#include <string>
#include <vector>

#include "passes/rewrite.h"
#include "support/error.h"

namespace gg {
namespace {

std::string flag(const std::string& name, int64_t size) { return "--bind " + name + "=" + std::to_string(size); }

}  // namespace

void check_bindings(const Program& p, const DimBindings& b) {
  for (const auto& [name, size] : b) {
    if (std::find(p.dims.begin(), p.dims.end(), name) == p.dims.end())
      throw InputError(flag(name, size) + ": '" + name + "' is not a dim of network '" + p.name + "'");
    if (size <= 0) throw InputError(flag(name, size) + ": size must be positive");
    if (size > kMaxDim)
      throw InputError(flag(name, size) + ": at most " + std::to_string(kMaxDim) + " (2^" +
                       std::to_string(kMaxDimLog2) + ", the largest dim the generated code accepts)");
  }
  for (const Leaf& l : p.leaves) {
    const Shape bound = bind(l.node->attrs.shape, b);
    if (fixed_numel_capped(bound) > kMaxElements)
      throw InputError("--bind: '" + l.name + "' " + shape_str(bound) + " would have more than 2^40 elements");
  }
}

size_t bind_dims(Program& p, const DimBindings& b) {
  check_bindings(p, b);
  Graph& g = *p.graph;
  size_t n = rewrite(
      p,
      [&](const Node* old, const std::vector<const Node*>& ins) -> Rewritten {
        Shape bound = bind(old->attrs.shape, b);
        if (bound == old->attrs.shape) return {};
        Attrs at = old->attrs;
        at.shape = std::move(bound);
        return {g.make(old->op, ins, std::move(at)), true};
      },
      "bind_dims", /*reshapes=*/true);
  std::erase_if(p.dims, [&](const std::string& d) { return b.count(d) != 0; });
  return n;
}

}  // namespace gg
