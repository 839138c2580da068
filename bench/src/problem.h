// Benchmark workloads (W1/W2/W3): network shape, shared initial weights and data, FLOP count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aligned.h"

namespace bench {

enum class Act { Sigmoid, Relu };
enum class LossKind { Mse, SoftmaxCrossEntropy };

/// One workload at one batch size. Every implementation is built from the same Problem, so
/// all start from the same weights and see the same batch.
struct Problem {
  std::string id;          // "W1", "W2", "W3"
  std::string title;       // e.g. "[2,3,1] sigmoid/mse"
  int batch = 0;
  std::vector<int> sizes;  // layer widths, input first: {2, 3, 1}
  Act hidden = Act::Relu;  // activation of every hidden layer; the output layer is linear
  LossKind loss = LossKind::Mse;
  float lr = 0.01f;        // plain SGD, no momentum

  // Initial parameters: W[l] is row-major [sizes[l], sizes[l+1]] (the .grad layout), b[l] is [sizes[l+1]].
  std::vector<Floats> W, b;
  Floats X;                   // [batch, sizes.front()]
  Floats Y;                   // [batch, sizes.back()] (one-hot for cross-entropy)
  std::vector<int64_t> label; // [batch], argmax of Y (cross-entropy only; libtorch uses it)

  int layers() const { return static_cast<int>(sizes.size()) - 1; }
  int in() const { return sizes.front(); }
  int out() const { return sizes.back(); }
  /// Model FLOPs of one step: the three matmuls per layer (no dX for the first layer) and the
  /// SGD update; elementwise work is not counted.
  double flops_per_step() const;
};

Problem make_w1(int batch);
Problem make_w2(int batch);
Problem make_w3(int batch);

}  // namespace bench
