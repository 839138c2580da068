// Trains examples/seed.grad on XOR with the generated C++ (batch of 4, --bind n=4): prints the
// loss as it falls until it is below 0.01, then the predictions.
#include <cstdio>

#include "seed.hpp"

int main() {
  const float X[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  const float Y[4][1] = {{0}, {1}, {1}, {0}};
  seed::Params params;
  seed::Grads grads;
  seed::OptState state{};
  seed::Workspace ws;
  float loss = 1, dX[4][2], yhat[4][1];
  if (seed::init(params, /*seed=*/4) != seed::kOk) return 1;
  int step = 0;
  for (; step < 20000 && loss >= 0.01f; ++step) {
    if (seed::loss_and_grad(params, &X[0][0], &Y[0][0], 4, loss, grads, &dX[0][0], ws) != seed::kOk) return 1;
    if (step % 25 == 0) std::printf("step %5d  loss %.6f\n", step, static_cast<double>(loss));
    seed::step(params, grads, state);
  }
  std::printf("step %5d  loss %.6f  (%s)\n", step, static_cast<double>(loss), loss < 0.01f ? "below 0.01" : "not converged");
  seed::forward(params, &X[0][0], 4, &yhat[0][0], ws);
  for (int i = 0; i < 4; ++i)
    std::printf("xor(%g, %g) = %.3f  (target %g)\n", static_cast<double>(X[i][0]), static_cast<double>(X[i][1]),
                static_cast<double>(yhat[i][0]), static_cast<double>(Y[i][0]));
  return loss < 0.01f ? 0 : 2;
}
