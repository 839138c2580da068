// Memoized bottom-up graph rebuild shared by the rewriting passes.
#include "passes/rewrite.h"

#include <string>

#include "ir/printer.h"
#include "support/error.h"

namespace gg {

const Node* rebuild(Graph& g, const Node* old, const std::vector<const Node*>& ins) {
  if (ins == old->inputs) return old;
  return g.make(old->op, ins, old->attrs);
}

size_t rewrite(Program& p, const RewriteRule& rule, const char* pass_name, bool reshapes) {
  std::vector<const Node*> live = live_nodes(p);
  std::vector<const Node*> map(p.graph->size(), nullptr);
  size_t replaced = 0;
  for (const Node* n : live) {
    std::vector<const Node*> ins;
    ins.reserve(n->inputs.size());
    for (const Node* in : n->inputs) ins.push_back(map[in->id]);
    auto [r, changed] = rule(n, ins);
    if (r && changed) {
      if (!reshapes && r->shape != n->shape)
        throw InternalError(std::string(pass_name) + ": rewrite of %" + std::to_string(n->id) + " changed shape " +
                            shape_str(n->shape) + " to " + shape_str(r->shape));
      ++replaced;
    } else if (!r) {
      r = rebuild(*p.graph, n, ins);
    }
    map[n->id] = r;
  }
  remap(p, [&](const Node* n) { return n ? map[n->id] : n; });
  return replaced;
}

}  // namespace gg
