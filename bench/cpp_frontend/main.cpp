// Times the plain forward function, the gradgen-generated seed_arrays_grad (value and all 13
// partials) and a hand-written analytic gradient in one process; prints medians and ratios.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "seed_arrays.cpp"
#include "seed_arrays_grad.hpp"

namespace {

// Hand-written backpropagation: dJ/dz3 = 2/n (z3 − Y), σ' = a(1 − a).
double hand_grad(const double (&X)[4][2], const double (&Y)[4][1], const double (&W1)[2][3], const double (&b1)[3],
                 const double (&W2)[3][1], const double (&b2)[1], double* dW1, double* db1, double* dW2, double* db2) {
  double J = 0;
  for (int i = 0; i < 6; ++i) dW1[i] = 0;
  for (int i = 0; i < 3; ++i) db1[i] = dW2[i] = 0;
  db2[0] = 0;
  for (int n = 0; n < 4; ++n) {
    double a2[3];
    for (int j = 0; j < 3; ++j) a2[j] = benchfe::sigmoid(b1[j] + X[n][0] * W1[0][j] + X[n][1] * W1[1][j]);
    double z3 = b2[0] + a2[0] * W2[0][0] + a2[1] * W2[1][0] + a2[2] * W2[2][0];
    double d = z3 - Y[n][0];
    J += d * d;
    double g = 0.5 * d;  // 2/4 · d
    db2[0] += g;
    for (int j = 0; j < 3; ++j) {
      dW2[j] += g * a2[j];
      double gz = g * W2[j][0] * a2[j] * (1 - a2[j]);
      db1[j] += gz;
      dW1[j] += gz * X[n][0];
      dW1[3 + j] += gz * X[n][1];
    }
  }
  return J / 4;
}

volatile double sink;

// Nanoseconds per call of one batch of `kReps` calls of f; `x` is nudged each call so nothing
// is hoisted out of the loop.
constexpr int kReps = 20000, kBatches = 31;
template <class F>
double batch_ns(F& f, double (&x)[4][2]) {
  auto t0 = std::chrono::steady_clock::now();
  double acc = 0;
  for (int r = 0; r < kReps; ++r) {
    x[r & 3][0] += 1e-12;
    acc += f();
  }
  auto t1 = std::chrono::steady_clock::now();
  sink = acc;
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / kReps;
}

double median(std::vector<double> t) {
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  return t[t.size() / 2];
}

// The median ns per call of each function, over batches taken in turns, so that a burst of
// load on this shared machine slows all of them rather than one (timed one after another, the
// gradient's ratio to the forward read 1.11-1.77 across runs).
template <class F, class G, class H>
std::vector<double> time_ns(double (&x)[4][2], F f, G g, H h) {
  std::vector<double> tf, tg, th;
  for (int b = 0; b < kBatches; ++b) {
    tf.push_back(batch_ns(f, x));
    tg.push_back(batch_ns(g, x));
    th.push_back(batch_ns(h, x));
  }
  return {median(tf), median(tg), median(th)};
}

}  // namespace

int main() {
  double X[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}}, Y[4][1] = {{0}, {1}, {1}, {0}};
  double W1[2][3] = {{0.5, -0.3, 0.8}, {0.2, 0.7, -0.6}}, b1[3] = {0.1, -0.1, 0.05};
  double W2[3][1] = {{0.4}, {-0.9}, {0.3}}, b2[1] = {0.2};
  double g[13], h[13];
  double vg = benchfe::seed_arrays_grad(X, Y, W1, b1, W2, b2, g, g + 6, g + 9, g + 12);
  double vh = hand_grad(X, Y, W1, b1, W2, b2, h, h + 6, h + 9, h + 12);
  double diff = std::fabs(vg - vh);
  for (int i = 0; i < 13; ++i) diff = std::max(diff, std::fabs(g[i] - h[i]));
  std::printf("seed network over arrays, batch 4, f64: generated vs hand-written max |diff| = %.3g\n", diff);
  if (diff > 1e-12) return 1;
  const std::vector<double> t = time_ns(
      X, [&] { return benchfe::seed_arrays(X, Y, W1, b1, W2, b2); },
      [&] { return benchfe::seed_arrays_grad(X, Y, W1, b1, W2, b2, g, g + 6, g + 9, g + 12) + g[0]; },
      [&] { return hand_grad(X, Y, W1, b1, W2, b2, h, h + 6, h + 9, h + 12) + h[0]; });
  const double f = t[0], gg = t[1], hd = t[2];
  std::printf("%-34s %10s %8s\n", "implementation", "ns/call", "vs fwd");
  std::printf("%-34s %10.1f %8.2f\n", "forward (plain C++)", f, 1.0);
  std::printf("%-34s %10.1f %8.2f  (issue: <= 1.6)\n", "seed_arrays_grad (gradgen)", gg, gg / f);
  std::printf("%-34s %10.1f %8.2f\n", "hand-written analytic gradient", hd, hd / f);
  return 0;
}
