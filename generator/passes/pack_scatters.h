// Pass: sums of one-hot placements become one pack. Why: the gradient of an array read
// element by element (x[i] in C++ code) is a sum of scatter(g_k, at=i_k) over every read, each
// a full-size tensor — O(N²) work and code. Merging them gives one pack(e_0, ..., e_{N-1}) whose
// element i sums only the cotangents of the reads of x[i], in the original order (same values).
#pragma once

#include <cstddef>

#include "ir/program.h"

namespace gg {

/// Rewrites, bottom-up, add(a, b) where a and b are each a scatter or a pack of the same
/// static shape into one pack, index(pack(e...), i) into e_i and a
/// scatter into a one-element shape into a pack. Returns the rewrite count.
size_t pack_scatters(Program& p);

}  // namespace gg
