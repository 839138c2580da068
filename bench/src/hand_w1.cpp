// Hand-written W1 baseline: the [2,3,1] sigmoid/mse/SGD step fully specialised on the batch
// size. Rows go through in blocks of one SIMD register (GCC vector extensions), with every
// gradient accumulated lane-wise in registers and reduced once at the end.
#include <bit>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "impl.h"

namespace bench {
namespace {

template <int V>
struct Simd {
  typedef float F __attribute__((vector_size(4 * V)));
  typedef int32_t I __attribute__((vector_size(4 * V)));
};

template <int V>
inline float hsum(typename Simd<V>::F v) {
  float s = 0;
  for (int i = 0; i < V; ++i) s += v[i];
  return s;
}

// expf to ~2 ulp (Cephes polynomial), branch-free so it stays in vector registers; libm's
// expf is only vectorised under -ffast-math.
template <int V>
inline typename Simd<V>::F vexp(typename Simd<V>::F x) {
  using F = typename Simd<V>::F;
  using I = typename Simd<V>::I;
  const F lo = F{} - 87.0f, hi = F{} + 88.0f;
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  const F n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest
  const F r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  F q = F{} + 1.9875691500e-4f;
  q = q * r + 1.3981999507e-3f;
  q = q * r + 8.3334519073e-3f;
  q = q * r + 4.1665795894e-2f;
  q = q * r + 1.6666665459e-1f;
  q = q * r + 5.0000001201e-1f;
  const F y = q * r * r + r + 1.0f;
  const I e = (__builtin_convertvector(n, I) + 127) << 23;
  return y * std::bit_cast<F>(e);
}

template <int B>
class HandW1 final : public Impl {
  static constexpr int V = B < 16 ? B : 16;  // rows per block: one AVX-512 register of floats
  static_assert(B % V == 0, "batch must be a multiple of the block");
  using F = typename Simd<V>::F;
  using I = typename Simd<V>::I;

 public:
  explicit HandW1(const Problem& p) : X_(p.X.data()), Y_(p.Y.data()), lr_(p.lr) {
    for (int i = 0; i < 6; ++i) W1_[i] = p.W[0][i];
    for (int j = 0; j < 3; ++j) b1_[j] = p.b[0][j], W2_[j] = p.W[1][j];
    b2_ = p.b[1][0];
  }

  void step() override {
    F gW1[6] = {}, gb1[3] = {}, gW2[3] = {}, gb2 = {}, sq = {};
    constexpr float scale = 2.0f / B;  // d mse / d z3 = 2/n (z3 - Y)
    I even, odd;
    for (int v = 0; v < V; ++v) even[v] = 2 * v, odd[v] = 2 * v + 1;
    for (int r0 = 0; r0 < B; r0 += V) {
      F lo, hi, y, a[3];
      std::memcpy(&lo, X_ + 2 * r0, sizeof lo);  // rows r0.. of X[n,2], interleaved x0 x1
      std::memcpy(&hi, X_ + 2 * r0 + V, sizeof hi);
      std::memcpy(&y, Y_ + r0, sizeof y);
      const F x0 = __builtin_shuffle(lo, hi, even), x1 = __builtin_shuffle(lo, hi, odd);
      for (int j = 0; j < 3; ++j)
        a[j] = 1.0f / (1.0f + vexp<V>(-(x0 * W1_[j] + x1 * W1_[3 + j] + b1_[j])));
      const F e = a[0] * W2_[0] + a[1] * W2_[1] + a[2] * W2_[2] + b2_ - y;
      const F d = scale * e;
      sq += e * e;
      gb2 += d;
      for (int j = 0; j < 3; ++j) {
        const F dz = d * W2_[j] * a[j] * (1.0f - a[j]);
        gW2[j] += a[j] * d;
        gb1[j] += dz;
        gW1[j] += x0 * dz;
        gW1[3 + j] += x1 * dz;
      }
    }
    loss_ = hsum<V>(sq) / B;
    for (int i = 0; i < 6; ++i) W1_[i] -= lr_ * hsum<V>(gW1[i]);
    for (int j = 0; j < 3; ++j) b1_[j] -= lr_ * hsum<V>(gb1[j]), W2_[j] -= lr_ * hsum<V>(gW2[j]);
    b2_ -= lr_ * hsum<V>(gb2);
  }

  double loss() override { return loss_; }

 private:
  const float* X_;
  const float* Y_;
  float lr_;
  float W1_[6], b1_[3], W2_[3], b2_;  // W1_ row-major [2,3]
  float loss_ = 0;
};

}  // namespace

std::unique_ptr<Impl> make_hand_w1(const Problem& p, int /*threads*/) {
  switch (p.batch) {
    case 4: return std::make_unique<HandW1<4>>(p);
    case 64: return std::make_unique<HandW1<64>>(p);
    default: throw std::invalid_argument("hand-written W1: no specialisation for batch " + std::to_string(p.batch));
  }
}

}  // namespace bench
