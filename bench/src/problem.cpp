// Deterministic weights and data for the benchmark workloads (splitmix64, no <random> so
// every compiler and platform gives the same numbers).
#include "problem.h"

#include <cmath>

namespace bench {
namespace {

struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  float uniform(float lo, float hi) {
    return lo + (hi - lo) * static_cast<float>((next() >> 40) * 0x1.0p-24);
  }
};

void init_params(Problem& p, Rng& rng) {
  for (int l = 0; l < p.layers(); ++l) {
    const int k = p.sizes[l], m = p.sizes[l + 1];
    const bool last = l + 1 == p.layers();
    // He for ReLU layers, Xavier otherwise: both keep the loss O(1) so the check is meaningful.
    const float bound = (p.hidden == Act::Relu && !last) ? std::sqrt(6.0f / k) : std::sqrt(6.0f / (k + m));
    Floats w(static_cast<size_t>(k) * m), bias(m);
    for (float& v : w) v = rng.uniform(-bound, bound);
    for (float& v : bias) v = rng.uniform(-0.1f, 0.1f);  // non-zero so bias gradients matter
    p.W.push_back(std::move(w));
    p.b.push_back(std::move(bias));
  }
}

void one_hot_labels(Problem& p, Rng& rng) {
  p.Y.assign(static_cast<size_t>(p.batch) * p.out(), 0.0f);
  for (int r = 0; r < p.batch; ++r) {
    const int c = static_cast<int>(rng.next() % static_cast<uint64_t>(p.out()));
    p.label.push_back(c);
    p.Y[static_cast<size_t>(r) * p.out() + c] = 1.0f;
  }
}

Problem base(const char* id, const char* title, int batch, std::vector<int> sizes, Act act,
             LossKind loss, float lr) {
  Problem p;
  p.id = id;
  p.title = title;
  p.batch = batch;
  p.sizes = std::move(sizes);
  p.hidden = act;
  p.loss = loss;
  p.lr = lr;
  return p;
}

}  // namespace

double Problem::flops_per_step() const {
  double f = 0;
  for (int l = 0; l < layers(); ++l) {
    const double mm = 2.0 * batch * sizes[l] * sizes[l + 1];
    f += mm * (l == 0 ? 2 : 3);                       // forward, dW (, dX)
    f += 2.0 * (sizes[l] * sizes[l + 1] + sizes[l + 1]);  // W -= lr * dW, b -= lr * db
  }
  return f;
}

// The sizes, activations, losses and learning rates below mirror bench/networks/*.grad.
Problem make_w1(int batch) {
  Problem p = base("W1", "[2,3,1] sigmoid, mse", batch, {2, 3, 1}, Act::Sigmoid, LossKind::Mse, 0.5f);
  Rng rng{0x5EED0001};
  init_params(p, rng);
  for (int r = 0; r < batch; ++r) {
    const float x0 = rng.uniform(-1, 1), x1 = rng.uniform(-1, 1);
    p.X.push_back(x0);
    p.X.push_back(x1);
    p.Y.push_back(x0 * x1 > 0 ? 1.0f : 0.0f);  // XOR-like target
  }
  return p;
}

Problem make_w2(int batch) {
  Problem p = base("W2", "784-128-10 relu, softmax-CE", batch, {784, 128, 10}, Act::Relu,
                   LossKind::SoftmaxCrossEntropy, 0.05f);
  Rng rng{0x5EED0002};
  init_params(p, rng);
  p.X.resize(static_cast<size_t>(batch) * p.in());
  for (float& v : p.X) v = rng.uniform(0, 1);  // pixel-like intensities
  one_hot_labels(p, rng);
  return p;
}

Problem make_w3(int batch) {
  Problem p = base("W3", "1024-1024-1024-10 relu, softmax-CE", batch, {1024, 1024, 1024, 10},
                   Act::Relu, LossKind::SoftmaxCrossEntropy, 0.01f);
  Rng rng{0x5EED0003};
  init_params(p, rng);
  p.X.resize(static_cast<size_t>(batch) * p.in());
  for (float& v : p.X) v = rng.uniform(-1, 1);
  one_hot_labels(p, rng);
  return p;
}

}  // namespace bench
