// The C++ front end's entry point: annotated C++ functions in, one Program per function out.
// Clang (LibTooling, LLVM 14) parses the file; each function marked GRADGEN_DIFFERENTIATE
// (runtime/include/gradgen/annotate.hpp) is lowered into the same IR as a .grad network.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "frontend/clang/signature.h"
#include "ir/program.h"
#include "support/diagnostics.h"

namespace gg {

struct CppOptions {
  std::vector<std::string> clang_args;  // extra compiler arguments (after `--` on the command line)
  std::string function;                 // lower only this annotated function; empty = all of them
  std::vector<CppSignature>* signatures = nullptr;  // when set, receives one signature per Program
  // false: float values of a double function are not rounded to float (gradgen check: its
  // finite differences would measure float's rounding steps, not the derivative)
  bool round_floats = true;
};

/// True for the file names the C++ front end reads (.cpp .cc .cxx .c++ .C .hpp .hh .hxx, and
/// .ii, preprocessed C++).
bool is_cpp_file(const std::string& path);

/// Parses `path` and lowers every annotated function (in source order) into a Program:
/// name = function name, one leaf per floating-point parameter (Param when differentiated,
/// Input otherwise; arrays and pointers flat [N], tensor-API types their own shape),
/// loss = the return value, precision from the return type. On any error returns nullopt;
/// every error is in `diags` (file:line:col), and `rendered` holds them in Clang's own
/// format (message, source line, caret), Clang's parse errors included.
std::optional<std::vector<Program>> load_cpp_file(const std::string& path, const CppOptions& options,
                                                  Diagnostics& diags, std::string& rendered);

/// As load_cpp_file, for source text held in memory (tests); `filename` names it in messages.
std::optional<std::vector<Program>> load_cpp(const std::string& text, const std::string& filename,
                                             const CppOptions& options, Diagnostics& diags, std::string& rendered);

}  // namespace gg

namespace gg {

/// The options the command line uses for C++ inputs; main() fills clang_args from the
/// arguments after `--` (`gradgen explain model.cpp -- -DN=4`).
CppOptions& command_line_cpp_options();

/// The one Program of a C++ file for the subcommands that take one network: the file must
/// mark exactly one function (or options.function must name one); else an error like load_cpp_file's.
std::optional<Program> load_cpp_network(const std::string& path, const CppOptions& options, Diagnostics& diags,
                                        std::string& rendered);

}  // namespace gg
