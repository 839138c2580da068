// Structural hashing over the live graph, in id order.
#include "passes/cse.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "ir/op_table.h"
#include "passes/rewrite.h"

namespace gg {
namespace {

// Everything that determines a node's value. Ordered by ids and bits, never by pointer.
using Key = std::tuple<Op, std::vector<uint32_t>, std::string, uint64_t, int, Shape>;

Key key_of(const Node* old, const std::vector<const Node*>& ins) {
  std::vector<uint32_t> ids;
  for (const Node* in : ins) ids.push_back(in->id);
  if (op_info(old->op).flags & kCommutative) std::sort(ids.begin(), ids.end());
  const Attrs& a = old->attrs;
  return {old->op, std::move(ids), a.name, std::bit_cast<uint64_t>(a.value), a.axis, a.shape};
}

}  // namespace

size_t cse(Program& p) {
  Graph& g = *p.graph;
  std::map<Key, const Node*> seen;
  return rewrite(
      p,
      [&](const Node* old, const std::vector<const Node*>& ins) -> Rewritten {
        auto [it, fresh] = seen.try_emplace(key_of(old, ins), nullptr);
        if (!fresh) return {it->second, true};
        it->second = rebuild(g, old, ins);
        return {it->second, false};
      },
      "cse");
}

}  // namespace gg
