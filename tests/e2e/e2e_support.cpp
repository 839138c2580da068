// End-to-end helpers: pipeline, unity builds of several generated networks, comparisons.
#include "e2e_support.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontend/grad/load.h"
#include "passes/bind_dims.h"
#include "passes/pipeline.h"
#include "support/diagnostics.h"

namespace e2e {
namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace {

// Deterministic values in [lo, hi) (splitmix64), independent of the interpreter's streams.
struct Rand {
  uint64_t s;
  double next(double lo, double hi) {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return lo + (hi - lo) * static_cast<double>(z >> 11) / 9007199254740992.0;
  }
};

}  // namespace

std::unique_ptr<Net> finish(std::unique_ptr<Net> n, gg::DimBindings bind, const char* precision, uint64_t seed,
                            gg::cpp::GemmBackend gemm = gg::cpp::GemmBackend::Gradgen, bool fuse_step = false);

std::string mlp3(const Mlp3& m, const std::string& optimizer) {
  return fmt::format(
      "network {0}\ndim n\ninput X[n, {1}]\ntarget Y[n, {4}]\nparam W1[{1}, {2}]\n"
      "param b1[{2}] init=uniform(-0.1, 0.1)\nparam W2[{2}, {3}]{5}\nparam b2[{3}] init=uniform(-0.1, 0.1)\n"
      "param W3[{3}, {4}]\nparam b3[{4}]\nh1 = relu(X @ W1 + b1)\nh2 = sigmoid(h1 @ W2 + b2)\nz = h2 @ W3 + b3\n"
      "output scores = z\nloss J = cross_entropy(z, Y)\n{6}optimizer {7}\n",
      m.name, m.in, m.h1, m.h2, m.out, m.w2_attrs, m.grad_x ? "grad X\n" : "", optimizer);
}

std::string fuse_net(const std::string& optimizer) { return mlp3({"fusenet", 32, 24, 32, 3, " lr=0.05"}, optimizer); }

std::unique_ptr<Net> build_net(const std::string& text, const std::string& file, gg::DimBindings bind,
                               const char* precision, uint64_t seed, bool blas, bool fuse_step) {
  return build_net(text, file, bind, precision, seed, blas ? gg::cpp::GemmBackend::Blas : gg::cpp::GemmBackend::Gradgen,
                   fuse_step);
}

std::unique_ptr<Net> build_net(const std::string& text, const std::string& file, gg::DimBindings bind,
                               const char* precision, uint64_t seed, gg::cpp::GemmBackend gemm, bool fuse_step) {
  auto n = std::make_unique<Net>();
  n->file = file;
  gg::Diagnostics diags;
  auto p = gg::load_grad(text, file, diags);
  if (!p) FAIL("network does not load:\n" << diags.render() << "\n" << text);
  n->program = std::move(*p);
  return finish(std::move(n), bind, precision, seed, gemm, fuse_step);
}

std::unique_ptr<Net> build_net(gg::Program program, const char* precision, uint64_t seed) {
  auto n = std::make_unique<Net>();
  n->file = program.source_file;
  n->program = std::move(program);
  return finish(std::move(n), {}, precision, seed);
}

std::unique_ptr<Net> finish(std::unique_ptr<Net> n, gg::DimBindings bind, const char* precision, uint64_t seed,
                            gg::cpp::GemmBackend gemm, bool fuse_step) {
  gg::Program& prog = n->program;
  const std::string& file = n->file;
  std::vector<std::string> declared = prog.dims;
  if (!bind.empty()) gg::bind_dims(prog, bind);
  if (precision) prog.precision = std::string(precision) == "f64" ? gg::Precision::F64 : gg::Precision::F32;
  gg::differentiate_and_optimize(prog, gg::PipelineOptions{});
  n->eqs = gg::build_equations(prog);
  gg::cpp::CppOptions o;
  o.dim_args = declared;
  o.bound = bind;
  o.source = file;
  o.gemm = gemm;
  o.fuse_step = fuse_step;
  n->api = gg::cpp::describe_cpp(prog, n->eqs, o);
  n->files = gg::cpp::emit_cpp(prog, n->eqs, o);
  for (const std::string& d : declared) n->dims[d] = bind.count(d) ? bind.at(d) : 3;
  Rand r{seed};
  for (const gg::Leaf& l : prog.leaves) {
    if (l.kind == gg::LeafKind::Param) continue;
    gg::Tensor t = gg::Tensor::zeros(gg::concrete(l.node->shape, n->dims));
    for (double& x : t.data) x = r.next(0.1, 0.9);
    n->values[l.name] = t;
  }
  n->values = gg::complete_params(prog, n->values, seed, n->dims);
  return n;
}

std::vector<std::string> compilers() {
  std::vector<std::string> out;
  for (const char* c : {"g++", "clang++"})
    if (fs::exists(std::string("/usr/bin/") + c)) out.push_back(c);
  return out;
}

gg::cpp::ProcessResult compile(const std::string& compiler, const std::vector<std::string>& sources,
                               const std::string& exe, const std::string& include_dir,
                               const std::vector<std::string>& extra) {
  std::vector<std::string> argv{compiler, "-std=c++17", "-Wall", "-Wextra", "-Wpedantic", "-Wconversion", "-Wdouble-promotion", "-Wshadow", "-Werror",
                                "-I" + gg::runtime_include_dir(), "-I" + include_dir};
  // Libraries (-lNAME) go after the sources that need them.
  for (const std::string& e : extra)
    if (e.rfind("-l", 0) != 0) argv.push_back(e);
  argv.insert(argv.end(), sources.begin(), sources.end());
  for (const std::string& e : extra)
    if (e.rfind("-l", 0) == 0) argv.push_back(e);
  argv.push_back("-o");
  argv.push_back(exe);
  return gg::cpp::run_process(argv, fs::path(exe).parent_path().string());
}

void check_strict(const std::string& compiler, const gg::cpp::TempDir& dir, const std::string& unity) {
  gg::cpp::write_text(dir.file("strict.cpp"), unity);
  std::vector<std::string> argv{compiler, "-std=c++17", "-fsyntax-only", "-Wall", "-Wextra", "-Wpedantic", "-Wconversion",
                                "-Wsign-conversion", "-Wdouble-promotion", "-Wshadow", "-Wold-style-cast", "-Wcast-qual",
                                "-Wcast-align", "-Wnull-dereference", "-Wformat=2", "-Werror",
                                "-I" + gg::runtime_include_dir(), "-I" + dir.path(), dir.file("strict.cpp")};
  if (compiler.find("clang") == std::string::npos)  // GCC-only warnings
    argv.insert(argv.begin() + 1, {"-Wuseless-cast", "-Wlogical-op", "-Wduplicated-cond", "-Wduplicated-branches"});
  auto r = gg::cpp::run_process(argv, dir.path());
  if (r.exit_code != 0) FAIL(compiler << " -fsyntax-only with strict warnings failed:\n" << r.err.substr(0, 6000));
}

std::vector<gg::cpp::DriverOutput> compile_and_run(const std::vector<Net*>& nets, const std::string& compiler,
                                                   bool feed_params, const std::string& extra_flags) {
  gg::cpp::TempDir dir("gradgen-e2e");
  std::vector<gg::cpp::DriverCase> cases;
  std::string unity;
  for (Net* n : nets) {
    gg::cpp::write_text(dir.file(n->files.base + ".hpp"), n->files.hpp);
    gg::cpp::write_text(dir.file(n->files.base + ".cpp"), n->files.cpp);
    gg::cpp::write_text(dir.file(n->files.base + ".h"), n->files.h);
    unity += "#include \"" + n->files.base + ".cpp\"\n";
    gg::cpp::DriverCase c{&n->api, {}, n->dims, 1, true};
    for (const auto& [name, t] : n->values) {
      const gg::Leaf* l = n->program.find_leaf(name);
      if (l->kind == gg::LeafKind::Param && !feed_params) continue;
      c.values[name] = t.data;
    }
    cases.push_back(c);
  }
  check_strict(compiler, dir, unity);
  gg::cpp::write_text(dir.file("driver.cpp"), unity + gg::cpp::driver_source(cases));
  std::vector<std::string> extra;
  std::istringstream words(extra_flags);
  for (std::string w; words >> w;) extra.push_back(w);
  auto built = compile(compiler, {dir.file("driver.cpp")}, dir.file("driver"), dir.path(), extra);
  if (built.exit_code != 0) {
    for (Net* n : nets) UNSCOPED_INFO(n->file << ":\n" << n->files.cpp);
    FAIL(compiler << " failed:\n" << built.err.substr(0, 6000));
  }
  auto ran = gg::cpp::run_process({dir.file("driver")}, dir.path());
  REQUIRE(ran.exit_code == 0);
  auto out = gg::cpp::parse_driver_output(ran.out);
  REQUIRE(out.size() == nets.size());
  return out;
}

gg::EvalResult interpret(const Net& n) { return gg::evaluate(n.program, n.values, n.program.precision); }

namespace {

void compare_tensor(const std::string& what, const std::vector<double>& got, const std::vector<double>& want,
                    double tol) {
  REQUIRE(got.size() == want.size());
  // A tensor that is zero or cancels to about zero is held to magnitude 0.01: optimised builds
  // contract a*b + c into FMAs differently where a value is recomputed, and their rounding is
  // then all there is (f32: 1e-8 against 0 through a one-class log_softmax, random row net
  // rb212; f64: -3e-18 against 2e-17, random net rnd221).
  double scale = 0.01;
  for (double w : want) scale = std::max(scale, std::fabs(w));
  for (size_t i = 0; i < got.size(); ++i) {
    double a = got[i], b = want[i];
    if (std::isnan(a) && std::isnan(b)) continue;
    double err = std::fabs(a - b);
    if (!(err <= tol * (std::fabs(a) + std::fabs(b)) + tol * scale))
      FAIL(what << "[" << i << "]: compiled " << a << " vs interpreter " << b << " (tol " << tol << ")");
  }
}

}  // namespace

void compare(const Net& n, const gg::cpp::DriverOutput& got, const gg::EvalResult& want, double tol) {
  INFO(n.file);
  REQUIRE(got.status == 0);
  compare_tensor("loss", {got.loss}, {want.loss}, tol);
  for (const auto& [name, t] : want.outputs) {
    REQUIRE(got.outputs.count(name));
    compare_tensor("output " + name, got.outputs.at(name), t.data, tol);
  }
  for (const auto& [name, t] : want.grads) {
    REQUIRE(got.grads.count(name));
    compare_tensor("grad " + name, got.grads.at(name), t.data, tol);
  }
}

void set_batch(Net& n, int64_t rows, uint64_t seed) {
  n.dims["n"] = rows;
  for (const gg::Leaf& l : n.program.leaves) {
    if (l.kind == gg::LeafKind::Param) continue;
    gg::Tensor t = gg::Tensor::zeros(gg::concrete(l.node->shape, n.dims));
    for (double& x : t.data) x = 0.1 + 0.8 * (0.5 + 0.5 * std::sin(0.37 * static_cast<double>(++seed)));
    n.values[l.name] = t;
  }
}

std::string fuse_step_function(const std::string& fn, const std::string& ns, int64_t x_width, int64_t y_width,
                               const std::string& fill, int64_t n, bool bound, int steps) {
  std::ostringstream d;
  d << "static int " << fn << "() {\n  using namespace " << ns << ";\n  const std::int64_t n = " << n << ";\n"
    << "  std::vector<Scalar> X(n * " << x_width << "), Y(n * " << y_width << ");\n"
    << fill << "  Params a; init(a, 11); Params b = a, a0 = a;\n  Grads ga{}, gb{};\n  OptState sa{}, sb{};\n"
    << "  std::vector<Scalar> ws(workspace_size(" << (bound ? "" : "n") << "));\n"
    << "  double dl = 0, dr = 0, dp = 0, moved = 0;\n"
    << "  for (int k = 0; k < " << steps << "; ++k) {\n"
    << "    Scalar la = 0, lb = 0;\n"
    << "    if (loss_and_grad(a, X.data(), Y.data(), n, la, ga, WorkspaceRef(ws.data(), ws.size())) != kOk) return 1;\n"
    << "    if (step(a, ga, sa) != kOk) return 2;\n"
    << "    if (train_step(b, X.data(), Y.data(), n, lb, gb, sb, WorkspaceRef(ws.data(), ws.size())) != kOk) return 3;\n"
    << "    dl = std::fmax(dl, std::fabs(double(la) - double(lb)));\n"
    << "    dr = std::fmax(dr, std::fabs(double(la) - double(lb)) / (1 + std::fabs(double(la))));\n  }\n"
    << "  for (std::size_t i = 0; i < Params::size(); ++i) {\n"
    << "    dp = std::fmax(dp, std::fabs(double(a.data()[i]) - double(b.data()[i])));\n"
    << "    moved = std::fmax(moved, std::fabs(double(a.data()[i]) - double(a0.data()[i])));\n  }\n"
    << "  std::printf(\"" << fn << " %.17g %.17g %.17g %.17g\\n\", dp, dl, dr, moved);\n  return 0;\n}\n";
  return d.str();
}

FuseOutcome read_fuse_outcome(std::istream& in) {
  FuseOutcome o;
  in >> o.fn >> o.param_diff >> o.loss_diff >> o.rel_loss_diff >> o.moved;
  return o;
}

FuseOutcome run_fuse_step(const Net& n, int64_t x_width, int64_t y_width, const std::string& fill, int64_t batch,
                          bool bound, int steps, const std::vector<std::string>& extra) {
  gg::cpp::TempDir dir("gradgen-fuse");
  gg::cpp::write_text(dir.file(n.files.base + ".hpp"), n.files.hpp);
  gg::cpp::write_text(dir.file(n.files.base + ".cpp"), n.files.cpp);
  gg::cpp::write_text(dir.file(n.files.base + ".h"), n.files.h);
  gg::cpp::write_text(dir.file("driver.cpp"),
                      "#include \"" + n.files.base + ".cpp\"\n#include <cmath>\n#include <cstdio>\n#include <vector>\n" +
                          fuse_step_function("check", n.files.base, x_width, y_width, fill, batch, bound, steps) +
                          "int main() { return check(); }\n");
  auto built = compile("g++", {dir.file("driver.cpp")}, dir.file("driver"), dir.path(), extra);
  if (built.exit_code != 0) FAIL("g++ failed:\n" << built.err.substr(0, 6000) << "\n" << n.files.cpp);
  auto ran = gg::cpp::run_process({dir.file("driver")}, dir.path());
  REQUIRE(ran.exit_code == 0);
  std::istringstream out(ran.out);
  return read_fuse_outcome(out);
}

}  // namespace e2e
