// Shared helpers of the end-to-end tests: .grad text -> generated C++ -> compiled driver ->
// results, and the same network through the reference interpreter for comparison.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "emit/cpp_build.h"
#include "emit/cpp_driver.h"
#include "emit/cpp_emit.h"
#include "interp/interpreter.h"

namespace e2e {

/// One network taken through the whole pipeline, with a point to evaluate it at.
struct Net {
  std::string file;  // as given in the banner
  gg::Program program;
  gg::EquationSet eqs;
  gg::cpp::CppApi api;
  gg::cpp::CppFiles files;
  gg::DimBindings dims;  // values of every declared dim for the test point
  gg::Values values;     // inputs, targets and params at the test point
};

/// Loads `text` (throws with the rendered diagnostics on error), binds, differentiates,
/// simplifies and emits. `declared_dims` sizes for the test point: 3 unless bound. `blas`:
/// generate with --blas (link the driver with -lopenblas); `fuse_step`: with --fuse-step.
std::unique_ptr<Net> build_net(const std::string& text, const std::string& file, gg::DimBindings bind = {},
                               const char* precision = nullptr, uint64_t seed = 1, bool blas = false,
                               bool fuse_step = false);

/// The same for a Program built by hand (names the front end would reject, e.g. C++ keywords).
std::unique_ptr<Net> build_net(gg::Program program, const char* precision = nullptr, uint64_t seed = 1);

/// Generates every net into `dir`, writes a unity translation unit including all their .cpp
/// files plus a driver, compiles it with `compiler` and runs it. `feed_params`: pass the
/// params explicitly (else the driver initialises them with `seed`). REQUIREs success.
std::vector<gg::cpp::DriverOutput> compile_and_run(const std::vector<Net*>& nets, const std::string& compiler,
                                                   bool feed_params, const std::string& extra_flags = "");

/// Compiles `sources` (paths) with strict warnings into `exe`; returns the compiler's result.
gg::cpp::ProcessResult compile(const std::string& compiler, const std::vector<std::string>& sources,
                               const std::string& exe, const std::string& include_dir,
                               const std::vector<std::string>& extra = {});

/// The interpreter's loss, outputs and grads at the net's point (f64 or f32 emulation).
gg::EvalResult interpret(const Net& n);

/// Checks compiled against interpreted results: |a − b| ≤ tol·(|a| + |b|) + tol·scale, scale
/// being the largest magnitude in the tensor; reports the first mismatch.
void compare(const Net& n, const gg::cpp::DriverOutput& got, const gg::EvalResult& want, double tol);

/// The compilers the e2e tests use (g++ and clang++ when installed).
std::vector<std::string> compilers();

std::string read_file(const std::string& path);

}  // namespace e2e
