// The [2, 3, 1] seed network (spec §1) over a batch of 4 in double precision, written as plain
// C++ over arrays: the function the C++ front end differentiates for this bench.
#include <cmath>

#include <gradgen/annotate.hpp>

namespace benchfe {

inline double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

GRADGEN_DIFFERENTIATE_WRT("W1", "b1", "W2", "b2")
inline double seed_arrays(const double (&X)[4][2], const double (&Y)[4][1], const double (&W1)[2][3],
                          const double (&b1)[3], const double (&W2)[3][1], const double (&b2)[1]) {
  double J = 0;
  for (int n = 0; n < 4; ++n) {
    double a2[3];
    for (int j = 0; j < 3; ++j) {
      double z2 = b1[j];
      for (int k = 0; k < 2; ++k) z2 += X[n][k] * W1[k][j];
      a2[j] = sigmoid(z2);
    }
    double z3 = b2[0];
    for (int j = 0; j < 3; ++j) z3 += a2[j] * W2[j][0];
    const double d = z3 - Y[n][0];
    J += d * d;
  }
  return J / 4;
}

}  // namespace benchfe
