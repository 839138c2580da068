// The f_grad emitter for C++ inputs: an annotated function `R f(params...)` in, a header and a
// source defining `R f_grad(params..., d_<param>...)` out, reusing the network emitter's
// scheduler and statement writer (emit/cpp_plan.h, emit/cpp_kernels.h). Deterministic.
#pragma once

#include <string>

#include "emit/equations.h"
#include "frontend/clang/signature.h"
#include "ir/program.h"

namespace gg::cpp {

struct FunctionFiles {
  std::string base;  // NAME_grad
  std::string hpp, cpp;
};

/// `p` is the function's Program, differentiated and simplified, `eqs` its equations and
/// `sig` its C++ signature (leaf i of p = sig.params[i]); `source` names the input in the banner.
/// Fully static shapes only (C++ functions have no symbolic dims).
FunctionFiles emit_function_grad(const Program& p, const EquationSet& eqs, const CppSignature& sig,
                                 const std::string& source);

/// The declaration of NAME_grad, as in the header (without the trailing semicolon).
std::string function_grad_decl(const CppSignature& sig, const Program& p);

}  // namespace gg::cpp
