// THE op table. One row per op: shape rule, reference evaluation, local-gradient rule
// (IR built from other ops, with its calculus in a comment), display and emission text.
// Kink conventions follow PyTorch and are stated at their rules.
#include "ir/op_table.h"

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include "ir/eval_helpers.h"
#include "support/error.h"

namespace gg {
namespace {

// ---------------------------------------------------------------- shape rules

[[noreturn]] void shape_fail(const std::string& msg) { throw ShapeError(msg); }

Shape declared(const std::vector<const Node*>&, const Attrs& a) { return a.shape; }
Shape scalar(const std::vector<const Node*>&, const Attrs&) { return {}; }
Shape same(const std::vector<const Node*>& in, const Attrs&) { return in[0]->shape; }

Shape broadcasting(const std::vector<const Node*>& in, const Attrs&) {
  auto s = broadcast(in[0]->shape, in[1]->shape);
  if (!s)
    shape_fail("cannot broadcast shapes " + shape_str(in[0]->shape) + " and " + shape_str(in[1]->shape));
  return *s;
}

Shape matmul_shape(const std::vector<const Node*>& in, const Attrs&) {
  const Shape& a = in[0]->shape;
  const Shape& b = in[1]->shape;
  if (a.size() != 2 || b.size() != 2 || a[1] != b[0])
    shape_fail("matrix product needs [m, k] @ [k, p], got " + shape_str(a) + " @ " + shape_str(b));
  return {a[0], b[1]};
}

Shape transpose_shape(const std::vector<const Node*>& in, const Attrs&) {
  const Shape& a = in[0]->shape;
  if (a.size() != 2) shape_fail(".T needs a rank-2 tensor, got " + shape_str(a));
  return {a[1], a[0]};
}

void check_axis(const Shape& s, int axis, int rank_limit) {
  if (axis < 0 || axis >= rank_limit)
    shape_fail("axis " + std::to_string(axis) + " is out of range for shape " + shape_str(s));
}

Shape drop_axis(const std::vector<const Node*>& in, const Attrs& a) {
  Shape s = in[0]->shape;
  check_axis(s, a.axis, static_cast<int>(s.size()));
  s.erase(s.begin() + a.axis);
  return s;
}

Shape keep_axis(const std::vector<const Node*>& in, const Attrs& a) {
  check_axis(in[0]->shape, a.axis, static_cast<int>(in[0]->shape.size()));
  return in[0]->shape;
}

Shape unsqueeze_shape(const std::vector<const Node*>& in, const Attrs& a) {
  Shape s = in[0]->shape;
  check_axis(s, a.axis, static_cast<int>(s.size()) + 1);
  s.insert(s.begin() + a.axis, Dim::fixed(1));
  return s;
}

// attrs.shape must broadcast to the operand's shape (the operand is the bigger one).
Shape sum_to_shape(const std::vector<const Node*>& in, const Attrs& a) {
  auto s = broadcast(a.shape, in[0]->shape);
  if (!s || *s != in[0]->shape)
    shape_fail("cannot sum " + shape_str(in[0]->shape) + " down to " + shape_str(a.shape));
  return a.shape;
}

Shape broadcast_to_shape(const std::vector<const Node*>& in, const Attrs& a) {
  auto s = broadcast(in[0]->shape, a.shape);
  if (!s || *s != a.shape) shape_fail("cannot broadcast " + shape_str(in[0]->shape) + " to " + shape_str(a.shape));
  return a.shape;
}

Shape loss_shape(const std::vector<const Node*>& in, const Attrs&) {
  if (in[0]->shape != in[1]->shape)
    shape_fail("prediction and target shapes differ: " + shape_str(in[0]->shape) + " and " + shape_str(in[1]->shape));
  return {};
}

// ---------------------------------------------------------------- evaluations

void eval_none(const EvalArgs&) { throw InternalError("leaf values are fed, not evaluated"); }
void eval_const(const EvalArgs& a) { a.out.data[0] = a.node.attrs.value; }
void eval_count(const EvalArgs& a) {
  double n = 1;
  for (int64_t d : concrete(a.node.attrs.shape, a.dims)) n *= static_cast<double>(d);
  a.out.data[0] = n;
}

void eval_matmul(const EvalArgs& a) {
  const Tensor& x = *a.in[0];
  const Tensor& y = *a.in[1];
  int64_t m = x.shape[0], k = x.shape[1], p = y.shape[1];
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < p; ++j) {
      double s = 0;
      for (int64_t t = 0; t < k; ++t) s += x.data[i * k + t] * y.data[t * p + j];
      a.out.data[i * p + j] = s;
    }
}

void eval_transpose(const EvalArgs& a) {
  const Tensor& x = *a.in[0];
  int64_t m = x.shape[0], n = x.shape[1];
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) a.out.data[j * m + i] = x.data[i * n + j];
}

void eval_sum(const EvalArgs& a) {
  double s = 0;
  for (double v : a.in[0]->data) s += v;
  a.out.data[0] = s;
}

// Sum of operand elements into the (broadcast-compatible, smaller) output.
void eval_sum_to(const EvalArgs& a) {
  const Tensor& x = *a.in[0];
  auto strides = evalh::broadcast_strides(a.out.shape, x.shape);
  std::vector<int64_t> idx(x.shape.size(), 0);
  for (double& v : a.out.data) v = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t o = 0;
    for (size_t d = 0; d < idx.size(); ++d) o += idx[d] * strides[d];
    a.out.data[o] += x.data[i];
    for (size_t d = idx.size(); d-- > 0;) {
      if (++idx[d] < x.shape[d]) break;
      idx[d] = 0;
    }
  }
}

void eval_broadcast_to(const EvalArgs& a) {
  const Tensor& x = *a.in[0];
  auto strides = evalh::broadcast_strides(x.shape, a.out.shape);
  std::vector<int64_t> idx(a.out.shape.size(), 0);
  for (int64_t i = 0; i < a.out.numel(); ++i) {
    int64_t o = 0;
    for (size_t d = 0; d < idx.size(); ++d) o += idx[d] * strides[d];
    a.out.data[i] = x.data[o];
    for (size_t d = idx.size(); d-- > 0;) {
      if (++idx[d] < a.out.shape[d]) break;
      idx[d] = 0;
    }
  }
}

void eval_copy(const EvalArgs& a) { a.out.data = a.in[0]->data; }

void eval_mse(const EvalArgs& a) {
  double s = 0;
  for (int64_t i = 0; i < a.in[0]->numel(); ++i) {
    double d = a.in[0]->data[i] - a.in[1]->data[i];
    s += d * d;
  }
  a.out.data[0] = s / static_cast<double>(a.in[0]->numel());
}

// ---------------------------------------------------------------- gradient rules

// Leaves have no operands; the table still names a rule so that every row is complete.
void vjp_leaf(Vjp&) {}

// d/da (a + b) = 1, d/db (a + b) = 1: add gates distribute.
void vjp_add(Vjp& v) {
  v.to(0, v.g);
  v.to(1, v.g);
}
// d/da (a - b) = 1, d/db (a - b) = -1.
void vjp_sub(Vjp& v) {
  v.to(0, v.g);
  v.to(1, -v.g);
}
// d/da (a b) = b, d/db (a b) = a: multiply gates switch.
void vjp_mul(Vjp& v) {
  v.to(0, v.g * v.in(1));
  v.to(1, v.g * v.in(0));
}
// d/da (a / b) = 1/b, d/db (a / b) = -a/b² = -out/b.
void vjp_div(Vjp& v) {
  v.to(0, v.g / v.in(1));
  v.to(1, -(v.g * v.out / v.in(1)));
}
void vjp_neg(Vjp& v) { v.to(0, -v.g); }
// σ'(x) = σ(x)(1 − σ(x)), reusing the forward output.
void vjp_sigmoid(Vjp& v) { v.to(0, v.g * v.out * (1.0 - v.out)); }
// C = A B: dA = dC Bᵀ, dB = Aᵀ dC.
void vjp_matmul(Vjp& v) {
  v.to(0, matmul(v.g, T(v.in(1))));
  v.to(1, matmul(T(v.in(0)), v.g));
}
void vjp_transpose(Vjp& v) { v.to(0, T(v.g)); }
// d/dx_i Σx = 1: the scalar cotangent is broadcast back.
void vjp_sum(Vjp& v) { v.to(0, with_shape(Op::BroadcastTo, v.g, v.in(0)->shape)); }
// Summing over broadcast axes and broadcasting are adjoint to each other.
void vjp_sum_to(Vjp& v) { v.to(0, with_shape(Op::BroadcastTo, v.g, v.in(0)->shape)); }
void vjp_broadcast_to(Vjp& v) { v.to(0, with_shape(Op::SumTo, v.g, v.in(0)->shape)); }
// Inserting a size-1 axis is undone by summing over it.
void vjp_unsqueeze(Vjp& v) { v.to(0, with_axis(Op::SumAxis, v.g, v.node->attrs.axis)); }
// mse = Σ(p − y)²/N: d/dp = 2/N (p − y), d/dy = −2/N (p − y).
void vjp_mse(Vjp& v) {
  E local = (2.0 / count(v.graph, v.in(0)->shape)) * (v.in(0) - v.in(1));
  v.to(0, v.g * local);
  v.to(1, -(v.g * local));
}

// ---------------------------------------------------------------- the table

constexpr unsigned kEw = kElementwise;

std::vector<OpInfo> build_rows() {
  return {
      {Op::Input, "input", 0, kLeaf, declared, eval_none, vjp_leaf, {"{name}", "{name}", 5}, "{name}"},
      {Op::Param, "param", 0, kLeaf, declared, eval_none, vjp_leaf, {"{name}", "{name}", 5}, "{name}"},
      {Op::Const, "const", 0, kLeaf | kInternal, scalar, eval_const, vjp_leaf, {"{value}", "{value}", 5}, "{value}"},
      {Op::Count, "count", 0, kLeaf | kInternal, scalar, eval_count, vjp_leaf, {"{numel}", "{numel}", 5}, "{numel}"},
      {Op::Add, "add", 2, kEw | kCommutative | kLinear | kInternal, broadcasting,
       [](const EvalArgs& a) { evalh::binary(a, [](double x, double y) { return x + y; }); }, vjp_add,
       {"{0} + {1}", "{0} + {1}", 1}, "({0} + {1})"},
      {Op::Sub, "sub", 2, kEw | kLinear | kInternal, broadcasting,
       [](const EvalArgs& a) { evalh::binary(a, [](double x, double y) { return x - y; }); }, vjp_sub,
       {"{0} − {1}", "{0} - {1}", 1}, "({0} - {1})"},
      {Op::Mul, "mul", 2, kEw | kCommutative | kInternal, broadcasting,
       [](const EvalArgs& a) { evalh::binary(a, [](double x, double y) { return x * y; }); }, vjp_mul,
       {"{0} ⊙ {1}", "{0} \\odot {1}", 2}, "({0} * {1})"},
      {Op::Div, "div", 2, kEw | kInternal, broadcasting,
       [](const EvalArgs& a) { evalh::binary(a, [](double x, double y) { return x / y; }); }, vjp_div,
       {"{0} / {1}", "\\frac{{{0}}}{{{1}}}", 2}, "({0} / {1})"},
      {Op::Neg, "neg", 1, kEw | kLinear | kInternal, same,
       [](const EvalArgs& a) { evalh::unary(a, [](double x) { return -x; }); }, vjp_neg, {"−{0}", "-{0}", 3},
       "(-{0})"},
      {Op::Sigmoid, "sigmoid", 1, kEw, same, [](const EvalArgs& a) { evalh::unary(a, evalh::sigmoid); },
       vjp_sigmoid, {"sigmoid({0})", "\\sigma({0})", 5}, "gg::sigmoid({0})"},
      {Op::MatMul, "matmul", 2, kLinear | kInternal, matmul_shape, eval_matmul, vjp_matmul,
       {"{0} @ {1}", "{0} {1}", 2}, "gg::matmul"},
      {Op::Transpose, "transpose", 1, kLinear | kInternal, transpose_shape, eval_transpose, vjp_transpose,
       {"{0}ᵀ", "{0}^\\top", 4}, "gg::transpose"},
      {Op::Sum, "sum", 1, kReduction | kLinear, scalar, eval_sum, vjp_sum, {"sum({0})", "\\sum {0}", 5}, "gg::sum"},
      {Op::SumTo, "sum_to", 1, kReduction | kLinear | kInternal, sum_to_shape, eval_sum_to, vjp_sum_to,
       {"sum({0}, axis={axes})", "\\textstyle\\sum_{{{axes}}} {0}", 5}, "gg::sum_to"},
      {Op::BroadcastTo, "broadcast_to", 1, kLinear | kInternal, broadcast_to_shape, eval_broadcast_to,
       vjp_broadcast_to, {"broadcast({0}, {shape})", "{0} \\mathbf{{1}}_{{{shape}}}", 5}, "gg::broadcast_to"},
      {Op::Unsqueeze, "unsqueeze", 1, kLinear | kInternal, unsqueeze_shape, eval_copy, vjp_unsqueeze,
       {"unsqueeze({0}, axis={axis})", "{0}", 5}, "gg::unsqueeze"},
      {Op::Mse, "mse", 2, kLoss, loss_shape, eval_mse, vjp_mse, {"mse({0}, {1})", "\\operatorname{{mse}}({0}, {1})", 5},
       "gg::mse"},
  };
}

std::vector<OpInfo> index_rows() {
  std::vector<OpInfo> rows = build_rows();
  std::vector<OpInfo> by_op(rows.size());
  constexpr size_t kCount = 0
#define GG_OP(e, name, arity) +1
#include "ir/ops.def"
#undef GG_OP
      ;
  by_op.assign(kCount, OpInfo{});
  for (const OpInfo& r : rows) by_op[static_cast<size_t>(r.op)] = r;
  return by_op;
}

}  // namespace

const std::vector<OpInfo>& op_table() {
  static const std::vector<OpInfo> table = index_rows();
  return table;
}

const OpInfo& op_info(Op op) {
  const OpInfo& row = op_table()[static_cast<size_t>(op)];
  if (!row.name) throw InternalError("op " + std::to_string(static_cast<int>(op)) + " has no row in the op table");
  return row;
}

const OpInfo* find_callable(std::string_view name) {
  for (const OpInfo& r : op_table())
    if (r.name && name == r.name && !(r.flags & (kInternal | kLeaf))) return &r;
  return nullptr;
}

}  // namespace gg
