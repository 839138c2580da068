// A thin value wrapper over graph nodes so gradient rules read like their math:
// `v.g * v.out * (1.0 - v.out)` builds mul(mul(g, out), sub(const 1, out)).
#pragma once

#include <initializer_list>

#include "ir/node.h"

namespace gg {

struct E {
  Graph* g;
  const Node* n;

  operator const Node*() const { return n; }
  const Node* operator->() const { return n; }
};

E call(Graph& g, Op op, std::initializer_list<const Node*> inputs, Attrs attrs = {});
inline E call(E a, Op op, Attrs attrs = {}) { return call(*a.g, op, {a.n}, std::move(attrs)); }
inline E call(E a, E b, Op op, Attrs attrs = {}) { return call(*a.g, op, {a.n, b.n}, std::move(attrs)); }

inline E lift(const E& like, double v) { return E{like.g, like.g->constant(v)}; }

inline E operator+(E a, E b) { return call(a, b, Op::Add); }
inline E operator-(E a, E b) { return call(a, b, Op::Sub); }
inline E operator*(E a, E b) { return call(a, b, Op::Mul); }
inline E operator/(E a, E b) { return call(a, b, Op::Div); }
inline E operator-(E a) { return call(a, Op::Neg); }
inline E operator+(E a, double b) { return a + lift(a, b); }
inline E operator-(E a, double b) { return a - lift(a, b); }
inline E operator*(E a, double b) { return a * lift(a, b); }
inline E operator/(E a, double b) { return a / lift(a, b); }
inline E operator+(double a, E b) { return lift(b, a) + b; }
inline E operator-(double a, E b) { return lift(b, a) - b; }
inline E operator*(double a, E b) { return lift(b, a) * b; }
inline E operator/(double a, E b) { return lift(b, a) / b; }

inline E matmul(E a, E b) { return call(a, b, Op::MatMul); }
inline E T(E a) { return call(a, Op::Transpose); }
inline E unary(Op op, E a) { return call(a, op); }
E with_value(Op op, E a, double value);      // LeakyRelu/LeakyStep alpha, Pow exponent
E with_axis(Op op, E a, int axis);           // SumAxis, MeanAxis, Unsqueeze, Softmax, LogSoftmax
E with_shape(Op op, E a, const Shape& shape);  // SumTo, BroadcastTo
E count(Graph& g, const Shape& shape);       // number of elements of `shape`, as a scalar

}  // namespace gg
