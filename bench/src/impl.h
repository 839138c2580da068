// The interface every benchmarked implementation provides, and the factories main() draws on.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "problem.h"

namespace bench {

/// One implementation's state for one workload: weights, buffers, and the step.
class Impl {
 public:
  virtual ~Impl() = default;
  /// Applies this implementation's thread settings (called before its steps are run/timed,
  /// since libraries such as libtorch keep them in global state).
  virtual void activate() {}
  /// One training step: forward, backward, SGD update.
  virtual void step() = 0;
  /// The loss computed by the forward pass of the last step.
  virtual double loss() = 0;
};

using Factory = std::function<std::unique_ptr<Impl>(const Problem&, int threads)>;

/// What a row is, for the ratio column and the targets under the table.
enum class Role {
  Reference,    // gradgen --bind --fuse-step: train_step, the row the others are compared with
  Gradgen,      // another generated variant of the bound network
  GradgenFree,  // generated with the batch n left to run time
  Hand,         // hand-written specialised C++
  Blas,         // hand-written over OpenBLAS sgemm
  Torch,        // libtorch
};

struct ImplSpec {
  std::string name;
  Role role = Role::Gradgen;
  bool threaded = false;  // honours threads > 1; otherwise its 2-thread row is skipped
  Factory make;
  bool gradgen() const { return role == Role::Reference || role == Role::Gradgen || role == Role::GradgenFree; }
};

// Baselines (hand_w1.cpp, blas_mlp.cpp, torch_impl.cpp).
std::unique_ptr<Impl> make_hand_w1(const Problem& p, int threads);
std::unique_ptr<Impl> make_blas_mlp(const Problem& p, int threads);
std::unique_ptr<Impl> make_torch_mlp(const Problem& p, int threads);
void torch_warm_up();  // one tiny op, so libtorch's one-time set-up is not billed to a workload
std::string torch_version();

/// The gradgen-generated implementations of one workload (gradgen_*.cpp); empty when the bench
/// was built without the generated code.
std::vector<ImplSpec> gradgen_impls(const Problem& p);

}  // namespace bench
