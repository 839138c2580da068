// Compiled mode of `eval` and `check` (generate C++, compile with $CXX, run it): the hook
// between the subcommands (eval.cpp, check.cpp) and the code generator. The requests carry
// the parsed flags; each function returns the exit status and throws like the subcommands.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

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

int eval_compiled(const EvalRequest& r);
int check_compiled(const CheckRequest& r);

/// The point `check` differentiates at, the same for --interp and compiled code: inputs,
/// targets and every param whose init is zeros (biases, and the arguments of a C++ function)
/// uniform in [0.1, 1) from `seed`, other params from their init. Zero itself is where abs,
/// relu, sqrt, log and division have a kink or a pole. `drawn` gets the values not made by
/// an init (what compiled code must be fed).
Values check_point(const Program& p, uint64_t seed, const DimBindings& dims, Values* drawn = nullptr);

}  // namespace gg::cli
