// Builders behind the E wrapper.
#include "ir/expr.h"

#include <vector>

namespace gg {

E call(Graph& g, Op op, std::initializer_list<const Node*> inputs, Attrs attrs) {
  return E{&g, g.make(op, std::vector<const Node*>(inputs), std::move(attrs))};
}

E with_value(Op op, E a, double value) {
  Attrs at;
  at.value = value;
  return call(a, op, std::move(at));
}

E with_axis(Op op, E a, int axis) {
  Attrs at;
  at.axis = axis;
  return call(a, op, std::move(at));
}

E with_shape(Op op, E a, const Shape& shape) {
  Attrs at;
  at.shape = shape;
  return call(a, op, std::move(at));
}

E count(Graph& g, const Shape& shape) {
  Attrs at;
  at.shape = shape;
  return E{&g, g.make(Op::Count, {}, std::move(at))};
}

}  // namespace gg
