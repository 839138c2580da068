// `gradgen generate NET.grad [-o DIR] [--bind n=64] [--precision f64] [--namespace NS]`, and
// the shared front half (load, bind, differentiate, simplify, emit) that compiled eval/check reuse.
#pragma once

#include <optional>
#include <string>

#include "cli/common.h"
#include "emit/cpp_emit.h"
#include "emit/equations.h"

namespace gg::cli {

struct GenerateRequest {
  std::string network;                 // NET.grad, as given (the banner names it so)
  DimBindings bind;                    // --bind
  std::optional<Precision> precision;  // --precision, overriding the network's
  std::string ns;                      // --namespace; empty: the network name
  cpp::GemmBackend gemm = cpp::GemmBackend::Gradgen;  // --gemm / --blas: who computes large products
  bool fuse_step = false;              // --fuse-step: also emit train_step (update fused into backward)
};

/// A network turned into C++: the program (which owns the nodes), its equations, the API and
/// the three files' text.
struct GeneratedCode {
  Program program;
  EquationSet eqs;
  cpp::CppApi api;
  cpp::CppFiles files;
};

/// Loads, binds, differentiates, simplifies and emits; throws like the subcommands
/// (Reported for .grad errors, InputError, UsageError for a bad --namespace).
GeneratedCode generate_code(const GenerateRequest& r);
/// The same for a network already loaded from r.network (which the banner still names); r.ns
/// is taken as valid: compiled check and eval, which read the network before generating.
GeneratedCode generate_code(Program loaded, const GenerateRequest& r);

/// Writes NAME.hpp, NAME.cpp and NAME.h into `dir` (created if needed) as a set, through
/// write_files_atomic: all or nothing.
void write_generated(const cpp::CppFiles& f, const std::string& dir);

Subcommand add_generate(CLI::App& root);

}  // namespace gg::cli
