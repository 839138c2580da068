// The [2, 3, 1] seed network of spec §1 (batch of 4) written in C++ with the gradgen tensor
// API; `gradgen explain examples/cpp/seed.cpp` prints the equations of its .grad twin as
// `gradgen explain --bind n=4` prints them, but for the output yhat and dJ/dX (this function
// returns only the loss, and X is not differentiated).
#include <gradgen/annotate.hpp>
#include <gradgen/tensor_api.hpp>

using gradgen::Matrix;
using gradgen::Vector;

GRADGEN_DIFFERENTIATE_WRT("W1", "b1", "W2", "b2")
double seed(const Matrix<4, 2>& X, const Matrix<4, 1>& Y, const Matrix<2, 3>& W1, const Vector<3>& b1,
            const Matrix<3, 1>& W2, const Vector<1>& b2) {
  auto z2 = gradgen::matmul(X, W1) + b1;
  auto a2 = gradgen::sigmoid(z2);
  auto z3 = gradgen::matmul(a2, W2) + b2;
  double J = gradgen::mse(z3, Y);
  return J;
}
