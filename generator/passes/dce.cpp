// Dead-code elimination by copying the live nodes into a fresh arena.
#include "passes/dce.h"

#include <memory>
#include <vector>

#include "ir/printer.h"

namespace gg {

size_t dce(Program& p) {
  std::vector<const Node*> live = live_nodes(p);
  const size_t before = p.graph->size();
  auto fresh = std::make_unique<Graph>();
  std::vector<const Node*> map(before, nullptr);
  for (const Node* n : live) {
    std::vector<const Node*> ins;
    ins.reserve(n->inputs.size());
    for (const Node* in : n->inputs) ins.push_back(map[in->id]);
    map[n->id] = fresh->make(n->op, std::move(ins), n->attrs);
  }
  remap(p, [&](const Node* n) { return n ? map[n->id] : n; });
  p.graph = std::move(fresh);
  return before - live.size();
}

}  // namespace gg
