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
#include "support/files.h"

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

/// The three-layer network the GEMM, BLAS and fused-step tests share: X[n, in] -> relu(h1)
/// -> sigmoid(h2) -> linear z over `out` classes, cross-entropy, `output scores = z`.
/// `w2_attrs` follows W2's declaration (e.g. " lr=0.05"); `grad_x` adds `grad X`.
struct Mlp3 {
  std::string name;
  int in, h1, h2, out;
  std::string w2_attrs = "";
  bool grad_x = false;
};
std::string mlp3(const Mlp3& m, const std::string& optimizer);

/// The 32 -> 24 -> 32 -> 3 `fusenet` (W2 with its own lr) of the fused-step tests: W1's and
/// W2's products are GEMM-sized, W3's is not.
std::string fuse_net(const std::string& optimizer);

/// Loads `text` (throws with the rendered diagnostics on error), binds, differentiates,
/// simplifies and emits. `declared_dims` sizes for the test point: 3 unless bound. `blas`:
/// generate with --blas (link the driver with -lopenblas); `fuse_step`: with --fuse-step.
std::unique_ptr<Net> build_net(const std::string& text, const std::string& file, gg::DimBindings bind = {},
                               const char* precision = nullptr, uint64_t seed = 1, bool blas = false,
                               bool fuse_step = false);

/// The same with the GEMM backend named (--gemm gradgen|blas|loops; `blas` above is Blas or
/// the default Gradgen).
std::unique_ptr<Net> build_net(const std::string& text, const std::string& file, gg::DimBindings bind,
                               const char* precision, uint64_t seed, gg::cpp::GemmBackend gemm, bool fuse_step);

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

/// Checks that `unity` (a translation unit including generated .cpp files from `dir`) compiles
/// with no warning under `compiler` with the warnings of strict code bases on top of compile()'s
/// (-Wsign-conversion, -Wold-style-cast, -Wuseless-cast, ...), -fsyntax-only. FAILs otherwise.
void check_strict(const std::string& compiler, const gg::cpp::TempDir& dir, const std::string& unity);

/// The interpreter's loss, outputs and grads at the net's point (f64 or f32 emulation).
gg::EvalResult interpret(const Net& n);

/// Checks compiled against interpreted results: |a − b| ≤ tol·(|a| + |b|) + tol·scale, scale
/// being the largest magnitude in the tensor, at least 0.01 (a tensor of about zeros); reports the
/// first mismatch.
void compare(const Net& n, const gg::cpp::DriverOutput& got, const gg::EvalResult& want, double tol);

/// The compilers the e2e tests use (g++ and clang++ when installed).
std::vector<std::string> compilers();

std::string read_file(const std::string& path);

/// Sets the net's point to `rows` rows: dim n = rows and new inputs and targets in (0.1, 0.9)
/// (0.5 + 0.4 sin(0.37 k), k counting up from `seed` + 1); params unchanged.
void set_batch(Net& n, int64_t rows, uint64_t seed);

/// train_step against loss_and_grad + step (--fuse-step): the text of `static int FN()`, which
/// takes network NS (its .cpp included before) `steps` steps both ways from one init (seed 11)
/// and prints "FN <largest param difference> <largest loss difference> <the same relative to
/// 1 + |loss|> <how far the params moved>" (so a no-op cannot pass); it returns 1..3 for the
/// call that failed. X[n, x_width] and Y[n, y_width] start at zero; `fill` (statements that see
/// X, Y and n) sets them.
std::string fuse_step_function(const std::string& fn, const std::string& ns, int64_t x_width, int64_t y_width,
                               const std::string& fill, int64_t n, bool bound, int steps);

/// What one fuse_step_function printed.
struct FuseOutcome {
  std::string fn;
  double param_diff = 1, loss_diff = 1, rel_loss_diff = 1, moved = 0;
};
FuseOutcome read_fuse_outcome(std::istream& in);

/// fuse_step_function for one net, compiled with g++ (`extra`: link flags) and run; REQUIREs success.
FuseOutcome run_fuse_step(const Net& n, int64_t x_width, int64_t y_width, const std::string& fill, int64_t batch,
                          bool bound, int steps, const std::vector<std::string>& extra = {});

}  // namespace e2e
