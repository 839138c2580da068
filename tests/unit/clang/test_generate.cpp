// `gradgen generate` on C++ inputs: for every function of the suite, NAME_grad is generated,
// compiled with the suite itself (plain C++) and checked against central finite differences of
// the native function (f64, relative 1e-7); output is deterministic; the CLI subcommands run
// on a C++ example.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "emit/cpp_function.h"
#include "emit/equations.h"
#include "frontend/clang/load_cpp.h"
#include "ir/walk.h"
#include "passes/pipeline.h"

using namespace gg;
namespace fs = std::filesystem;

namespace {

const std::string kSrc = GG_SOURCE_DIR;
const std::string kSuite = kSrc + "/tests/unit/clang/suite.hpp";

struct Generated {
  std::vector<Program> programs;
  std::vector<CppSignature> sigs;
  std::vector<cpp::FunctionFiles> files;
};

Generated generate_suite() {
  Generated g;
  CppOptions o;
  o.signatures = &g.sigs;
  Diagnostics diags;
  std::string rendered;
  auto ps = load_cpp_file(kSuite, o, diags, rendered);
  INFO(rendered);
  REQUIRE(ps);
  g.programs = std::move(*ps);
  REQUIRE(g.sigs.size() == g.programs.size());
  for (size_t i = 0; i < g.programs.size(); ++i) {
    differentiate_and_optimize(g.programs[i], PipelineOptions{});
    g.files.push_back(cpp::emit_function_grad(g.programs[i], build_equations(g.programs[i]), g.sigs[i], "suite.hpp"));
  }
  return g;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

fs::path scratch(const std::string& name) {
  fs::path d = fs::path(GG_BINARY_DIR) / "test_clang_generate" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Runs `cmd` with stdout+stderr to `log`; returns the exit status.
int run(const std::string& cmd, const fs::path& log) {
  int rc = std::system((cmd + " > '" + log.string() + "' 2>&1").c_str());
  return rc;
}

// A parameter declared as a modifiable local: "const double (&X)[4][2]" -> "double (X)[4][2]".
std::string local_decl(const CppParam& cp) {
  std::string d = cp.decl;
  for (size_t at; (at = d.find("const ")) != std::string::npos;) d.erase(at, 6);
  for (size_t at; (at = d.find('&')) != std::string::npos;) d.erase(at, 1);
  return d;
}

// Driver code checking one function: random point, value, and every gradient element vs
// central differences. Prints "FAIL ..." per bad element and "CHECKED name n" at the end.
std::string check_code(const Program& p, const CppSignature& s, int seed) {
  const std::string q = s.ns.empty() ? s.name : s.ns + "::" + s.name;
  std::ostringstream c;
  c << "{\n  std::mt19937_64 gg_rng(" << seed << ");\n  std::uniform_real_distribution<double> gg_u(0.3, 1.2);\n";
  std::vector<std::string> args, grads;
  for (size_t i = 0; i < s.params.size(); ++i) {
    const CppParam& cp = s.params[i];
    int64_t n = *static_numel(p.leaves[i].node->shape);
    if (cp.flat == cp.name) {  // pointer with an extent: storage first
      c << "  " << s.return_type << " " << cp.name << "_store[" << n << "];\n";
      c << "  " << local_decl(cp) << " = " << cp.name << "_store;\n";
    } else {
      c << "  " << local_decl(cp) << "{};\n";
    }
    c << "  " << s.return_type << "* const " << cp.name << "_q = " << cp.flat << ";\n";
    c << "  for (int k = 0; k < " << n << "; ++k) " << cp.name << "_q[k] = static_cast<" << s.return_type
      << ">(gg_u(gg_rng));\n";
    args.push_back(cp.name);
    if (p.leaves[i].kind == LeafKind::Param) {
      c << "  " << s.return_type << " d_" << cp.name << (cp.scalar ? "" : "[" + std::to_string(n) + "]") << "{};\n";
      grads.push_back("d_" + cp.name);
    }
  }
  std::string call_args;
  for (size_t i = 0; i < args.size(); ++i) call_args += (i ? ", " : "") + args[i];
  std::string grad_args = call_args;
  for (const std::string& g : grads) grad_args += ", " + g;
  // A float function, or float values inside a double one: finite differences over float's
  // steps need a coarse step and tolerance.
  bool rounds = false;
  walk_inputs(p.roots(), [&](const Node* n) { return !(rounds = rounds || n->op == Op::ToFloat); });
  bool f32 = s.return_type == "float" || rounds;
  c << "  auto gg_f = [&] { return static_cast<double>(" << q << "(" << call_args << ")); };\n";
  c << "  const double gg_v = " << q << "_grad(" << grad_args << ");\n";
  c << "  if (std::fabs(gg_v - gg_f()) > 1e-12 * std::max(1.0, std::fabs(gg_v))) { std::printf(\"FAIL " << s.name
    << " value %.17g vs %.17g\\n\", gg_v, gg_f()); ++gg_fails; }\n";
  c << "  int checked = 0;\n";
  for (size_t i = 0; i < s.params.size(); ++i) {
    if (p.leaves[i].kind != LeafKind::Param) continue;
    const CppParam& cp = s.params[i];
    int64_t n = *static_numel(p.leaves[i].node->shape);
    c << "  for (int k = 0; k < " << n << "; ++k) {\n";
    c << "    const double g = " << (cp.scalar ? "d_" + cp.name : "d_" + cp.name + "[k]") << ";\n";
    c << "    const auto x0 = " << cp.name << "_q[k];\n";
    c << "    const double h = " << (f32 ? "1e-2" : "1e-6") << " * std::max(1.0, std::fabs(double(x0)));\n";
    c << "    " << cp.name << "_q[k] = static_cast<" << s.return_type << ">(x0 + h); const double fp = gg_f();\n";
    c << "    " << cp.name << "_q[k] = static_cast<" << s.return_type << ">(x0 - h); const double fm = gg_f();\n";
    c << "    " << cp.name << "_q[k] = x0;\n";
    c << "    const double fd = (fp - fm) / (2 * h);\n";
    c << "    if (!(std::fabs(g - fd) <= " << (f32 ? "1e-3" : "1e-7") << " * std::max(1.0, std::fabs(fd)))) {\n";
    c << "      std::printf(\"FAIL " << s.name << " d_" << cp.name << "[%d] = %.17g, finite difference %.17g\\n\", k, g, fd);\n";
    c << "      ++gg_fails;\n    }\n    ++checked;\n  }\n";
  }
  c << "  std::printf(\"CHECKED " << s.name << " %d\\n\", checked);\n}\n";
  return c.str();
}

std::string compiler() {
  const char* cxx = std::getenv("CXX");
  return cxx && *cxx ? cxx : "c++";
}

}  // namespace

TEST_CASE("generated f_grad of every suite function matches finite differences of the native code",
          "[clang][generate]") {
  Generated g = generate_suite();
  fs::path dir = scratch("fd");
  std::string driver = "#include <algorithm>\n#include <cmath>\n#include <cstdio>\n#include <random>\n\n#include \"suite.hpp\"\n";
  std::string sources;
  for (const cpp::FunctionFiles& f : g.files) {
    spit(dir / (f.base + ".hpp"), f.hpp);
    spit(dir / (f.base + ".cpp"), f.cpp);
    driver += "#include \"" + f.base + ".hpp\"\n";
    sources += " '" + (dir / (f.base + ".cpp")).string() + "'";
  }
  driver += "\nint main() {\n  int gg_fails = 0;\n";
  for (size_t i = 0; i < g.programs.size(); ++i) driver += check_code(g.programs[i], g.sigs[i], static_cast<int>(i) + 1);
  driver += "  return gg_fails == 0 ? 0 : 1;\n}\n";
  spit(dir / "driver.cpp", driver);
  std::string flags = " -std=c++17 -O1 -Wall -Wextra -Wpedantic -Werror -I'" + kSrc +
                      "/runtime/include' -I'" + kSrc + "/tests/unit/clang' -I'" + dir.string() + "'";
  std::string build = compiler() + flags + " '" + (dir / "driver.cpp").string() + "'" + sources + " -o '" +
                      (dir / "driver").string() + "'";
  int rc = run(build, dir / "build.log");
  INFO(build << "\n" << slurp(dir / "build.log"));
  REQUIRE(rc == 0);
  rc = run("'" + (dir / "driver").string() + "'", dir / "run.log");
  std::string out = slurp(dir / "run.log");
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("FAIL") == std::string::npos);
  for (const CppSignature& s : g.sigs) CHECK(out.find("CHECKED " + s.name + " ") != std::string::npos);
  // Every function of the brief's list is in the suite.
  for (const char* name : {"rosenbrock", "logistic", "polynomial", "dot", "softmax_xent", "rnn", "branches", "helpers",
                           "seed_arrays", "seed_tensor"})
    CHECK(out.find(std::string("CHECKED ") + name + " ") != std::string::npos);
}

TEST_CASE("generated f_grad is deterministic and documents its signature", "[clang][generate]") {
  Generated a = generate_suite(), b = generate_suite();
  REQUIRE(a.files.size() == b.files.size());
  for (size_t i = 0; i < a.files.size(); ++i) {
    CHECK(a.files[i].hpp == b.files[i].hpp);
    CHECK(a.files[i].cpp == b.files[i].cpp);
  }
  for (size_t i = 0; i < a.files.size(); ++i)
    if (a.sigs[i].name == "rosenbrock") {
      CHECK(a.files[i].hpp.find("double rosenbrock_grad(double x, double y, double& d_x, double& d_y);") !=
            std::string::npos);
      CHECK(a.files[i].cpp.find("// F1: a = 1 − x") != std::string::npos);
      CHECK(a.files[i].cpp.find("// B4: dloss/dx = ") != std::string::npos);
    } else if (a.sigs[i].name == "logistic") {  // only the WRT parameters get gradients
      CHECK(a.files[i].hpp.find("double logistic_grad(const double (&w)[3], double b, const double (&x)[3], double y, "
                                "double* d_w, double& d_b);") != std::string::npos);
    } else if (a.sigs[i].name == "seed_arrays") {  // array gradients are one pack: one store per element
      CHECK(a.files[i].cpp.find("for (") == std::string::npos);
      CHECK(a.files[i].cpp.find("dloss_dW1[5] = ") != std::string::npos);
      CHECK(a.files[i].cpp.find("onehot") == std::string::npos);
    }
}

TEST_CASE("gradgen explain, check, eval and generate run on a C++ example", "[clang][generate][cli]") {
  fs::path dir = scratch("cli");
  const std::string exe = std::string("'") + GG_GRADGEN_EXE + "'";
  const std::string ex = "'" + kSrc + "/examples/cpp/rosenbrock.cpp'";
  CHECK(run(exe + " explain " + ex, dir / "explain.log") == 0);
  CHECK(slurp(dir / "explain.log").find("B") != std::string::npos);
  CHECK(run(exe + " check " + ex + " --interp", dir / "check.log") == 0);
  CHECK(run(exe + " eval " + ex + " --interp", dir / "eval.log") != 2);
  INFO(slurp(dir / "eval.log"));
  REQUIRE(run(exe + " generate " + ex + " -o '" + (dir / "a").string() + "'", dir / "gen.log") == 0);
  REQUIRE(run(exe + " generate " + ex + " -o '" + (dir / "b").string() + "'", dir / "gen2.log") == 0);
  for (const char* f : {"rosenbrock_grad.hpp", "rosenbrock_grad.cpp"}) {
    INFO(f);
    CHECK(!slurp(dir / "a" / f).empty());
    CHECK(slurp(dir / "a" / f) == slurp(dir / "b" / f));
  }
  CHECK(run(exe + " generate " + ex + " --bind n=4 -o '" + (dir / "c").string() + "'", dir / "bind.log") != 0);
}

// float parameters of a double function are read into Scalar copies; a parameter named like
// another's gradient (d_x) or like the body's type alias (Scalar) is renamed in f_grad, whose
// signature stays what the header documents. Values and gradients by hand.
TEST_CASE("f_grad of float parameters in a double function and of names f_grad uses itself", "[clang][generate]") {
  fs::path dir = scratch("mixed");
  spit(dir / "mixed.cpp", R"(#include <gradgen/annotate.hpp>
GRADGEN_DIFFERENTIATE
double mixed(float a, double x, double d_x, double Scalar, const float (&c)[2]) {
  return a * x + d_x * x * Scalar + c[0] * c[1] * a;
}
)");
  const std::string exe = std::string("'") + GG_GRADGEN_EXE + "'";
  REQUIRE(run(exe + " generate '" + (dir / "mixed.cpp").string() + "' -o '" + dir.string() + "'", dir / "gen.log") == 0);
  CHECK(slurp(dir / "mixed_grad.hpp").find("double mixed_grad(float a, double x, double d_x, double Scalar_, const float "
                                           "(&c)[2], double& d_a, double& d_x_, double& d_d_x, double& d_Scalar_, "
                                           "double* d_c);") != std::string::npos);
  spit(dir / "main.cpp", R"(#include <cstdio>
#include "mixed_grad.hpp"
int main() {
  const float c[2] = {0.5f, 4.0f};
  double da, dx, ddx, ds, dc[2];
  const double v = mixed_grad(0.25f, 3.0, 2.0, -1.5, c, da, dx, ddx, ds, dc);
  std::printf("%g %g %g %g %g %g %g\n", v, da, dx, ddx, ds, dc[0], dc[1]);
}
)");
  const std::string build = "g++ -std=c++17 -Wall -Wextra -Werror -I'" + kSrc + "/runtime/include' -I'" + dir.string() +
                            "' '" + (dir / "mixed_grad.cpp").string() + "' '" + (dir / "main.cpp").string() + "' -o '" +
                            (dir / "main").string() + "'";
  INFO(slurp(dir / "build.log"));
  REQUIRE(run(build, dir / "build.log") == 0);
  REQUIRE(run("'" + (dir / "main").string() + "'", dir / "run.log") == 0);
  // f = a·x + d_x·x·S + c0·c1·a at a = 0.25, x = 3, d_x = 2, S = -1.5, c = (0.5, 4).
  CHECK(slurp(dir / "run.log") == "-7.75 5 -2.75 -4.5 6 1 0.125\n");
}

// A function in an anonymous namespace: f_grad goes in the enclosing named namespaces (the
// qualified name of the function would give "namespace (anonymous namespace)").
TEST_CASE("f_grad of a function in an anonymous namespace compiles", "[clang][generate]") {
  fs::path dir = scratch("anonymous");
  spit(dir / "anon.cpp", R"(#include <gradgen/annotate.hpp>
namespace outer {
namespace {
GRADGEN_DIFFERENTIATE double half_square(double x) { return x * x / 2; }
}  // namespace
}  // namespace outer
)");
  const std::string exe = std::string("'") + GG_GRADGEN_EXE + "'";
  REQUIRE(run(exe + " generate '" + (dir / "anon.cpp").string() + "' -o '" + dir.string() + "'", dir / "gen.log") == 0);
  spit(dir / "main.cpp", "#include \"half_square_grad.hpp\"\nint main() { double d = 0; return outer::half_square_grad(3.0, d) == 4.5 && d == 3.0 ? 0 : 1; }\n");
  const std::string build = "g++ -std=c++17 -Wall -Wextra -Werror -I'" + kSrc + "/runtime/include' -I'" + dir.string() +
                            "' '" + (dir / "half_square_grad.cpp").string() + "' '" + (dir / "main.cpp").string() +
                            "' -o '" + (dir / "main").string() + "'";
  INFO(slurp(dir / "build.log"));
  REQUIRE(run(build, dir / "build.log") == 0);
  CHECK(run("'" + (dir / "main").string() + "'", dir / "run.log") == 0);
}

// A C++ loop unrolls into a chain thousands of operations deep: its backward equations are cut
// into temporaries of at most 24 levels, so that explain neither prints one unreadable line nor
// recurses once per level (SIGSEGV at ~20000 iterations with the default stack; here 1 MiB).
TEST_CASE("explain and check of a loop unrolled 3000 times, within a 1 MiB stack", "[clang][generate][deep]") {
  fs::path dir = scratch("deep");
  spit(dir / "chain.cpp", R"(#include <cmath>
#include <gradgen/annotate.hpp>
GRADGEN_DIFFERENTIATE
double chain(double x) {
  double s = x;
  for (int i = 0; i < 3000; ++i) s = std::sin(s) * 0.5 + x;
  return s;
}
)");
  const std::string exe = "ulimit -s 1024 && '" + std::string(GG_GRADGEN_EXE) + "'";
  REQUIRE(run(exe + " explain '" + (dir / "chain.cpp").string() + "'", dir / "explain.log") == 0);
  const std::string text = slurp(dir / "explain.log");
  CHECK(text.find("B3000: ds_2999/dx = t") != std::string::npos);
  CHECK(run(exe + " check --interp '" + (dir / "chain.cpp").string() + "'", dir / "check.log") == 0);
  CHECK(slurp(dir / "check.log").find("ok: the 1 gradient agrees") != std::string::npos);
  // The code follows the equations' temporaries: a 300-term sum nested past clang++'s limit of
  // 256 brackets in one expression.
  spit(dir / "sum.cpp", R"(#include <cmath>
#include <gradgen/annotate.hpp>
GRADGEN_DIFFERENTIATE
double sines(double x) {
  double s = 0;
  for (int i = 0; i < 300; ++i) s += std::sin(x + i);
  return s;
}
)");
  REQUIRE(run(exe + " generate '" + (dir / "sum.cpp").string() + "' -o '" + dir.string() + "'", dir / "gen.log") == 0);
  INFO(slurp(dir / "clang.log"));
  CHECK(run("clang++ -std=c++17 -fsyntax-only -Wall -Wextra -Werror -I'" + kSrc + "/runtime/include' -I'" + dir.string() +
                "' '" + (dir / "sines_grad.cpp").string() + "'",
            dir / "clang.log") == 0);
}
