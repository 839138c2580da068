// Exception types that carry user-facing messages; the CLI maps them to exit codes.
#pragma once

#include <stdexcept>
#include <string>

namespace gg {

/// A shape rule rejected its operands; the message names both shapes.
struct ShapeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Bad user input (network, feed, flags) found after parsing; exit status 1.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A broken internal invariant (verifier failure, missing rule); a bug in gradgen.
struct InternalError : std::logic_error {
  using std::logic_error::logic_error;
};

}  // namespace gg
