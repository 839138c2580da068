// An application linking the generated classifier: trains it with Adam on a toy 3-class
// problem (the class is the largest of the first three features) and prints its accuracy.
#include <cstdio>
#include <vector>

#include "classifier.hpp"

int main() {
  const int n = 32;
  std::vector<double> X(n * 4), Y(n * 3, 0.0), probs(n * 3);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < 4; ++j) X[i * 4 + j] = static_cast<double>((i * 7 + j * 13) % 10) / 10.0;
    int best = 0;
    for (int j = 1; j < 3; ++j)
      if (X[i * 4 + j] > X[i * 4 + best]) best = j;
    Y[i * 3 + best] = 1.0;
  }
  classifier::Params params;
  classifier::Grads grads;
  classifier::OptState state{};
  static classifier::Workspace<32> ws;
  double loss = 0;
  classifier::init(params, 1);
  for (int step = 0; step <= 500; ++step) {
    if (classifier::loss_and_grad(params, X.data(), Y.data(), n, loss, grads, ws) != classifier::kOk) return 1;
    if (step % 100 == 0) std::printf("step %3d  loss %.4f\n", step, loss);
    classifier::step(params, grads, state);
  }
  classifier::forward(params, X.data(), n, probs.data(), ws);
  int right = 0;
  for (int i = 0; i < n; ++i) {
    int guess = 0;
    for (int j = 1; j < 3; ++j)
      if (probs[i * 3 + j] > probs[i * 3 + guess]) guess = j;
    right += Y[i * 3 + guess] == 1.0;
  }
  std::printf("accuracy %d/%d\n", right, n);
  return 0;
}
