// Building blocks for the op table's reference evaluations (double precision, row-major).
#pragma once

#include <cstdint>
#include <vector>

#include "ir/op_table.h"

namespace gg::evalh {

/// Strides that read `in_shape` broadcast to `out_shape` (0 along broadcast axes).
std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& in_shape, const std::vector<int64_t>& out_shape);

/// out[i] = f(a[bcast i], b[bcast i]) with numpy broadcasting.
template <class F>
void binary(const EvalArgs& a, F f) {
  const Tensor& x = *a.in[0];
  const Tensor& y = *a.in[1];
  const auto& os = a.out.shape;
  if (x.shape == os && y.shape == os) {
    for (int64_t i = 0; i < a.out.numel(); ++i) a.out.data[i] = f(x.data[i], y.data[i]);
    return;
  }
  auto sx = broadcast_strides(x.shape, os);
  auto sy = broadcast_strides(y.shape, os);
  std::vector<int64_t> idx(os.size(), 0);
  for (int64_t i = 0; i < a.out.numel(); ++i) {
    int64_t ox = 0, oy = 0;
    for (size_t d = 0; d < os.size(); ++d) {
      ox += idx[d] * sx[d];
      oy += idx[d] * sy[d];
    }
    a.out.data[i] = f(x.data[ox], y.data[oy]);
    for (size_t d = os.size(); d-- > 0;) {
      if (++idx[d] < os[d]) break;
      idx[d] = 0;
    }
  }
}

/// out[i] = f(a[i]).
template <class F>
void unary(const EvalArgs& a, F f) {
  const Tensor& x = *a.in[0];
  for (int64_t i = 0; i < a.out.numel(); ++i) a.out.data[i] = f(x.data[i]);
}

/// View of a tensor as [outer, axis, inner] around `axis`, for axis reductions and softmax.
struct AxisView {
  int64_t outer = 1, len = 1, inner = 1;
  AxisView(const std::vector<int64_t>& shape, int axis);
  int64_t at(int64_t o, int64_t k, int64_t i) const { return (o * len + k) * inner + i; }
};

/// log(sum(exp(x))) of one (outer, inner) line as max + log_sum (log_sum = log Σ e^(x − max)),
/// kept apart so that x − logsumexp is computed as (x − max) − log_sum: adding max first would
/// round at the scale of the logits (1e-9 relative error at logits of 1e8).
struct LogSumExp {
  double max = 0, log_sum = 0;
  double minus_from(double x) const { return (x - max) - log_sum; }  // x − logsumexp
};
LogSumExp logsumexp_line(const Tensor& x, const AxisView& v, int64_t o, int64_t i);

/// out = Σ_axis x (or the mean when `mean`), attrs.axis removed.
void reduce_axis(const EvalArgs& a, bool mean);
/// softmax (or log_softmax when `log`) along attrs.axis, via logsumexp so any logits stay finite.
void softmax(const EvalArgs& a, bool log);

/// log(1 + exp(x)) without overflow for |x| large.
double softplus(double x);
double sigmoid(double x);

}  // namespace gg::evalh
