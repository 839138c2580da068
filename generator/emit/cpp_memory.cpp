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
    live_.push_back(m);
  }

  // Best fit among free slots of the same symbolic class: the smallest that holds it, else the largest.
  Placement reuse_or_new(const Size& need) {
    size_t best = kForever;
    for (size_t i = 0; i < free_.size(); ++i) {
      const Slot& s = mem_.slots[free_[i].first];
      if (s.size.syms != need.syms) continue;
      if (best == kForever) {
        best = i;
        continue;
      }
      const Slot& b = mem_.slots[free_[best].first];
      bool fits = s.size.fixed >= need.fixed, bfits = b.size.fixed >= need.fixed;
      if ((fits && (!bfits || s.size.fixed < b.size.fixed)) || (!fits && !bfits && s.size.fixed > b.size.fixed)) best = i;
    }
    Placement pl;
    if (best != kForever) {
      pl.slot = free_[best].first;
      pl.replaces = free_[best].second;
      free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(best));
      return pl;
    }
    mem_.slots.push_back(Slot{need, {}});
    pl.slot = mem_.slots.size() - 1;
    return pl;
  }

  // Buffers whose last reader is group gi free their slot (unless it was taken over in place).
  void release(size_t gi) {
    std::vector<const Node*> still;
    for (const Node* n : live_) {
      if (last_use_.at(n) != gi) {
        still.push_back(n);
        continue;
      }
      if (!held_.count(n)) free_.push_back({mem_.placement.at(n).slot, n});
    }
    live_ = std::move(still);
    std::sort(free_.begin(), free_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  }

  const Plan& plan_;
  MemoryPlan mem_;
  std::map<const Node*, size_t> last_use_;
  std::vector<const Node*> live_;
  std::vector<std::pair<size_t, const Node*>> free_;  // slot, its last occupant
  std::set<const Node*> held_;                        // overwritten in place: slot not freed
};

}  // namespace

MemoryPlan plan_memory(const Plan& plan) { return Allocator(plan).run(); }

}  // namespace gg::cpp
