// Exception types that carry user-facing messages; the CLI maps them to exit codes.
#pragma once

#include <stdexcept>
#include <string>

#include "support/source_loc.h"

namespace gg {

/// A shape rule rejected its operands; the message names both shapes.
struct ShapeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Bad user input (network, feed, flags) found after parsing; exit status 1.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Bad user input that a statement of the source is to blame for, found after parsing (by an
/// emitter, say); reported as `FILE:LINE:COL: error: ...` with the quoted line, exit status 1.
struct LocatedError : InputError {
  LocatedError(SourceLoc where, const std::string& message) : InputError(message), loc(std::move(where)) {}
  SourceLoc loc;
};

/// A broken internal invariant (verifier failure, missing rule); a bug in gradgen.
struct InternalError : std::logic_error {
  using std::logic_error::logic_error;
};

}  // namespace gg
