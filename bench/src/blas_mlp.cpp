// OpenBLAS baseline: an MLP step over cblas_sgemm with fused bias/activation, softmax-CE (or
// mse) and activation-derivative loops; the SGD update of W is folded into the dW GEMM
// (beta = 1, alpha = -lr), which is legal because dX is computed from W before it.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "impl.h"

namespace bench {
namespace {

class BlasMlp final : public Impl {
 public:
  BlasMlp(const Problem& p, int threads) : p_(p), threads_(threads), W_(p.W), b_(p.b) {
    const int L = p.layers();
    act_.resize(L + 1);
    grad_.resize(L + 1);
    for (int l = 1; l <= L; ++l) {
      act_[l].resize(static_cast<size_t>(p.batch) * p.sizes[l]);
      grad_[l].resize(act_[l].size());
    }
  }

  void activate() override { openblas_set_num_threads(threads_); }

  void step() override {
    forward();
    loss_ = p_.loss == LossKind::Mse ? mse_grad() : softmax_ce_grad();
    backward();
  }

  double loss() override { return loss_; }

 private:
  const float* input(int l) const { return l == 0 ? p_.X.data() : act_[l].data(); }

  void forward() {
    const int B = p_.batch, L = p_.layers();
    for (int l = 0; l < L; ++l) {
      const int k = p_.sizes[l], m = p_.sizes[l + 1];
      float* z = act_[l + 1].data();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, m, k, 1.0f, input(l), k,
                  W_[l].data(), m, 0.0f, z, m);
      const float* bias = b_[l].data();
      const bool hidden = l + 1 < L;
      for (int r = 0; r < B; ++r) {
        float* row = z + static_cast<size_t>(r) * m;
        if (!hidden)
          for (int c = 0; c < m; ++c) row[c] += bias[c];
        else if (p_.hidden == Act::Relu)
          for (int c = 0; c < m; ++c) row[c] = std::max(row[c] + bias[c], 0.0f);
        else
          for (int c = 0; c < m; ++c) row[c] = 1.0f / (1.0f + std::exp(-(row[c] + bias[c])));
      }
    }
  }

  // mean((z - y)^2) over all elements; grad_[L] = 2/(B*m) (z - y).
  double mse_grad() {
    const int L = p_.layers();
    const size_t n = act_[L].size();
    const float s = 2.0f / static_cast<float>(n);
    float sum = 0;
    for (size_t i = 0; i < n; ++i) {
      const float e = act_[L][i] - p_.Y[i];
      sum += e * e;
      grad_[L][i] = s * e;
    }
    return sum / static_cast<float>(n);
  }

  // Row-wise log-softmax cross-entropy with probability targets, mean over rows;
  // grad_[L] = (softmax(z) * sum(y) - y) / B.
  double softmax_ce_grad() {
    const int B = p_.batch, L = p_.layers(), m = p_.out();
    float total = 0;
    for (int r = 0; r < B; ++r) {
      const float* z = act_[L].data() + static_cast<size_t>(r) * m;
      const float* y = p_.Y.data() + static_cast<size_t>(r) * m;
      float* g = grad_[L].data() + static_cast<size_t>(r) * m;
      const float mx = *std::max_element(z, z + m);
      float se = 0, sy = 0, yz = 0;
      for (int c = 0; c < m; ++c) {
        g[c] = std::exp(z[c] - mx);
        se += g[c];
        sy += y[c];
        yz += y[c] * (z[c] - mx);
      }
      total += sy * std::log(se) - yz;
      const float inv = sy / (se * B), invB = 1.0f / B;
      for (int c = 0; c < m; ++c) g[c] = g[c] * inv - y[c] * invB;
    }
    return total / B;
  }

  void backward() {
    const int B = p_.batch, L = p_.layers();
    for (int l = L - 1; l >= 0; --l) {
      const int k = p_.sizes[l], m = p_.sizes[l + 1];
      const float* dz = grad_[l + 1].data();
      if (l > 0)  // dA_{l} = dZ @ W^T, with the old W
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, k, m, 1.0f, dz, m, W_[l].data(), m,
                    0.0f, grad_[l].data(), k);
      update_bias(l, dz, m);
      // W -= lr * A^T @ dZ in one GEMM.
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, m, B, -p_.lr, input(l), k, dz, m, 1.0f,
                  W_[l].data(), m);
      if (l > 0) activation_grad(l);
    }
  }

  void update_bias(int l, const float* dz, int m) {
    float* bias = b_[l].data();
    col_.assign(m, 0.0f);
    for (int r = 0; r < p_.batch; ++r)
      for (int c = 0; c < m; ++c) col_[c] += dz[static_cast<size_t>(r) * m + c];
    for (int c = 0; c < m; ++c) bias[c] -= p_.lr * col_[c];
  }

  // grad_[l] *= act'(z), written in terms of the activation output act_[l].
  void activation_grad(int l) {
    float* g = grad_[l].data();
    const float* a = act_[l].data();
    const size_t n = grad_[l].size();
    if (p_.hidden == Act::Relu)
      for (size_t i = 0; i < n; ++i) g[i] = a[i] > 0.0f ? g[i] : 0.0f;
    else
      for (size_t i = 0; i < n; ++i) g[i] *= a[i] * (1.0f - a[i]);
  }

  const Problem& p_;
  int threads_;
  std::vector<Floats> W_, b_;
  std::vector<Floats> act_, grad_;  // [l]: output of layer l (1..L) and its gradient
  Floats col_;
  double loss_ = 0;
};

}  // namespace

std::unique_ptr<Impl> make_blas_mlp(const Problem& p, int threads) {
  return std::make_unique<BlasMlp>(p, threads);
}

}  // namespace bench
