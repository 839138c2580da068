// THE op table. One row per op: shape rule, reference evaluation, local-gradient rule
// (IR built from other ops, with its calculus in a comment), display and emission text.
// Kink conventions follow PyTorch and are stated at their rules.
#include "ir/op_table.h"

#include <algorithm>
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

// A per-row vector against a matrix ([n, 3] and [n]): numpy aligns trailing axes, so it fails;
// the hint says how to line the vector up with the rows (there is no keepdims).
std::string per_row_hint(const Shape& a, const Shape& b) {
  const Shape& m = a.size() == 2 ? a : b;
  const Shape& v = a.size() == 2 ? b : a;
  if (m.size() != 2 || v.size() != 1 || v[0] != m[0] || v[0] == m[1]) return "";
  return " (numpy's rules align trailing axes: to apply a per-row value, transpose, as in (X.T - v).T)";
}

// Two matrices that do not broadcast but would multiply: `X * W` written for `X @ W`.
std::string matrix_product_hint(const Shape& a, const Shape& b) {
  if (a.size() != 2 || b.size() != 2 || a[1] != b[0]) return "";
  return " (for a matrix product write a @ b)";
}

Shape broadcasting(const std::vector<const Node*>& in, const Attrs&) {
  auto s = broadcast(in[0]->shape, in[1]->shape);
  if (!s)
    shape_fail("cannot broadcast shapes " + shape_str(in[0]->shape) + " and " + shape_str(in[1]->shape) +
               per_row_hint(in[0]->shape, in[1]->shape) + matrix_product_hint(in[0]->shape, in[1]->shape));
  return *s;
}

// A product written the other way round (`W @ X` for `X @ W`), or with a weight stored as
// PyTorch's Linear stores it ([out, in], used as X @ W.T).
std::string operand_order_hint(const Shape& a, const Shape& b) {
  if (a.size() != 2 || b.size() != 2) return "";
  if (b[1] == a[0]) return " (the operands the other way round, b @ a, would multiply)";
  if (a[1] == b[1]) return " (a @ b.T would multiply: is the second operand stored [p, k]?)";
  if (a[0] == b[0]) return " (a.T @ b would multiply)";
  return "";
}

Shape matmul_shape(const std::vector<const Node*>& in, const Attrs&) {
  const Shape& a = in[0]->shape;
  const Shape& b = in[1]->shape;
  if (a.size() != 2 || b.size() != 2 || a[1] != b[0])
    shape_fail("matrix product needs [m, k] @ [k, p], got " + shape_str(a) + " @ " + shape_str(b) +
               operand_order_hint(a, b));
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
  const Shape& z = in[0]->shape;
  const Shape& y = in[1]->shape;
  // Class indices, as PyTorch's CrossEntropyLoss also takes: .grad's targets are one-hot rows.
  const bool labels = z.size() == 2 && y.size() == 1 && y[0] == z[0] && z[1] != Dim::fixed(1);
  if (z != y)
    shape_fail("prediction and target shapes differ: " + shape_str(z) + " and " + shape_str(y) +
               (labels ? " (targets are one-hot or probability rows: declare the target " + shape_str(z) + ")" : ""));
  return {};
}

// Logits z[k] (one row) or z[n, k] and targets of the same shape.
Shape cross_entropy_shape(const std::vector<const Node*>& in, const Attrs& a) {
  loss_shape(in, a);
  if (in[0]->rank() < 1 || in[0]->rank() > 2)
    shape_fail("cross_entropy needs logits [k] or [n, k], got " + shape_str(in[0]->shape));
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
  // A row of the result at a time: every element is still summed over t in order (the same
  // bits as one sum per element), but the inner loop runs along rows of y, contiguous and
  // vectorised; going down y's columns, `check --interp` of a 512 × 512 product took 30 s.
  for (int64_t i = 0; i < m; ++i) {
    double* out = a.out.data.data() + i * p;
    std::fill(out, out + p, 0.0);
    for (int64_t t = 0; t < k; ++t) {
      const double xv = x.data[i * k + t];
      const double* yr = y.data.data() + t * p;
      for (int64_t j = 0; j < p; ++j) out[j] += xv * yr[j];
    }
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

void eval_mean(const EvalArgs& a) {
  eval_sum(a);
  a.out.data[0] /= static_cast<double>(a.in[0]->numel());
}

void eval_sum_axis(const EvalArgs& a) { evalh::reduce_axis(a, false); }
void eval_mean_axis(const EvalArgs& a) { evalh::reduce_axis(a, true); }
void eval_softmax(const EvalArgs& a) { evalh::softmax(a, false); }
void eval_log_softmax(const EvalArgs& a) { evalh::softmax(a, true); }

double sse_sum(const EvalArgs& a) {
  double s = 0;
  for (int64_t i = 0; i < a.in[0]->numel(); ++i) {
    double d = a.in[0]->data[i] - a.in[1]->data[i];
    s += d * d;
  }
  return s;
}
void eval_sse(const EvalArgs& a) { a.out.data[0] = sse_sum(a); }
void eval_mse(const EvalArgs& a) { a.out.data[0] = sse_sum(a) / static_cast<double>(a.in[0]->numel()); }

// Mean over rows of −Σ_k y·log_softmax(z), log_softmax = z − logsumexp(z) (stable).
void eval_cross_entropy(const EvalArgs& a) {
  const Tensor& z = *a.in[0];
  const Tensor& y = *a.in[1];
  evalh::AxisView v(z.shape, z.rank() - 1);
  double s = 0;
  for (int64_t o = 0; o < v.outer; ++o) {
    const evalh::LogSumExp lse = evalh::logsumexp_line(z, v, o, 0);
    for (int64_t k = 0; k < v.len; ++k) s -= y.data[v.at(o, k, 0)] * lse.minus_from(z.data[v.at(o, k, 0)]);
  }
  a.out.data[0] = s / static_cast<double>(v.outer);
}

// Like PyTorch's BCELoss, each log is clamped at −100 so p ∈ {0, 1} gives a finite loss.
void eval_bce(const EvalArgs& a) {
  double s = 0;
  for (int64_t i = 0; i < a.in[0]->numel(); ++i) {
    double p = a.in[0]->data[i], y = a.in[1]->data[i];
    double lp = std::max(std::log(p), -100.0), lq = std::max(std::log(1.0 - p), -100.0);
    s -= y * lp + (1.0 - y) * lq;
  }
  a.out.data[0] = s / static_cast<double>(a.in[0]->numel());
}

// bce(sigmoid(z), y) = max(z, 0) − z·y + log1p(exp(−|z|)) = softplus(z) − z·y, finite for any z.
void eval_bce_logits(const EvalArgs& a) {
  double s = 0;
  for (int64_t i = 0; i < a.in[0]->numel(); ++i) {
    double z = a.in[0]->data[i], y = a.in[1]->data[i];
    s += evalh::softplus(z) - z * y;
  }
  a.out.data[0] = s / static_cast<double>(a.in[0]->numel());
}

// Elementwise ops with an attribute (alpha, exponent).
void eval_leaky_relu(const EvalArgs& a) {
  double al = a.node.attrs.value;
  evalh::unary(a, [al](double x) { return x > 0 ? x : al * x; });
}
void eval_leaky_step(const EvalArgs& a) {
  double al = a.node.attrs.value;
  evalh::unary(a, [al](double x) { return x > 0 ? 1.0 : al; });
}
void eval_pow(const EvalArgs& a) {
  double p = a.node.attrs.value;
  evalh::unary(a, [p](double x) { return std::pow(x, p); });
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
// log1p'(x) = 1 / (1 + x); expm1'(x) = exp(x) = expm1(x) + 1, reusing the forward output.
void vjp_log1p(Vjp& v) { v.to(0, v.g / (1.0 + v.in(0))); }
void vjp_expm1(Vjp& v) { v.to(0, v.g * (v.out + 1.0)); }
// sinh' = cosh, cosh' = sinh; tan' = 1 + tan² (PyTorch's form), reusing the forward output.
void vjp_sinh(Vjp& v) { v.to(0, v.g * unary(Op::Cosh, v.in(0))); }
void vjp_cosh(Vjp& v) { v.to(0, v.g * unary(Op::Sinh, v.in(0))); }
void vjp_tan(Vjp& v) { v.to(0, v.g * (1.0 + v.out * v.out)); }
// (2^x)' = 2^x·ln 2; log2'(x) = 1/(x·ln 2); log10'(x) = 1/(x·ln 10).
void vjp_exp2(Vjp& v) { v.to(0, v.g * (v.out * std::log(2.0))); }
void vjp_log2(Vjp& v) { v.to(0, v.g / (v.in(0) * std::log(2.0))); }
void vjp_log10(Vjp& v) { v.to(0, v.g / (v.in(0) * std::log(10.0))); }
// d/dx x^y = y·x^(y−1), taken as 0 where y = 0 (x^0 is 1 everywhere; 0 · 0^−1 would be NaN
// at x = 0), as PyTorch does; d/dy x^y = x^y·log x, taken as 0 at x = 0 (x^y is 0 or 1 there
// for y ≥ 0, as PyTorch does; log 0 · 0 would be NaN). Negative x gives NaN for d/dy, as it must.
void vjp_power(Vjp& v) {
  E x = v.in(0), y = v.in(1);
  E constant_power = call(y, lift(y, 0.0), Op::Equal);
  E slope = call(v.graph, Op::Select, {constant_power.n, lift(x, 0.0).n, (y * call(x, y - 1.0, Op::Power)).n});
  v.to(0, v.g * slope);
  E at_zero = call(x, lift(x, 0.0), Op::Equal);
  v.to(1, v.g * call(v.graph, Op::Select, {at_zero.n, lift(x, 0.0).n, (v.out * unary(Op::Log, x)).n}));
}
// d/da (a / b) = 1/b, d/db (a / b) = -a/b² = -out/b.
void vjp_div(Vjp& v) {
  v.to(0, v.g / v.in(1));
  v.to(1, -(v.g * v.out / v.in(1)));
}
void vjp_neg(Vjp& v) { v.to(0, -v.g); }
// Rounding to float passes the gradient through, as a cast does in PyTorch (x.float()): the
// rounding is a staircase whose steps are below any step a derivative is taken over.
void vjp_to_float(Vjp& v) { v.to(0, v.g); }
// σ'(x) = σ(x)(1 − σ(x)), reusing the forward output.
void vjp_sigmoid(Vjp& v) { v.to(0, v.g * v.out * (1.0 - v.out)); }
// tanh'(x) = 1 − tanh²(x), reusing the forward output.
void vjp_tanh(Vjp& v) { v.to(0, v.g * (1.0 - v.out * v.out)); }
// relu'(x) = step(x) = [x > 0]; relu'(0) = 0 as in PyTorch. relu(x) > 0 ⇔ x > 0 (and both
// sides are 0 at x = 0), so step(relu(x)) is the same mask read from the forward output:
// the pre-activation need not be kept for the backward pass.
void vjp_relu(Vjp& v) { v.to(0, v.g * unary(Op::Step, v.out)); }
// leaky_relu'(x) = 1 for x > 0, alpha otherwise; leaky_relu'(0) = alpha as in PyTorch.
// For alpha >= 0, leaky_relu(x) > 0 ⇔ x > 0, so the mask is read from the output as for
// relu; for alpha < 0 negative x gives a positive output, so the input is needed.
void vjp_leaky_relu(Vjp& v) {
  double alpha = v.node->attrs.value;
  v.to(0, v.g * with_value(Op::LeakyStep, alpha >= 0.0 ? v.out : v.in(0), alpha));
}
// softplus(x) = log(1 + eˣ): softplus'(x) = eˣ/(1 + eˣ) = σ(x) (finite for any x).
void vjp_softplus(Vjp& v) { v.to(0, v.g * unary(Op::Sigmoid, v.in(0))); }
// (eˣ)' = eˣ, reusing the forward output.
void vjp_exp(Vjp& v) { v.to(0, v.g * v.out); }
// log'(x) = 1/x.
void vjp_log(Vjp& v) { v.to(0, v.g / v.in(0)); }
// sqrt'(x) = 1/(2 sqrt(x)), reusing the forward output.
void vjp_sqrt(Vjp& v) { v.to(0, v.g / (2.0 * v.out)); }
// (x²)' = 2x.
void vjp_square(Vjp& v) { v.to(0, v.g * (2.0 * v.in(0))); }
// |x|' = sign(x); abs'(0) = 0 as in PyTorch.
void vjp_abs(Vjp& v) { v.to(0, v.g * unary(Op::Sign, v.in(0))); }
// sin' = cos, cos' = −sin.
void vjp_sin(Vjp& v) { v.to(0, v.g * unary(Op::Cos, v.in(0))); }
void vjp_cos(Vjp& v) { v.to(0, -(v.g * unary(Op::Sin, v.in(0)))); }
// (xᵖ)' = p·xᵖ⁻¹; for p = 0 the function is constant (and 0·x⁻¹ would be NaN at x = 0).
void vjp_pow(Vjp& v) {
  double p = v.node->attrs.value;
  if (p == 0.0) return;
  v.to(0, p == 1.0 ? v.g : v.g * (p * with_value(Op::Pow, v.in(0), p - 1.0)));
}
// step, leaky_step and sign are piecewise constant: derivative 0 everywhere (the value at
// the jump is a convention, 0 as in PyTorch). No contribution = symbolic zero.
void vjp_piecewise_constant(Vjp&) {}
// C = A B: dA = dC Bᵀ, dB = Aᵀ dC.
void vjp_matmul(Vjp& v) {
  v.to(0, matmul(v.g, T(v.in(1))));
  v.to(1, matmul(T(v.in(0)), v.g));
}
void vjp_transpose(Vjp& v) { v.to(0, T(v.g)); }
// d/dx_i Σx = 1: the scalar cotangent is broadcast back.
void vjp_sum(Vjp& v) { v.to(0, with_shape(Op::BroadcastTo, v.g, v.in(0)->shape)); }
// mean = Σx/N: each element gets g/N (N = Count, so symbolic dims resolve at run time).
void vjp_mean(Vjp& v) {
  const Shape& s = v.in(0)->shape;
  v.to(0, with_shape(Op::BroadcastTo, v.g / count(v.graph, s), s));
}
// out = Σ_axis x: dx = g with the removed axis put back and broadcast along it.
void vjp_sum_axis(Vjp& v) {
  int ax = v.node->attrs.axis;
  v.to(0, with_shape(Op::BroadcastTo, with_axis(Op::Unsqueeze, v.g, ax), v.in(0)->shape));
}
// out = Σ_axis x / n_axis: as sum_axis, divided by the axis length (a one-dim Count).
void vjp_mean_axis(Vjp& v) {
  int ax = v.node->attrs.axis;
  const Shape& s = v.in(0)->shape;
  E n = count(v.graph, Shape{s[static_cast<size_t>(ax)]});
  v.to(0, with_shape(Op::BroadcastTo, with_axis(Op::Unsqueeze, v.g / n, ax), s));
}
// Summing over broadcast axes and broadcasting are adjoint to each other.
void vjp_sum_to(Vjp& v) { v.to(0, with_shape(Op::BroadcastTo, v.g, v.in(0)->shape)); }
void vjp_broadcast_to(Vjp& v) { v.to(0, with_shape(Op::SumTo, v.g, v.in(0)->shape)); }
// Inserting a size-1 axis is undone by summing over it.
void vjp_unsqueeze(Vjp& v) { v.to(0, with_axis(Op::SumAxis, v.g, v.node->attrs.axis)); }
// y = softmax(x): ∂y_i/∂x_j = y_i(δ_ij − y_j), so dx = y ⊙ (g − Σ_axis(g ⊙ y)) with the
// sum kept as a size-1 axis that broadcasts back along the row.
void vjp_softmax(Vjp& v) {
  int ax = v.node->attrs.axis;
  E dot = with_axis(Op::Unsqueeze, with_axis(Op::SumAxis, v.g * v.out, ax), ax);
  v.to(0, v.out * (v.g - dot));
}
// out = x − logsumexp(x): ∂out_i/∂x_j = δ_ij − softmax_j, so dx = g − exp(out) ⊙ Σ_axis g.
// exp(out) = softmax(x) ≤ 1, so this stays finite for any logits.
void vjp_log_softmax(Vjp& v) {
  int ax = v.node->attrs.axis;
  E gsum = with_axis(Op::Unsqueeze, with_axis(Op::SumAxis, v.g, ax), ax);
  v.to(0, v.g - unary(Op::Exp, v.out) * gsum);
}
// sse = Σ(p − y)²: d/dp = 2(p − y), d/dy = −2(p − y).
void vjp_sse(Vjp& v) {
  E local = 2.0 * (v.in(0) - v.in(1));
  v.to(0, v.g * local);
  v.to(1, -(v.g * local));
}
// mse = Σ(p − y)²/N: d/dp = 2/N (p − y), d/dy = −2/N (p − y).
void vjp_mse(Vjp& v) {
  E local = (2.0 / count(v.graph, v.in(0)->shape)) * (v.in(0) - v.in(1));
  v.to(0, v.g * local);
  v.to(1, -(v.g * local));
}

// ce = −(1/R) Σ_r Σ_k y_rk (z_rk − lse_r), R rows (1 for a rank-1 z), lse_r = log Σ_k e^{z_rk}:
// d/dz_rk = (softmax(z)_rk · Σ_j y_rj − y_rk)/R,  d/dy_rk = −log_softmax(z)_rk / R.
void vjp_cross_entropy(Vjp& v) {
  E z = v.in(0), y = v.in(1);
  int ax = z->rank() - 1;
  E gr = z->rank() == 2 ? v.g / count(v.graph, Shape{z->shape[0]}) : v.g;
  E rowsum = with_axis(Op::Unsqueeze, with_axis(Op::SumAxis, y, ax), ax);
  v.to(0, gr * (with_axis(Op::Softmax, z, ax) * rowsum - y));
  v.to(1, -gr * with_axis(Op::LogSoftmax, z, ax));
}
// max(a, b) as a select: its gradient goes to the operand chosen.
E max_of(E a, E b) { return call(*a.g, Op::Select, {call(a, b, Op::Less).n, b.n, a.n}); }

// bce = −(1/N) Σ [y log p + (1 − y) log(1 − p)]:
// d/dp = (p − y)/(p(1 − p))/N, d/dy = (log(1 − p) − log p)/N. As in PyTorch, the forward
// clamps each log at −100 and the backward divides by max(p(1 − p), 1e-12), so that p ∈ {0, 1}
// (a saturated sigmoid in f32) gives finite gradients: 0 where p = y, ±1e12/N otherwise.
void vjp_bce(Vjp& v) {
  E p = v.in(0), y = v.in(1);
  E gn = v.g / count(v.graph, p->shape);
  E variance = p * (1.0 - p);
  v.to(0, gn * ((p - y) / max_of(variance, lift(variance, 1e-12))));
  E floor = lift(p, -100.0);
  v.to(1, gn * (max_of(unary(Op::Log, 1.0 - p), floor) - max_of(unary(Op::Log, p), floor)));
}
// bce_logits = (1/N) Σ [softplus(z) − z y]: d/dz = (σ(z) − y)/N, d/dy = −z/N (finite for any z).
void vjp_bce_logits(Vjp& v) {
  E z = v.in(0), y = v.in(1);
  E gn = v.g / count(v.graph, z->shape);
  v.to(0, gn * (unary(Op::Sigmoid, z) - y));
  v.to(1, -(gn * z));
}

// ---------------------------------------------------------------- element access and selection

Shape index_shape(const std::vector<const Node*>& in, const Attrs& a) {
  auto n = static_numel(in[0]->shape);
  if (!n || a.axis < 0 || a.axis >= *n)
    shape_fail("element " + std::to_string(a.axis) + " is out of range for shape " + shape_str(in[0]->shape));
  return {};
}
Shape scatter_shape(const std::vector<const Node*>& in, const Attrs& a) {
  auto n = static_numel(a.shape);
  if (!in[0]->is_scalar() || !n || a.axis < 0 || a.axis >= *n)
    shape_fail("cannot place " + shape_str(in[0]->shape) + " at element " + std::to_string(a.axis) + " of " +
               shape_str(a.shape));
  return a.shape;
}
Shape select_shape(const std::vector<const Node*>& in, const Attrs&) {
  auto ab = broadcast(in[1]->shape, in[2]->shape);
  auto s = ab ? broadcast(in[0]->shape, *ab) : std::nullopt;
  if (!s)
    shape_fail("cannot broadcast select shapes " + shape_str(in[0]->shape) + ", " + shape_str(in[1]->shape) +
               " and " + shape_str(in[2]->shape));
  return *s;
}
// Pack: n scalars become the n elements of attrs.shape (a static shape).
Shape pack_shape(const std::vector<const Node*>& in, const Attrs& a) {
  auto n = static_numel(a.shape);
  if (!n || *n != static_cast<int64_t>(in.size()))
    shape_fail("cannot pack " + std::to_string(in.size()) + " scalars into " + shape_str(a.shape));
  for (const Node* x : in)
    if (!x->is_scalar()) shape_fail("pack takes scalars, got " + shape_str(x->shape));
  return a.shape;
}
void eval_pack(const EvalArgs& a) {
  for (size_t i = 0; i < a.in.size(); ++i) a.out.data[i] = a.in[i]->data[0];
}
void eval_index(const EvalArgs& a) { a.out.data[0] = a.in[0]->data[static_cast<size_t>(a.node.attrs.axis)]; }
void eval_scatter(const EvalArgs& a) {
  for (double& v : a.out.data) v = 0;
  a.out.data[static_cast<size_t>(a.node.attrs.axis)] = a.in[0]->data[0];
}
void eval_select(const EvalArgs& a) {
  const auto& os = a.out.shape;
  std::array<std::vector<int64_t>, 3> st;
  for (size_t k = 0; k < 3; ++k) st[k] = evalh::broadcast_strides(a.in[k]->shape, os);
  std::vector<int64_t> idx(os.size(), 0);
  for (int64_t i = 0; i < a.out.numel(); ++i) {
    std::array<int64_t, 3> o{0, 0, 0};
    for (size_t d = 0; d < os.size(); ++d)
      for (size_t k = 0; k < 3; ++k) o[k] += idx[d] * st[k][d];
    a.out.data[i] = a.in[0]->data[o[0]] != 0 ? a.in[1]->data[o[1]] : a.in[2]->data[o[2]];
    for (size_t d = os.size(); d-- > 0;) {
      if (++idx[d] < os[d]) break;
      idx[d] = 0;
    }
  }
}
// x[i] reads one element: dx = g placed at element i (zeros elsewhere).
void vjp_index(Vjp& v) {
  Attrs at;
  at.axis = v.node->attrs.axis;
  at.shape = v.in(0)->shape;
  v.to(0, call(v.graph, Op::Scatter, {v.g}, std::move(at)));
}
// scatter is linear; its adjoint reads the element back.
void vjp_scatter(Vjp& v) {
  Attrs at;
  at.axis = v.node->attrs.axis;
  v.to(0, call(v.graph, Op::Index, {v.g}, std::move(at)));
}
// pack is linear: element i's cotangent is the i-th element of g.
void vjp_pack(Vjp& v) {
  for (size_t i = 0; i < v.node->inputs.size(); ++i) {
    Attrs at;
    at.axis = static_cast<int>(i);
    v.to(static_cast<int>(i), call(v.graph, Op::Index, {v.g}, std::move(at)));
  }
}
// select(c, a, b): da = select(c, g, 0), db = select(c, 0, g); the condition is piecewise
// constant, so it gets none (at a tie the branch taken is the one differentiated).
void vjp_select(Vjp& v) {
  E zero = lift(v.g, 0.0);
  v.to(1, call(v.graph, Op::Select, {v.in(0), v.g, zero}));
  v.to(2, call(v.graph, Op::Select, {v.in(0), zero, v.g}));
}
// Comparisons are piecewise constant: zero gradient into both operands.
void vjp_none(Vjp&) {}

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
      {Op::Tanh, "tanh", 1, kEw, same, [](const EvalArgs& a) { evalh::unary(a, [](double x) { return std::tanh(x); }); },
       vjp_tanh, {"tanh({0})", "\\tanh({0})", 5}, "gg::tanh({0})"},
      {Op::Relu, "relu", 1, kEw, same, [](const EvalArgs& a) { evalh::unary(a, [](double x) { return x <= 0 ? 0.0 : x; }); },
       vjp_relu, {"relu({0})", "\\operatorname{{relu}}({0})", 5}, "gg::relu({0})"},
      {Op::LeakyRelu, "leaky_relu", 1, kEw, same, eval_leaky_relu, vjp_leaky_relu,
       {"leaky_relu({0}, {value})", "\\operatorname{{leaky\\_relu}}_{{{value}}}({0})", 5}, "gg::leaky_relu({0}, {value})"},
      {Op::Softplus, "softplus", 1, kEw, same, [](const EvalArgs& a) { evalh::unary(a, evalh::softplus); },
       vjp_softplus, {"softplus({0})", "\\operatorname{{softplus}}({0})", 5}, "gg::softplus({0})"},
      {Op::Exp, "exp", 1, kEw, same, [](const EvalArgs& a) { evalh::unary(a, [](double x) { return std::exp(x); }); },
       vjp_exp, {"exp({0})", "\\exp({0})", 5}, "gg::exp({0})"},
      {Op::Log, "log", 1, kEw, same, [](const EvalArgs& a) { evalh::unary(a, [](double x) { return std::log(x); }); },
       vjp_log, {"log({0})", "\\log({0})", 5}, "gg::log({0})"},
      {Op::Sqrt, "sqrt", 1, kEw, same, [](const EvalArgs& a) { evalh::unary(a, [](double x) { return std::sqrt(x); }); },
       vjp_sqrt, {"sqrt({0})", "\\sqrt{{{0}}}", 5}, "gg::sqrt({0})"},
      {Op::Square, "square", 1, kEw, same, [](const EvalArgs& a) { evalh::unary(a, [](double x) { return x * x; }); },
       vjp_square, {"{0}²", "{0}^2", 4}, "gg::square({0})"},
      {Op::Abs, "abs", 1, kEw, same, [](const EvalArgs& a) { evalh::unary(a, [](double x) { return std::fabs(x); }); },
       vjp_abs, {"|{0}|", "\\lvert {0} \\rvert", 5}, "gg::abs({0})"},
      {Op::Sin, "sin", 1, kEw, same, [](const EvalArgs& a) { evalh::unary(a, [](double x) { return std::sin(x); }); },
       vjp_sin, {"sin({0})", "\\sin({0})", 5}, "gg::sin({0})"},
      {Op::Cos, "cos", 1, kEw, same, [](const EvalArgs& a) { evalh::unary(a, [](double x) { return std::cos(x); }); },
       vjp_cos, {"cos({0})", "\\cos({0})", 5}, "gg::cos({0})"},
      {Op::Pow, "pow", 1, kEw, same, eval_pow, vjp_pow, {"{0}^{value}", "{0}^{{{value}}}", 4}, "gg::pow({0}, {value})"},
      {Op::Log1p, "log1p", 1, kEw | kInternal, same,
       [](const EvalArgs& a) { evalh::unary(a, [](double x) { return std::log1p(x); }); }, vjp_log1p,
       {"log1p({0})", "\\operatorname{{log1p}}({0})", 5}, "gg::log1p({0})"},
      {Op::Expm1, "expm1", 1, kEw | kInternal, same,
       [](const EvalArgs& a) { evalh::unary(a, [](double x) { return std::expm1(x); }); }, vjp_expm1,
       {"expm1({0})", "\\operatorname{{expm1}}({0})", 5}, "gg::expm1({0})"},
      {Op::Sinh, "sinh", 1, kEw | kInternal, same,
       [](const EvalArgs& a) { evalh::unary(a, [](double x) { return std::sinh(x); }); }, vjp_sinh,
       {"sinh({0})", "\\sinh({0})", 5}, "gg::sinh({0})"},
      {Op::Cosh, "cosh", 1, kEw | kInternal, same,
       [](const EvalArgs& a) { evalh::unary(a, [](double x) { return std::cosh(x); }); }, vjp_cosh,
       {"cosh({0})", "\\cosh({0})", 5}, "gg::cosh({0})"},
      {Op::Tan, "tan", 1, kEw | kInternal, same,
       [](const EvalArgs& a) { evalh::unary(a, [](double x) { return std::tan(x); }); }, vjp_tan,
       {"tan({0})", "\\tan({0})", 5}, "gg::tan({0})"},
      {Op::Exp2, "exp2", 1, kEw | kInternal, same,
       [](const EvalArgs& a) { evalh::unary(a, [](double x) { return std::exp2(x); }); }, vjp_exp2,
       {"exp2({0})", "2^{{{0}}}", 5}, "gg::exp2({0})"},
      {Op::Log2, "log2", 1, kEw | kInternal, same,
       [](const EvalArgs& a) { evalh::unary(a, [](double x) { return std::log2(x); }); }, vjp_log2,
       {"log2({0})", "\\log_2({0})", 5}, "gg::log2({0})"},
      {Op::Log10, "log10", 1, kEw | kInternal, same,
       [](const EvalArgs& a) { evalh::unary(a, [](double x) { return std::log10(x); }); }, vjp_log10,
       {"log10({0})", "\\log_{{10}}({0})", 5}, "gg::log10({0})"},
      {Op::Power, "power", 2, kEw | kInternal, broadcasting,
       [](const EvalArgs& a) { evalh::binary(a, [](double x, double y) { return std::pow(x, y); }); }, vjp_power,
       {"{0}^{1}", "{0}^{{{1}}}", 4}, "gg::pow({0}, {1})"},
      {Op::ToFloat, "to_float", 1, kEw | kInternal, same,
       [](const EvalArgs& a) { evalh::unary(a, [](double x) { return static_cast<double>(static_cast<float>(x)); }); },
       vjp_to_float, {"float({0})", "\\operatorname{{float}}({0})", 5}, "gg::to_float({0})"},
      {Op::Step, "step", 1, kEw | kInternal, same,
       [](const EvalArgs& a) { evalh::unary(a, [](double x) { return x <= 0 ? 0.0 : 1.0; }); }, vjp_piecewise_constant,
       {"step({0})", "\\mathbf{{1}}[{0} > 0]", 5}, "gg::step({0})"},
      {Op::LeakyStep, "leaky_step", 1, kEw | kInternal, same, eval_leaky_step, vjp_piecewise_constant,
       {"leaky_step({0}, {value})", "\\operatorname{{leaky\\_step}}_{{{value}}}({0})", 5}, "gg::leaky_step({0}, {value})"},
      {Op::Sign, "sign", 1, kEw | kInternal, same,
       [](const EvalArgs& a) { evalh::unary(a, [](double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }); },
       vjp_piecewise_constant, {"sign({0})", "\\operatorname{{sign}}({0})", 5}, "gg::sign({0})"},
      {Op::MatMul, "matmul", 2, kLinear | kInternal, matmul_shape, eval_matmul, vjp_matmul,
       {"{0} @ {1}", "{0} {1}", 2}, "gg::matmul"},
      {Op::Transpose, "transpose", 1, kLinear | kInternal, transpose_shape, eval_transpose, vjp_transpose,
       {"{0}ᵀ", "{0}^\\top", 4}, "gg::transpose"},
      {Op::Sum, "sum", 1, kReduction | kLinear, scalar, eval_sum, vjp_sum, {"sum({0})", "\\operatorname{{sum}}({0})", 5},
       "gg::sum"},
      {Op::Mean, "mean", 1, kReduction | kLinear, scalar, eval_mean, vjp_mean,
       {"mean({0})", "\\operatorname{{mean}}({0})", 5}, "gg::mean"},
      {Op::SumAxis, "sum_axis", 1, kReduction | kLinear | kInternal, drop_axis, eval_sum_axis, vjp_sum_axis,
       {"sum({0}, axis={axis})", "\\operatorname{{sum}}_{{{axis}}}({0})", 5}, "gg::sum_axis"},
      {Op::MeanAxis, "mean_axis", 1, kReduction | kLinear | kInternal, drop_axis, eval_mean_axis, vjp_mean_axis,
       {"mean({0}, axis={axis})", "\\operatorname{{mean}}_{{{axis}}}({0})", 5}, "gg::mean_axis"},
      {Op::SumTo, "sum_to", 1, kReduction | kLinear | kInternal, sum_to_shape, eval_sum_to, vjp_sum_to,
       {"sum({0}, axis={axes})", "\\operatorname{{sum}}_{{{axes}}}({0})", 5}, "gg::sum_to"},
      {Op::BroadcastTo, "broadcast_to", 1, kLinear | kInternal, broadcast_to_shape, eval_broadcast_to,
       vjp_broadcast_to, {"broadcast({0}, {shape})", "\\operatorname{{broadcast}}_{{{shape}}}({0})", 5}, "gg::broadcast_to"},
      {Op::Unsqueeze, "unsqueeze", 1, kLinear | kInternal, unsqueeze_shape, eval_copy, vjp_unsqueeze,
       {"unsqueeze({0}, axis={axis})", "\\operatorname{{unsqueeze}}_{{{axis}}}({0})", 5}, "gg::unsqueeze"},
      {Op::Softmax, "softmax", 1, 0, keep_axis, eval_softmax, vjp_softmax,
       {"softmax({0}, axis={axis})", "\\operatorname{{softmax}}_{{{axis}}}({0})", 5}, "gg::softmax"},
      {Op::LogSoftmax, "log_softmax", 1, 0, keep_axis, eval_log_softmax, vjp_log_softmax,
       {"log_softmax({0}, axis={axis})", "\\operatorname{{log\\_softmax}}_{{{axis}}}({0})", 5}, "gg::log_softmax"},
      {Op::Mse, "mse", 2, kLoss, loss_shape, eval_mse, vjp_mse, {"mse({0}, {1})", "\\operatorname{{mse}}({0}, {1})", 5},
       "gg::mse"},
      {Op::Sse, "sse", 2, kLoss, loss_shape, eval_sse, vjp_sse, {"sse({0}, {1})", "\\operatorname{{sse}}({0}, {1})", 5},
       "gg::sse"},
      {Op::CrossEntropy, "cross_entropy", 2, kLoss, cross_entropy_shape, eval_cross_entropy, vjp_cross_entropy,
       {"cross_entropy({0}, {1})", "\\operatorname{{CE}}({0}, {1})", 5}, "gg::cross_entropy"},
      {Op::Bce, "bce", 2, kLoss, loss_shape, eval_bce, vjp_bce, {"bce({0}, {1})", "\\operatorname{{BCE}}({0}, {1})", 5},
       "gg::bce"},
      {Op::BceLogits, "bce_logits", 2, kLoss, loss_shape, eval_bce_logits, vjp_bce_logits,
       {"bce_logits({0}, {1})", "\\operatorname{{BCE}}_{{\\sigma}}({0}, {1})", 5}, "gg::bce_logits"},
      {Op::Index, "index", 1, kInternal | kLinear, index_shape, eval_index, vjp_index, {"{0}[{axis}]", "{0}_{{{axis}}}", 4},
       "{0}[{axis}]"},
      {Op::Pack, "pack", kVariadic, kInternal | kLinear, pack_shape, eval_pack, vjp_pack,
       {"[{*}]", "\\left[{*}\\right]", 5}, "gg::pack"},
      {Op::Scatter, "scatter", 1, kInternal | kLinear, scatter_shape, eval_scatter, vjp_scatter,
       {"onehot({0}, at={axis}, {shape})", "{0} e_{{{axis}}}", 5}, "gg::scatter"},
      {Op::Select, "select", 3, kEw | kInternal, select_shape, eval_select, vjp_select,
       {"select({0}, {1}, {2})", "\\operatorname{{select}}({0}, {1}, {2})", 5}, "({0} != 0 ? {1} : {2})"},
      {Op::Less, "less", 2, kEw | kInternal, broadcasting,
       [](const EvalArgs& a) { evalh::binary(a, [](double x, double y) { return x < y ? 1.0 : 0.0; }); }, vjp_none,
       {"[{0} < {1}]", "[{0} < {1}]", 5}, "({0} < {1} ? 1 : 0)"},
      {Op::LessEq, "less_eq", 2, kEw | kInternal, broadcasting,
       [](const EvalArgs& a) { evalh::binary(a, [](double x, double y) { return x <= y ? 1.0 : 0.0; }); }, vjp_none,
       {"[{0} ≤ {1}]", "[{0} \\le {1}]", 5}, "({0} <= {1} ? 1 : 0)"},
      {Op::Equal, "equal", 2, kEw | kInternal | kCommutative, broadcasting,
       [](const EvalArgs& a) { evalh::binary(a, [](double x, double y) { return x == y ? 1.0 : 0.0; }); }, vjp_none,
       {"[{0} = {1}]", "[{0} = {1}]", 5}, "({0} == {1} ? 1 : 0)"},
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
  for (const OpInfo& r : rows) {
    if (by_op[static_cast<size_t>(r.op)].name) throw InternalError(std::string("two op table rows for ") + r.name);
    by_op[static_cast<size_t>(r.op)] = r;
  }
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
