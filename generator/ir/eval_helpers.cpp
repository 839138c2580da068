// Shared pieces of the reference evaluations.
#include "ir/eval_helpers.h"

#include <algorithm>
#include <cmath>

namespace gg::evalh {

std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& in_shape, const std::vector<int64_t>& out_shape) {
  std::vector<int64_t> strides(out_shape.size(), 0);
  int64_t stride = 1;
  size_t offset = out_shape.size() - in_shape.size();
  for (size_t d = in_shape.size(); d-- > 0;) {
    strides[offset + d] = in_shape[d] == 1 ? 0 : stride;
    stride *= in_shape[d];
  }
  return strides;
}

AxisView::AxisView(const std::vector<int64_t>& shape, int axis) {
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    if (d < axis) outer *= shape[static_cast<size_t>(d)];
    if (d == axis) len = shape[static_cast<size_t>(d)];
    if (d > axis) inner *= shape[static_cast<size_t>(d)];
  }
}

LogSumExp logsumexp_line(const Tensor& x, const AxisView& v, int64_t o, int64_t i) {
  double m = -INFINITY;
  for (int64_t k = 0; k < v.len; ++k) m = std::max(m, x.data[v.at(o, k, i)]);
  if (std::isinf(m)) return {m, 0.0};
  double s = 0;
  for (int64_t k = 0; k < v.len; ++k) s += std::exp(x.data[v.at(o, k, i)] - m);
  return {m, std::log(s)};
}

void reduce_axis(const EvalArgs& a, bool mean) {
  const Tensor& x = *a.in[0];
  AxisView v(x.shape, a.node.attrs.axis);
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i = 0; i < v.inner; ++i) {
      double s = 0;
      for (int64_t k = 0; k < v.len; ++k) s += x.data[v.at(o, k, i)];
      a.out.data[o * v.inner + i] = mean ? s / static_cast<double>(v.len) : s;
    }
}

void softmax(const EvalArgs& a, bool log) {
  const Tensor& x = *a.in[0];
  AxisView v(x.shape, a.node.attrs.axis);
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i = 0; i < v.inner; ++i) {
      const LogSumExp lse = logsumexp_line(x, v, o, i);
      for (int64_t k = 0; k < v.len; ++k) {
        int64_t at = v.at(o, k, i);
        const double log_p = lse.minus_from(x.data[at]);
        a.out.data[at] = log ? log_p : std::exp(log_p);
      }
    }
}

double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }

double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  double e = std::exp(x);
  return e / (1.0 + e);
}

}  // namespace gg::evalh
