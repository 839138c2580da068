// A dense row-major tensor of doubles: the reference interpreter's value type.
#pragma once

#include <cstdint>
#include <vector>

namespace gg {

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<double> data;

  static Tensor zeros(std::vector<int64_t> shape);
  static Tensor scalar(double v) { return Tensor{{}, {v}}; }
  int64_t numel() const { return static_cast<int64_t>(data.size()); }
  int rank() const { return static_cast<int>(shape.size()); }
};

inline Tensor Tensor::zeros(std::vector<int64_t> s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return Tensor{std::move(s), std::vector<double>(static_cast<size_t>(n), 0.0)};
}

}  // namespace gg
