// Workspace memory plan of one entry point: liveness over the fused groups, then slot
// assignment so that a buffer reuses the memory of one that is dead (or, when it is written
// at the same index it last reads, the memory of the buffer it overwrites in place).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/node.h"
#include "ir/program.h"

namespace gg::cpp {

struct Plan;

/// Scalars of a shape as (product of symbolic dim names, fixed factor): [n, 3] is {"n", 3}.
struct Size {
  std::vector<std::string> syms;
  int64_t fixed = 1;
};
Size size_of(const Shape& s);

/// Scalars in a 64-byte line of the workspace, where each buffer starts (16 floats, 8 doubles):
/// workspace_size() and --report round every buffer up to whole lines of this many.
inline int64_t line_scalars(Precision p) { return p == Precision::F64 ? 8 : 16; }

/// One contiguous region of the workspace; every buffer assigned to it fits its size.
struct Slot {
  Size size;                           // the largest occupant's size (same syms for all)
  std::vector<const Node*> occupants;  // in allocation order
};

/// How one workspace buffer got its memory.
struct Placement {
  size_t slot = 0;
  const Node* replaces = nullptr;  // the previous occupant, dead before (or as) this is written
  bool in_place = false;           // written elementwise over `replaces` in the group that last reads it
};

struct MemoryPlan {
  std::vector<Slot> slots;
  std::map<const Node*, Placement> placement;  // every plan.workspace node
};

/// Assigns every workspace buffer of `plan` to a slot. Deterministic (group order, then slot
/// index); run after fuse().
MemoryPlan plan_memory(const Plan& plan);

}  // namespace gg::cpp
