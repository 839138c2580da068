// Compiled mode of `eval` and `check` (generate C++, compile with $CXX, run it): the hook
// between the subcommands (eval.cpp, check.cpp) and the code generator. The requests carry
// the parsed flags; each function returns the exit status and throws like the subcommands.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/program.h"
#include "interp/interpreter.h"
#include "ir/shape.h"

namespace gg::cli {

struct EvalRequest {
  std::string network;                   // NET.grad
  std::string feed;                      // FEED.json
  uint64_t seed = 0;                     // for params the feed lacks
  std::optional<Precision> precision;    // --precision, overriding the network's
};

struct CheckRequest {
  std::string network;  // NET.grad
  DimBindings bind;     // --bind, as given
  uint64_t seed = 0;
};

/// The size `check` gives a dim that --bind leaves open, in both modes.
constexpr int64_t kCheckDefaultDim = 4;

/// Sizes for the dims `names`: --bind's where it gives one, kCheckDefaultDim for the others.
DimBindings check_dims(const std::vector<std::string>& names, const DimBindings& bind);

int eval_compiled(const EvalRequest& r);

/// What compiled `check` compares: the network as compiled (its open param dims bound to 4),
/// the dims and the point (check_point), and the loss and every gradient the compiled code
/// computed there (params, then `grad` inputs).
struct CompiledGrads {
  Program program;
  DimBindings dims;
  Values point;
  double loss = 0;
  std::vector<std::pair<std::string, Tensor>> grads;
};
CompiledGrads compiled_check_grads(const CheckRequest& r);

/// The point `check` differentiates at, the same for --interp and compiled code: inputs,
/// targets and every param that its init leaves all zero (biases; also constant(0); and the
/// arguments of a C++ function) uniform in [0.1, 1) from `seed`, other params from their
/// init. Zero itself is where abs, relu, sqrt, log and division have a kink or a pole.
/// `drawn` gets the values not made by an init (what compiled code must be fed).
Values check_point(const Program& p, uint64_t seed, const DimBindings& dims, Values* drawn = nullptr);

/// `check`'s finite difference, the same for --interp and compiled code: the central difference
/// of p's loss along element i of `name` in `v`, in f64 by the interpreter, with step
/// h = 1e-6 · max(1, |x|) (v is restored).
double central_difference(const Program& p, Values& v, const DimBindings& dims, const std::string& name, size_t i);

/// Why a gradient and its central difference may disagree though both are right ("" if no
/// reason shows): the loss is NaN a step away (the edge of a function's domain), it is the same
/// at x - h, x and x + h (flat to double precision), or its slopes on the two sides differ (a
/// kink such as relu's or abs's at 0).
std::string not_differentiable_reason(const Program& p, Values& v, const DimBindings& dims, const std::string& name,
                                      size_t i, double loss);

/// Whether a gradient and its finite difference agree: |g − fd| <= 1e-4 · max(|g|, |fd|) +
/// 1e-6 · max(1, |loss|) (the second term: rounding in the loss over h). NaN never agrees.
bool fd_agrees(double g, double fd, double loss);

}  // namespace gg::cli
