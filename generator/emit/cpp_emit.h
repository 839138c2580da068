// The C++ emitter's entry point: a differentiated, simplified Program in, the three generated
// files (NAME.hpp C++ API, NAME.cpp code, NAME.h C ABI) out, as text. Deterministic.
#pragma once

#include <string>

#include "emit/cpp_api.h"
#include "emit/equations.h"
#include "ir/program.h"

namespace gg::cpp {

struct CppFiles {
  std::string base;  // NAME
  std::string hpp, cpp, h;
  std::string report;  // the memory plan (gradgen generate --report)
};

/// Renders templates/network.{hpp,cpp,h}.in for `p`. Throws InputError when the network
/// cannot be specialised (a param with a symbolic shape).
CppFiles emit_cpp(const Program& p, const EquationSet& eqs, const CppOptions& o);

/// The API description emit_cpp renders (for drivers that call the generated code).
CppApi describe_cpp(const Program& p, const EquationSet& eqs, const CppOptions& o);

}  // namespace gg::cpp
