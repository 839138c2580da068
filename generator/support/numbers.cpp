// Number helpers shared by the CLI, the emitters and the interpreter.
#include "support/numbers.h"

#include <cmath>
#include <limits>

namespace gg {

std::string grouped(int64_t v) {
  std::string d = std::to_string(v), out;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i > 0 && (d.size() - i) % 3 == 0) out += ',';
    out += d[i];
  }
  return out;
}

float nearest_float(double v) {
  constexpr float kMax = std::numeric_limits<float>::max(), kInf = std::numeric_limits<float>::infinity();
  const double magnitude = std::fabs(v);
  if (!(magnitude > kMax)) return static_cast<float>(v);  // in range, or NaN
  const float rounded = magnitude >= double(kMax) + 0x1p103 ? kInf : kMax;
  return v < 0 ? -rounded : rounded;
}

}  // namespace gg
