// Rosenbrock, differentiated by gradgen's C++ front end.
#include <cmath>
#include <gradgen/annotate.hpp>

GRADGEN_DIFFERENTIATE
double rosenbrock(double x, double y) {
  double a = 1.0 - x;
  double b = y - x * x;
  return a * a + 100.0 * b * b;
}
