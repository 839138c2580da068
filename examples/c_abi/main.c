/* Trains the seed network on XOR from C through the generated C ABI (seed.h). */
#include <stdio.h>

#include "seed.h"

int main(void) {
  static float ws[64];
  const float X[8] = {0, 0, 0, 1, 1, 0, 1, 1}, Y[4] = {0, 1, 1, 0};
  float dX[8], yhat[4], loss = 1;
  seed_params params;
  seed_grads grads;
  seed_opt_state state = {0}; /* zeroed before the first step */
  int step, i;
  if (seed_workspace_size(4) > sizeof ws / sizeof ws[0] || seed_init(&params, 4) != SEED_OK) return 1;
  for (step = 0; step < 20000 && loss >= 0.01f; ++step) {
    if (seed_loss_and_grad(&params, X, Y, 4, &loss, &grads, dX, ws, 64) != SEED_OK) return 1;
    seed_step(&params, &grads, &state);
  }
  seed_forward(&params, X, 4, yhat, ws, 64);
  printf("C ABI: %d steps, loss %.4f\n", step, (double)loss);
  for (i = 0; i < 4; ++i) printf("xor(%g, %g) = %.3f\n", (double)X[2 * i], (double)X[2 * i + 1], (double)yhat[i]);
  return loss < 0.01f ? 0 : 2;
}
