// The generated C++/C API of one network as data: names, shapes and argument order of every
// entry point. The emitter renders it; compiled eval/check write their driver from it.
#pragma once

#include <string>
#include <vector>

#include "emit/cpp_plan.h"
#include "emit/equations.h"
#include "ir/program.h"

namespace gg::cpp {

struct CppOptions {
  std::string ns;                     // C++ namespace; empty: the network name
  std::vector<std::string> dim_args;  // every declared dim in declaration order (bound ones too)
  DimBindings bound;                  // --bind: these dims are compile-time constants
  std::string source = "";            // file name as given, for the banner
  GemmBackend gemm = GemmBackend::Gradgen;  // --gemm / --blas: who computes large products
  bool fuse_step = false;             // --fuse-step: also emit train_step (loss_and_grad + step fused)
};

struct ApiTensor {
  std::string name;   // source name
  std::string ident;  // C/C++ identifier (field, argument)
  Shape shape;
  const Node* node = nullptr;
};

struct CppApi {
  std::string base;     // file base name: NAME.hpp, NAME.cpp, NAME.h
  std::string ns;       // C++ namespace
  std::string cprefix;  // C symbol prefix, e.g. "seed_"
  std::string scalar;   // "float" or "double"
  std::vector<std::string> dims;        // dim names, argument order
  std::vector<std::string> dim_idents;
  std::vector<std::string> free_dims;   // dim identifiers that stay run-time sizes (workspace_size args)
  std::vector<ApiTensor> inputs;        // inputs and targets, declaration order (loss_and_grad arguments)
  std::vector<ApiTensor> forward_inputs;
  std::vector<ApiTensor> outputs;       // `output` definitions, source order
  std::vector<ApiTensor> params;
  std::vector<ApiTensor> grad_inputs;   // ident: the dLoss/dX argument name
  std::string loss_name;
  int64_t num_params = 0;               // scalars in Params
};

CppApi make_api(const Program& p, const EquationSet& eqs, const Names& names, const CppOptions& o);

/// A C array declarator suffix for a fixed shape: "[2][3]", "" for a scalar.
std::string array_suffix(const Shape& s);
/// Pointer to the first element of `obj.field` for a fixed shape: "&p.W1[0][0]", "p.b1", "&p.c".
std::string first_elem(const std::string& obj, const std::string& field, const Shape& s);
/// The same for generated code that walks the whole array: "gg::flat(p.W1)" (gradgen/buffer.hpp)
/// from rank 2 on.
std::string flat_elems(const std::string& obj, const std::string& field, const Shape& s);

}  // namespace gg::cpp
