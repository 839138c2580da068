// `gradgen generate`: writes the specialised C++ for a network, all files or none.
#include "cli/generate.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>

#include "emit/cpp_function.h"
#include "emit/cpp_names.h"
#ifdef GRADGEN_HAVE_CLANG
#include "frontend/clang/load_cpp.h"
#endif
#include "passes/bind_dims.h"
#include "passes/pipeline.h"
#include "support/diagnostics.h"
#include "support/error.h"
#include "support/identifiers.h"

namespace gg::cli {
namespace {

// Creates `dir` and its missing parents, writes `files` into it all or nothing, and when the
// write fails removes the folders it created (a full disk left an empty output folder).
void write_output(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& files) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path outermost_new;  // the first folder on the way to dir that does not exist yet
  for (fs::path p = dir; !p.empty() && !fs::exists(fs::symlink_status(p, ec)); p = p.parent_path()) outermost_new = p;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw InputError("cannot create output directory '" + dir + "': " +
                     (ec ? ec.message() : std::string("a file of that name is in the way")));
  try {
    write_files_atomic(dir, files);
  } catch (const InputError&) {
    if (!outermost_new.empty())
      for (fs::path p = dir; fs::remove(p, ec) && p != outermost_new; p = p.parent_path()) {
      }
    throw;
  }
}

// Prints `text` on stdout now, or throws when it cannot be written whole.
void print_or_fail(const std::string& text) {
  std::cout << text;
  if (const std::string failed = flush_stdout(); !failed.empty()) throw InputError(failed + "; no files were written");
}

void check_namespace(const std::string& ns) {
  size_t start = 0;
  while (true) {
    size_t end = ns.find("::", start);
    std::string p = ns.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const bool top = start == 0;  // at global scope, beside the C library's names
    if (!is_identifier(p) || p.find("__") != std::string::npos || p[0] == '_')
      throw UsageError("--namespace expects a C++ namespace name such as 'nets' or 'my::nets', got '" + ns + "'");
    if (cpp::is_reserved(p) || (top && cpp::is_system_global(p)))
      throw UsageError("--namespace '" + ns + "': '" + p + "' is a C++ keyword or a name the " +
                       "C++ or C library or gradgen's runtime (gg) uses; choose another, such as 'nets'");
    if (end == std::string::npos) return;
    start = end + 2;
  }
}

struct GenerateOpts {
  GenerateRequest req;
  std::string out = ".";
  std::vector<std::string> bind;
  std::string precision;
  std::string gemm;
  bool blas = false;
  bool report = false;
};

cpp::GemmBackend parse_gemm(const std::string& gemm, bool blas) {
  if (blas && !gemm.empty() && gemm != "blas")
    throw UsageError("--blas is --gemm blas; it cannot be combined with --gemm " + gemm);
  if (blas || gemm == "blas") return cpp::GemmBackend::Blas;
  return gemm == "loops" ? cpp::GemmBackend::Loops : cpp::GemmBackend::Gradgen;
}

#ifdef GRADGEN_HAVE_CLANG
// A C++ input: NAME_grad.hpp and NAME_grad.cpp for every annotated function (emit/cpp_function.h).
void generate_cpp_functions(const GenerateOpts& o) {
  refuse_grad_only_flags(o.req.network,
                         {{"--bind", !o.bind.empty()},
                          {"--precision", !o.precision.empty()},
                          {"--namespace", !o.req.ns.empty()},
                          {"--gemm", !o.gemm.empty()},
                          {"--blas", o.blas},
                          {"--fuse-step", o.req.fuse_step},
                          {"--report", o.report}},
                         " (which generate NAME_grad)");
  CppOptions copts = command_line_cpp_options();
  std::vector<CppSignature> sigs;
  copts.signatures = &sigs;
  Diagnostics diags;
  std::string rendered;
  auto programs = load_cpp_file(o.req.network, copts, diags, rendered);
  std::cerr << rendered;
  if (!programs) throw Reported{kInputError};
  std::vector<std::pair<std::string, std::string>> files;  // all rendered before any is written
  for (size_t i = 0; i < programs->size(); ++i) {
    Program& p = (*programs)[i];
    differentiate_and_optimize(p, PipelineOptions{});
    require_f32_range(p);  // as eval does: a float function's 1e39 would be emitted as infinity
    cpp::FunctionFiles f = cpp::emit_function_grad(p, build_equations(p), sigs.at(i), o.req.network);
    files.emplace_back(f.base + ".hpp", f.hpp);
    files.emplace_back(f.base + ".cpp", f.cpp);
  }
  write_output(o.out, files);
}
#endif

}  // namespace

GeneratedCode generate_code(const GenerateRequest& r) {
  if (!r.ns.empty()) check_namespace(r.ns);
  return generate_code(load_network(r.network), r);
}

GeneratedCode generate_code(Program loaded, const GenerateRequest& r) {
  GeneratedCode g{std::move(loaded), {}, {}, {}};
  Program& p = g.program;
  std::vector<std::string> declared = p.dims;
  if (!r.bind.empty()) {
    check_bind_flags(p, r.bind);
    bind_dims(p, r.bind);
  }
  if (r.precision) p.precision = *r.precision;
  differentiate_and_optimize(p, PipelineOptions{});
  g.eqs = build_equations(p);
  cpp::CppOptions o;
  o.ns = r.ns;
  o.dim_args = declared;
  o.bound = r.bind;
  o.source = r.network;
  o.gemm = r.gemm;
  o.fuse_step = r.fuse_step;
  g.api = cpp::describe_cpp(p, g.eqs, o);
  g.files = cpp::emit_cpp(p, g.eqs, o);
  return g;
}

void write_generated(const cpp::CppFiles& f, const std::string& dir) {
  write_output(dir, {{f.base + ".hpp", f.hpp}, {f.base + ".cpp", f.cpp}, {f.base + ".h", f.h}});
}

Subcommand add_generate(CLI::App& root) {
  auto o = std::make_shared<GenerateOpts>();
  CLI::App* app = root.add_subcommand("generate", "Write specialised C++ (NAME.hpp, NAME.cpp, NAME.h) for a network");
  app->add_option("NET.grad", o->req.network, kNetworkHelp)->required();
  app->add_option("-o,--output", o->out, "output directory (default: the current one)")
      ->check(require_path);
  add_bind_option(app, o->bind, "fix a symbolic dim, e.g. n=64 (the batch argument must then equal it)");
  app->add_option("--precision", o->precision, "f32 or f64, overriding the network's precision")
      ->check(CLI::IsMember({"f32", "f64"}));
  app->add_option("--namespace", o->req.ns, "C++ namespace of the generated API (default: the network name)")
      ->check([](const std::string& ns) {
        return ns.empty() ? std::string("expects a C++ namespace name such as 'nets' or 'my::nets', got ''") : "";
      });
  app->add_option("--gemm", o->gemm,
                  "who computes large matrix products: gradgen (default: gradgen's blocked kernel, "
                  "gradgen/gemm.hpp), blas (CBLAS; link e.g. -lopenblas) or loops (none: fused loops only)")
      ->check(CLI::IsMember({"gradgen", "blas", "loops"}));
  app->add_flag("--blas", o->blas, "the same as --gemm blas: large matrix products call CBLAS (cblas_sgemm/dgemm)");
  app->add_flag("--fuse-step", o->req.fuse_step, "also emit train_step: loss_and_grad with the optimizer update fused in");
  app->add_flag("--report", o->report, "print the memory plan (params, gradients, optimizer state, saved activations, workspace reuse)");
  return {app, [o] {
#ifdef GRADGEN_HAVE_CLANG
            if (is_cpp_file(o->req.network)) return generate_cpp_functions(*o), kOk;
#endif
            o->req.bind = parse_bindings(o->bind);
            o->req.gemm = parse_gemm(o->gemm, o->blas);
            if (!o->precision.empty()) o->req.precision = parse_precision(o->precision);
            GeneratedCode g = generate_code(o->req);
            require_f32_range(g.program, {}, o->req.precision.has_value());
            require_f32_optimizer(g.program, o->req.precision.has_value());
            // The report first: when it cannot be printed (a full disk), nothing is written.
            if (o->report) print_or_fail(g.files.report);
            write_generated(g.files, o->out);
            return kOk;
          }};
}

}  // namespace gg::cli
