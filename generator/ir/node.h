// Immutable IR nodes, owned by a Graph arena and built only through Graph::make,
// which runs the op's shape rule (so every node that exists is well-shaped).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "ir/shape.h"

namespace gg {

enum class Op : uint8_t {
#define GG_OP(e, name, arity) e,
#include "ir/ops.def"
#undef GG_OP
};

/// Per-op parameters; which fields matter is documented in ops.def.
struct Attrs {
  std::string name;  // Input, Param
  double value = 0;  // Const value, LeakyRelu/LeakyStep alpha, Pow exponent
  int axis = 0;      // SumAxis, MeanAxis, Unsqueeze, Softmax, LogSoftmax (normalised, >= 0)
  Shape shape;       // Input/Param declared shape, Count, SumTo, BroadcastTo target shape

  friend bool operator==(const Attrs& a, const Attrs& b) {
    return a.name == b.name && a.value == b.value && a.axis == b.axis && a.shape == b.shape;
  }
};

class Node {
 public:
  Op op;
  std::vector<const Node*> inputs;
  Attrs attrs;
  Shape shape;  // result shape, computed by the op's shape rule
  uint32_t id;  // creation index in its graph: deterministic, used for stable ordering

  int rank() const { return static_cast<int>(shape.size()); }
  bool is_scalar() const { return shape.empty(); }
  bool is_const(double v) const { return op == Op::Const && attrs.value == v; }
};

/// Arena of nodes. Nodes are never mutated or freed before the graph; passes build new ones.
class Graph {
 public:
  /// Checked factory: validates arity and runs the shape rule; throws ShapeError.
  const Node* make(Op op, std::vector<const Node*> inputs, Attrs attrs = {});
  const Node* constant(double v);
  size_t size() const { return nodes_.size(); }
  /// Whether `n` was made by this graph (and not by another one whose nodes it reads).
  bool owns(const Node* n) const { return n->id < nodes_.size() && nodes_[n->id].get() == n; }

 private:
  std::deque<std::unique_ptr<Node>> nodes_;
};

}  // namespace gg
