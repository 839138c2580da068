// Liveness-based workspace reuse: a buffer is live from the group that writes it to the last
// group that reads it; a dead buffer's slot is handed to the next buffer of the same symbolic
// size class, and a group's final store may overwrite, in place, a buffer that this group
// reads for the last time at exactly the index it writes.
#include "emit/cpp_memory.h"

#include <algorithm>
#include <functional>
#include <set>

#include "emit/cpp_plan.h"
#include "ir/op_table.h"
#include "ir/walk.h"

namespace gg::cpp {

Size size_of(const Shape& s) {
  Size z;
  for (const Dim& d : s) {
    if (d.is_symbolic())
      z.syms.push_back(d.symbol);
    else
      z.fixed *= d.size;
  }
  return z;
}

namespace {

constexpr size_t kForever = static_cast<size_t>(-1);

// True when every read of `x` by group `g` is elementwise at the loop index of `g`'s shape,
// so the group's last store (which happens after all of an element's reads) may overwrite it.
bool read_at_same_index(const Plan& plan, const Group& g, const Node* x) {
  const Shape& shape = loop_tail(g)->shape;
  if (x->shape != shape) return false;
  // The walk's state: whether every op from the member down to here was elementwise.
  std::vector<std::pair<const Node*, bool>> roots;
  for (const Node* m : g.members) {
    bool elementwise = has_flag(m, kElementwise) && m->shape == shape;
    for (const Node* o : m->inputs) roots.emplace_back(o, elementwise);
  }
  bool ok = true;
  walk_inputs<bool>(roots, [&](const Node* n, bool straight) -> std::optional<bool> {
    if (n == x) {
      ok = ok && straight;
      return std::nullopt;
    }
    if (has_flag(n, kLeaf) || plan.materialised.count(n)) return std::nullopt;
    return straight && has_flag(n, kElementwise) && n->shape == shape;
  });
  return ok;
}

class Allocator {
 public:
  explicit Allocator(const Plan& plan) : plan_(plan) {}

  MemoryPlan run() {
    liveness();
    for (size_t gi = 0; gi < plan_.groups.size(); ++gi) {
      const Group& g = plan_.groups[gi];
      for (const Node* m : g.members)
        if (is_ws(m)) place(m, g, gi);
      release(gi);
    }
    return std::move(mem_);
  }

 private:
  bool is_ws(const Node* n) const { return plan_.stored.count(n) && !plan_.dest.count(n); }

  void liveness() {
    std::map<const Node*, size_t> group_of;
    for (size_t gi = 0; gi < plan_.groups.size(); ++gi)
      for (const Node* m : plan_.groups[gi].members) group_of[m] = gi;
    for (size_t gi = 0; gi < plan_.groups.size(); ++gi)
      for (const Node* m : plan_.groups[gi].members) {
        size_t last = gi;
        if (auto it = plan_.consumers.find(m); it != plan_.consumers.end())
          for (const Node* c : it->second) last = std::max(last, group_of.at(c));
        last_use_[m] = last;
      }
    for (const Finish& f : plan_.finishes)
      if (f.from) last_use_[f.from] = kForever;  // copied into a result after every group
  }

  // The group's last member may take over, in place, a buffer this group reads for the last time.
  const Node* in_place_candidate(const Node* m, const Group& g, size_t gi) const {
    if ((g.kind != Kind::Map && g.kind != Kind::MatMul) || m != loop_tail(g)) return nullptr;
    // A GEMM writes the whole product into the group's last buffer before the epilogue reads.
    if (g.gemm) return nullptr;
    std::vector<const Node*> reads;
    for (const Node* member : g.members)
      for (const Node* d : direct_deps(plan_, member))
        if (is_ws(d) && last_use_.at(d) == gi && mem_.placement.count(d) && !held_.count(d) &&
            std::find(reads.begin(), reads.end(), d) == reads.end())
          reads.push_back(d);
    for (const Node* d : reads)
      if (read_at_same_index(plan_, g, d)) return d;
    return nullptr;
  }

  void place(const Node* m, const Group& g, size_t gi) {
    Placement pl;
    if (const Node* x = in_place_candidate(m, g, gi)) {
      pl.slot = mem_.placement.at(x).slot;
      pl.replaces = x;
      pl.in_place = true;
      held_.insert(x);  // its slot now belongs to m
    } else {
      pl = reuse_or_new(size_of(m->shape));
    }
    Slot& s = mem_.slots[pl.slot];
    s.size.fixed = std::max(s.size.fixed, size_of(m->shape).fixed);
    s.occupants.push_back(m);
    mem_.placement[m] = pl;
    dying_at_[last_use_.at(m)].push_back(m);
  }

  // Best fit among free slots of the same symbolic class: the smallest that holds it, else the
  // largest; among equal sizes the lowest slot. Indexed by class and size (a scan of every free
  // slot per buffer made a 40,000-buffer function take 15 s).
  Placement reuse_or_new(const Size& need) {
    Placement pl;
    auto cls = free_.find(need.syms);
    if (cls != free_.end() && !cls->second.empty()) {
      std::set<std::pair<int64_t, size_t>>& sizes = cls->second;
      auto it = sizes.lower_bound({need.fixed, 0});
      if (it == sizes.end()) it = sizes.lower_bound({std::prev(sizes.end())->first, 0});
      pl.slot = it->second;
      pl.replaces = last_occupant_.at(pl.slot);
      sizes.erase(it);
      return pl;
    }
    mem_.slots.push_back(Slot{need, {}});
    pl.slot = mem_.slots.size() - 1;
    return pl;
  }

  // Buffers whose last reader is group gi free their slot (unless it was taken over in place).
  void release(size_t gi) {
    auto it = dying_at_.find(gi);
    if (it == dying_at_.end()) return;
    for (const Node* n : it->second) {
      if (held_.count(n)) continue;
      const size_t slot = mem_.placement.at(n).slot;
      const Size& size = mem_.slots[slot].size;
      free_[size.syms].insert({size.fixed, slot});
      last_occupant_[slot] = n;
    }
    dying_at_.erase(it);
  }

  const Plan& plan_;
  MemoryPlan mem_;
  std::map<const Node*, size_t> last_use_;
  std::map<size_t, std::vector<const Node*>> dying_at_;  // group -> buffers it reads last
  // Free slots by symbolic class, then (fixed size, slot); each one's last occupant.
  std::map<std::vector<std::string>, std::set<std::pair<int64_t, size_t>>> free_;
  std::map<size_t, const Node*> last_occupant_;
  std::set<const Node*> held_;  // overwritten in place: slot not freed
};

}  // namespace

MemoryPlan plan_memory(const Plan& plan) { return Allocator(plan).run(); }

}  // namespace gg::cpp
