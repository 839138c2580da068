// The JSON that `eval` prints, shared by the interpreter and compiled modes so that their
// output is identical in form.
#pragma once

#include <string>

#include "interp/interpreter.h"

namespace gg::cli {

/// {"loss": L, "outputs": {...}, "grads": {...}} and a newline: outputs in definition order,
/// grads for every param (declaration order) then every `grad` input; tensors as nested
/// row-major arrays, scalars as plain numbers, every number in the shortest form that reads
/// back to the same double. A non-finite value (which JSON cannot hold) is written as null.
std::string eval_json(const Program& p, const EvalResult& r);

/// For stderr: which values eval_json wrote as null, and what they were (nan, inf, -inf), e.g.
/// "note: 2 values are not finite and are printed as null: loss (nan), grads.W1[0][1] (nan)";
/// the first few are named. Empty when every value is finite.
std::string nonfinite_note(const Program& p, const EvalResult& r);

/// One tensor as JSON (nested arrays, or a number for a scalar).
std::string tensor_json(const Tensor& t);

}  // namespace gg::cli
