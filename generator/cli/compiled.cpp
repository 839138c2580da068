// Compiled mode of `eval` and `check` (the default): generate the network's C++ into a private
// temporary directory, write a driver main(), compile both with $CXX (argv, no shell), run the
// program, read its results back, and remove the directory on every path.
#include "cli/compiled.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <gradgen/init.hpp>
#include <iostream>

#include "cli/common.h"
#include "cli/eval_json.h"
#include "cli/feed.h"
#include "cli/generate.h"
#include "emit/cpp_build.h"
#include "emit/cpp_driver.h"
#include "interp/interpreter.h"
#include "support/error.h"
#include "support/files.h"

namespace gg::cli {
namespace {

// "exit status 3", "killed by signal 11", "could not be started" (run_process's codes).
std::string exit_text(int code) {
  if (code == -1) return "it could not be started";
  if (code > 128) return "killed by signal " + std::to_string(code - 128);
  return "exit status " + std::to_string(code);
}

// Whether $CXX builds a minimal C++17 program that runs: "" if so, else what went wrong, and
// the compiler's messages in `details`. A compiler that cannot (CXX=/bin/true, CXX="g++ -E")
// is the environment's problem, not gradgen's.
std::string minimal_program_fails(const cpp::TempDir& dir, std::string& details) {
  cpp::write_text(dir.file("minimal.cpp"), "#include <vector>\nint main() { return std::vector<int>(1).at(0); }\n");
  std::vector<std::string> minimal = cpp::cxx_command();
  for (const std::string& a : {std::string("-std=c++17"), dir.file("minimal.cpp"), std::string("-o"), dir.file("minimal")})
    minimal.push_back(a);
  const cpp::ProcessResult built = cpp::run_process(minimal, dir.path());
  details = built.err.substr(0, 4000);
  if (built.exit_code != 0) return "cannot build a minimal C++17 program";
  const cpp::ProcessResult ran = cpp::run_process({dir.file("minimal")}, dir.path());
  if (ran.exit_code != 0) return "builds a minimal C++17 program that does not run (" + exit_text(ran.exit_code) + ")";
  return "";
}

// Throws for a step of building or running the generated code that failed (`what`): an
// environment error when $CXX cannot build a minimal program either, else a gradgen bug.
[[noreturn]] void refuse_failure(const cpp::TempDir& dir, const std::string& what) {
  std::string details;
  const std::string why = minimal_program_fails(dir, details);
  if (why.empty()) throw InternalError(what);
  std::string cxx;
  for (const std::string& a : cpp::cxx_command()) cxx += (cxx.empty() ? "" : " ") + a;  // with its arguments
  throw InputError("the C++ compiler '" + cxx + "' " + why + " (set $CXX to a C++ compiler, or use --interp)" +
                   (details.empty() ? "" : ":\n" + details));
}

// After the generated code failed to build: a compiler that crashed, or that cannot build a
// minimal program, is the environment's problem (exit 1, with what to do); else the generated
// code is at fault, a gradgen bug.
[[noreturn]] void refuse_compile_failure(const std::vector<std::string>& argv, const cpp::TempDir& dir,
                                         const std::string& err) {
  const std::string shown = err.substr(0, 4000);
  if (err.find("internal compiler error") != std::string::npos)
    throw InputError("the C++ compiler '" + argv[0] + "' crashed on the generated code (set $CXX to another " +
                     "compiler, or use --interp):\n" + shown);
  refuse_failure(dir, "the generated code did not compile with '" + argv[0] + "':\n" + shown);
}

// The folder the generated code is compiled in: one that cannot be made is the environment's
// problem (exit 1), not gradgen's.
cpp::TempDir make_temp_dir() {
  try {
    return cpp::TempDir("gradgen-eval");
  } catch (const std::runtime_error& e) {
    throw InputError(std::string(e.what()) + " (set $TMPDIR to a writable folder, or use --interp)");
  }
}

// -O1, but -O0 for a C++ function's long unrolled code (a loop of thousands of steps is one
// straight-line function, whose register allocation GCC's -O1 does in more than linear time:
// 4000 steps took 43 s to compile, against 1.5 s at -O0). The code runs once, on small data.
const char* optimization(const GeneratedCode& g) {
  constexpr size_t kLongUnrolled = size_t(256) << 10;
  return g.program.flat_values && g.files.cpp.size() > kLongUnrolled ? "-O0" : "-O1";
}

// Builds and runs `c` for the generated network `g`; returns its one result.
cpp::DriverOutput run_compiled(const GeneratedCode& g, const cpp::DriverCase& c) {
  const cpp::InterruptGuard interrupts;  // Ctrl-C while compiling still removes `dir`
  cpp::TempDir dir = make_temp_dir();
  const cpp::CppFiles& f = g.files;
  cpp::write_text(dir.file(f.base + ".hpp"), f.hpp);
  cpp::write_text(dir.file(f.base + ".cpp"), f.cpp);
  cpp::write_text(dir.file(f.base + ".h"), f.h);
  cpp::write_text(dir.file("driver.cpp"), cpp::driver_source({c}));
  std::vector<std::string> argv = cpp::cxx_command();
  argv.push_back("-std=c++17");
  argv.push_back(optimization(g));
  argv.push_back("-I" + runtime_include_dir());
  argv.push_back("-I" + dir.path());
  argv.push_back(dir.file("driver.cpp"));
  argv.push_back(dir.file(f.base + ".cpp"));
  argv.push_back("-o");
  argv.push_back(dir.file("driver"));
  cpp::ProcessResult built = cpp::run_process(argv, dir.path());
  if (built.exit_code < 0)
    throw InputError("cannot run the C++ compiler '" + argv[0] + "' (set $CXX, or use --interp)");
  if (built.exit_code != 0) refuse_compile_failure(argv, dir, built.err);
  cpp::ProcessResult ran = cpp::run_process({dir.file("driver")}, dir.path());
  if (ran.exit_code != 0) refuse_failure(dir, "the compiled network did not run (" + exit_text(ran.exit_code) + ")");
  std::vector<cpp::DriverOutput> out = cpp::parse_driver_output(ran.out);
  if (out.size() != 1) throw InternalError("the compiled network printed no result");
  if (out[0].status != 0)
    throw InternalError("the compiled network returned status " + std::to_string(out[0].status));
  return out[0];
}

Tensor as_tensor(const Shape& s, const DimBindings& dims, std::vector<double> data) {
  return Tensor{concrete(s, dims), std::move(data)};
}

EvalResult to_result(const GeneratedCode& g, const cpp::DriverOutput& o, const DimBindings& dims) {
  EvalResult r;
  r.loss = o.loss;
  r.dims = dims;
  for (const cpp::ApiTensor& t : g.api.outputs) r.outputs[t.name] = as_tensor(t.shape, dims, o.outputs.at(t.name));
  for (const cpp::ApiTensor& t : g.api.params) r.grads[t.name] = as_tensor(t.shape, dims, o.grads.at(t.name));
  for (const cpp::ApiTensor& t : g.api.grad_inputs) r.grads[t.name] = as_tensor(t.shape, dims, o.grads.at(t.name));
  return r;
}

cpp::DriverCase make_case(const GeneratedCode& g, const Values& fed, const DimBindings& dims, uint64_t seed) {
  cpp::DriverCase c{&g.api, {}, {}, seed, true};
  for (const auto& [name, t] : fed) c.values[name] = t.data;
  for (const std::string& d : g.api.dims) c.dims[d] = dims.at(d);
  return c;
}

}  // namespace

int eval_compiled(const EvalRequest& r) {
  Program loaded = load_network(r.network);
  Values fed = read_feed(r.feed);
  fit_cpp_feed(loaded, fed);
  DimBindings dims = feed_dims(loaded, fed, r.feed);
  require_initialisable(loaded, fed, dims);
  // A declared dim that no tensor uses is still an argument of the generated API: any size serves.
  for (const std::string& d : loaded.dims) dims.try_emplace(d, 1);
  // A param's symbolic dims take the sizes the feed gives them (the code is specialised for
  // them; the API still takes them as arguments).
  DimBindings param_dims;
  for (const std::string& d : dims_of_params(loaded)) param_dims[d] = dims.at(d);
  GeneratedCode g = generate_code(std::move(loaded), GenerateRequest{r.network, param_dims, r.precision, ""});
  require_evaluable(g.program, dims, "eval");
  require_f32_range(g.program, names_of(fed), r.precision.has_value());
  if (g.program.precision == Precision::F32) require_f32_feed(fed, r.feed, is_cpp_input(r.network));
  complete_params(g.program, fed, r.seed, dims);  // reports a bad init= like the interpreter does
  cpp::DriverOutput out = run_compiled(g, make_case(g, fed, dims, r.seed));
  const EvalResult result = to_result(g, out, dims);
  std::cout << eval_json(g.program, result);
  std::cerr << nonfinite_note(g.program, result);
  return kOk;
}

namespace {

// The loss (in f64) a step of h = 1e-6 · max(1, |x|) either side of element i of `name`; v is
// restored.
struct LossBeside {
  double up, down, h;
};
LossBeside loss_beside(const Program& p, Values& v, const DimBindings& dims, const std::string& name, size_t i) {
  double& x = v.at(name).data[i];
  const double x0 = x, h = 1e-6 * std::max(1.0, std::fabs(x0));
  x = x0 + h;
  const double up = Interpreter(v, dims, Precision::F64).eval(p.loss).data.at(0);
  x = x0 - h;
  const double down = Interpreter(v, dims, Precision::F64).eval(p.loss).data.at(0);
  x = x0;
  return {up, down, h};
}

}  // namespace

double central_difference(const Program& p, Values& v, const DimBindings& dims, const std::string& name, size_t i) {
  const LossBeside b = loss_beside(p, v, dims, name, i);
  return (b.up - b.down) / (2 * b.h);
}

std::string not_differentiable_reason(const Program& p, Values& v, const DimBindings& dims, const std::string& name,
                                      size_t i, double loss) {
  if (!std::isfinite(loss)) return "";  // nonfinite_loss_note says so
  const auto [up, down, h] = loss_beside(p, v, dims, name, i);
  if (!std::isfinite(up) || !std::isfinite(down))
    return "the loss is not finite a step of h away: the point is at the edge of a function's domain (as sqrt or "
           "log at 0, bce at 0 or 1)";
  if (up == loss && down == loss)
    return "the loss is the same at x - h, x and x + h: it is flat to double precision here (as sigmoid or tanh far "
           "into saturation), so the difference cannot show the gradient";
  const double right = (up - loss) / h, left = (loss - down) / h;
  if (fd_agrees(left, right, loss)) return "";
  return "the slopes on the two sides are " + number_text(left) + " and " + number_text(right) +
         ": the loss is not differentiable here (as relu or abs at 0), and the gradient follows PyTorch's convention there";
}

bool fd_agrees(double g, double fd, double loss) {
  return std::fabs(g - fd) <= 1e-4 * std::max(std::fabs(g), std::fabs(fd)) + 1e-6 * std::max(1.0, std::fabs(loss));
}

Values check_point(const Program& p, uint64_t seed, const DimBindings& dims, Values* drawn) {
  Values v = init_params(p, seed, dims);
  for (const Leaf& l : p.leaves) {
    // A param that starts at zero however its init says so (zeros, constant(0), normal(0, 0)).
    auto is_zero = [](double x) { return x == 0; };
    if (l.kind == LeafKind::Param && l.init.kind != "zeros" &&
        !std::all_of(v.at(l.name).data.begin(), v.at(l.name).data.end(), is_zero))
      continue;
    Tensor t = Tensor::zeros(concrete(l.node->shape, dims));
    rt::Rng rng(seed, "check:" + l.name);
    for (double& x : t.data) x = rng.uniform(0.1, 1.0);
    if (drawn) (*drawn)[l.name] = t;
    v[l.name] = std::move(t);
  }
  return v;
}

DimBindings check_dims(const std::vector<std::string>& names, const DimBindings& bind) {
  DimBindings dims;
  for (const std::string& d : names) dims[d] = bind.count(d) ? bind.at(d) : kCheckDefaultDim;
  return dims;
}

CompiledGrads compiled_check_grads(const CheckRequest& req) {
  // Generated code has fixed-size params: a dim their shapes use that --bind leaves open is
  // bound to 4, the size `check --interp` gives every open dim.
  Program loaded = load_network(req.network);
  DimBindings bind = req.bind;
  for (const std::string& d : dims_of_params(loaded)) bind.try_emplace(d, kCheckDefaultDim);
  GeneratedCode g = generate_code(std::move(loaded), GenerateRequest{req.network, bind, Precision::F64, ""});
  CompiledGrads c;
  c.dims = check_dims(g.api.dims, bind);
  require_evaluable(g.program, c.dims, "check");
  Values fed;
  c.point = check_point(g.program, req.seed, c.dims, &fed);
  cpp::DriverOutput out = run_compiled(g, make_case(g, fed, c.dims, req.seed));
  c.loss = out.loss;
  std::vector<std::string> names;
  for (const cpp::ApiTensor& t : g.api.params) names.push_back(t.name);
  for (const cpp::ApiTensor& t : g.api.grad_inputs) names.push_back(t.name);
  for (const std::string& name : names) {
    Tensor grad = Tensor::zeros(c.point.at(name).shape);
    grad.data = out.grads.at(name);
    c.grads.emplace_back(name, std::move(grad));
  }
  c.program = std::move(g.program);
  return c;
}

}  // namespace gg::cli
