// Replacing symbolic dims by fixed sizes throughout the live graph.
#include "passes/bind_dims.h"

#include <algorithm>
#include <string>
#include <vector>

#include "passes/rewrite.h"
#include "support/error.h"

namespace gg {
namespace {

// The generated code's kMaxDim (templates/network.hpp.in): the largest size it accepts for a
// dim at run time, so the largest a dim may be bound to.
constexpr int64_t kMaxBoundDim = int64_t{1} << 24;
// The front end's limit on a declared tensor's element count (2^40): sizes in the generator
// and in the generated code stay far from int64 overflow.
constexpr int64_t kMaxElements = int64_t{1} << 40;

std::string flag(const std::string& name, int64_t size) { return "--bind " + name + "=" + std::to_string(size); }

void check(const Program& p, const DimBindings& b) {
  for (const auto& [name, size] : b) {
    if (std::find(p.dims.begin(), p.dims.end(), name) == p.dims.end())
      throw InputError(flag(name, size) + ": '" + name + "' is not a dim of network " + p.name);
    if (size <= 0) throw InputError(flag(name, size) + ": size must be positive");
    if (size > kMaxBoundDim)
      throw InputError(flag(name, size) + ": at most " + std::to_string(kMaxBoundDim) +
                       " (2^24, the largest dim the generated code accepts)");
  }
  for (const Leaf& l : p.leaves) {
    int64_t numel = 1;
    for (const Dim& d : bind(l.node->attrs.shape, b))
      if (!d.is_symbolic()) numel = numel > kMaxElements / d.size ? kMaxElements + 1 : numel * d.size;
    if (numel > kMaxElements)
      throw InputError("--bind: '" + l.name + "' " + shape_str(bind(l.node->attrs.shape, b)) +
                       " would have more than 2^40 elements");
  }
}

}  // namespace

size_t bind_dims(Program& p, const DimBindings& b) {
  check(p, b);
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
