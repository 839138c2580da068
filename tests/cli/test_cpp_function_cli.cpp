// C++ inputs marking several GRADGEN_DIFFERENTIATE functions: --function picks one for
// explain/check/eval; without it the error names the candidates.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>

#include "cli/run.h"

using namespace gg::test;

namespace {

const char* kTwo = R"(#include <cmath>
#include <gradgen/annotate.hpp>
GRADGEN_DIFFERENTIATE double f(double x, double y) { return x * x * y; }
GRADGEN_DIFFERENTIATE double g(double x) { return std::sin(x) * x; }
)";

const std::string kRuntime = std::string("-I") + GG_SOURCE_DIR + "/runtime/include";

// gradgen eval SRC [--function=FUNCTION] --feed FEED [MODE] -- -I<runtime>; MODE "" is compiled.
Result eval_cpp(const std::string& src, const std::string& function, const std::string& feed, const char* mode) {
  std::vector<std::string> args{"eval", src};
  if (!function.empty()) args.push_back("--function=" + function);
  args.insert(args.end(), {"--feed", feed});
  if (*mode) args.push_back(mode);
  args.insert(args.end(), {"--", kRuntime});
  return gradgen(args);
}

}  // namespace

TEST_CASE("C++ file with two functions: --function chooses, its absence is a located error", "[cli][cpp]") {
  Scratch s;
  std::string src = s.write("two.cpp", kTwo);
  std::string feed = s.write("g.json", R"({"x": 0.7})");

  Result none = gradgen({"explain", src, "--", kRuntime});
  CHECK(none.status == 1);
  CHECK_THAT(none.err, Catch::Contains("several functions are marked GRADGEN_DIFFERENTIATE (f, g)"));
  CHECK_THAT(none.err, Catch::Contains("--function NAME"));

  Result unknown = gradgen({"explain", src, "--function", "h", "--", kRuntime});
  CHECK(unknown.status == 1);
  CHECK_THAT(unknown.err, Catch::Contains("no function named 'h' is marked GRADGEN_DIFFERENTIATE (marked: f, g)"));

  Result explain = gradgen({"explain", src, "--function", "g", "--", kRuntime});
  REQUIRE(explain.status == 0);
  CHECK_THAT(explain.out, Catch::Contains("network g"));
  // d/dx sin(x)·x = sin(x) + x·cos(x)
  CHECK_THAT(explain.out, Catch::Contains("dloss/dx = sin(x) + x · cos(x)"));

  for (const char* mode : {"--interp", ""}) {
    Result eval = eval_cpp(src, "g", feed, mode);
    REQUIRE(eval.status == 0);
    auto j = nlohmann::json::parse(eval.out);
    double x = 0.7;
    CHECK(j["loss"].get<double>() == Approx(std::sin(x) * x).epsilon(1e-12));
    CHECK(j["grads"]["x"].get<double>() == Approx(std::sin(x) + x * std::cos(x)).epsilon(1e-12));
  }

  Result check = gradgen({"--function", "f", "check", src, "--interp", "--", kRuntime});
  CHECK(check.status == 0);
  CHECK_THAT(check.out, Catch::Contains("dloss/dy"));

  // --function without a name, or naming two functions: usage errors that say so.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"explain", src, "--function"}, {"explain", src, "--function", "--", kRuntime},
        {"explain", src, "--function="}}) {
    Result bare = gradgen(args);
    CHECK(bare.status == 2);
    CHECK(bare.err == "gradgen: error: --function needs the name of a function\n");
  }
  Result twice = gradgen({"explain", src, "--function", "f", "--function=g", "--", kRuntime});
  CHECK(twice.status == 2);
  CHECK(twice.err == "gradgen: error: --function given twice ('f' and 'g')\n");
  CHECK(gradgen({"explain", src, "--function", "g", "--function", "g", "--", kRuntime}).status == 0);
}

TEST_CASE("a C++ file named in capitals (.CPP, .C) is read as C++", "[cli][cpp]") {
  Scratch s;
  for (const char* name : {"two.CPP", "two.C", "two.cp"}) {
    INFO(name);
    Result r = gradgen({"explain", s.write(name, kTwo), "--function", "f", "--", kRuntime});
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("network f"));
  }
}

TEST_CASE("generate refuses .grad-only flags on a C++ input instead of ignoring them", "[cli][cpp]") {
  Scratch s;
  const std::string src = s.write("two.cpp", kTwo);
  const std::string out = s.path("out");
  Result one = gradgen({"generate", src, "-o", out, "--fuse-step", "--", kRuntime});
  CHECK(one.status == 2);
  CHECK_THAT(one.err, Catch::Contains("--fuse-step applies to .grad networks, not to C++ inputs (which generate NAME_grad)"));
  Result three = gradgen({"generate", src, "-o", out, "--report", "--blas", "--bind", "n=4", "--", kRuntime});
  CHECK(three.status == 2);
  CHECK_THAT(three.err, Catch::Contains("--bind, --blas and --report apply to .grad networks"));
  CHECK(!std::filesystem::exists(out));
  CHECK(gradgen({"generate", src, "-o", out, "--", kRuntime}).status == 0);
  CHECK(std::filesystem::exists(std::filesystem::path(out) / "f_grad.hpp"));
}

TEST_CASE("functions of one name in two namespaces: --function takes the qualified name", "[cli][cpp]") {
  Scratch s;
  const std::string src = s.write("ns.cpp", R"(#include <gradgen/annotate.hpp>
namespace a { GRADGEN_DIFFERENTIATE double f(double x) { return x * x; } }
namespace b { GRADGEN_DIFFERENTIATE double f(double x) { return 3 * x; } }
)");
  const std::string out = s.path("out");
  for (const std::vector<std::string>& args : {std::vector<std::string>{"generate", src, "-o", out},
                                               std::vector<std::string>{"explain", src, "--function", "f"}}) {
    std::vector<std::string> all = args;
    all.insert(all.end(), {"--", kRuntime});
    Result r = gradgen(all);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Catch::Contains("ns.cpp:3:"));
    CHECK_THAT(r.err, Catch::Contains("two functions named 'f' are marked GRADGEN_DIFFERENTIATE (a::f and b::f); their "
                                      "generated files would share one name: choose one with --function a::f or "
                                      "--function b::f"));
  }
  CHECK(!std::filesystem::exists(out));
  Result b = gradgen({"explain", src, "--function", "b::f", "--", kRuntime});
  REQUIRE(b.status == 0);
  CHECK_THAT(b.out, Catch::Contains("dloss/dx = 3"));
  Result a = gradgen({"generate", src, "--function", "::a::f", "-o", out, "--", kRuntime});
  REQUIRE(a.status == 0);
  CHECK(std::filesystem::exists(std::filesystem::path(out) / "f_grad.hpp"));
  CHECK_THAT(slurp(out + "/f_grad.hpp"), Catch::Contains("namespace a"));

  // A global f beside ns::f: the plain name matches both, ::f names the global one.
  const std::string global = s.write("global.cpp", R"(#include <gradgen/annotate.hpp>
GRADGEN_DIFFERENTIATE double f(double x) { return x * x; }
namespace ns { GRADGEN_DIFFERENTIATE double f(double x) { return 3 * x; } }
)");
  Result g = gradgen({"explain", global, "--function", "f", "--", kRuntime});
  CHECK(g.status == 1);
  CHECK_THAT(g.err, Catch::Contains("choose one with --function ::f or --function ns::f"));
  Result g1 = gradgen({"explain", global, "--function", "::f", "--", kRuntime});
  REQUIRE(g1.status == 0);
  CHECK_THAT(g1.out, Catch::Contains("F1: loss = x · x"));

  const std::string overloads = s.write("over.cpp", R"(#include <gradgen/annotate.hpp>
GRADGEN_DIFFERENTIATE double g(double x) { return x; }
GRADGEN_DIFFERENTIATE double g(double x, double y) { return x * y; }
)");
  Result o = gradgen({"explain", overloads, "--", kRuntime});
  CHECK(o.status == 1);
  CHECK_THAT(o.err, Catch::Contains("two functions named 'g' are marked GRADGEN_DIFFERENTIATE (overloads of g); rename one"));
}

// Clang's "did you mean" costs the square of a name's length: an undeclared 200,000-character
// name took 78 s. Past 1024 characters in a name the C++ front end turns it off (the error
// itself stays, located); short names keep their suggestion.
TEST_CASE("an undeclared 200,000-character name is a prompt located error", "[cli][cpp]") {
  Scratch s;
  const std::string name(200000, 'q');
  const std::string src = s.write("long.cpp", "#include <gradgen/annotate.hpp>\nGRADGEN_DIFFERENTIATE double f(double x) {\n  return x * " + name + ";\n}\n");
  Result r = gradgen({"explain", src, "--", kRuntime});
  CHECK(r.status == 1);
  CHECK(has(r.err, "long.cpp:3:14: error: use of undeclared identifier '" + name + "'"));
  const std::string near = s.write("near.cpp", "#include <gradgen/annotate.hpp>\nGRADGEN_DIFFERENTIATE double f(double scale) {\n  return 2 * scal;\n}\n");
  Result suggested = gradgen({"explain", near, "--", kRuntime});
  CHECK(suggested.status == 1);
  CHECK(has(suggested.err, "did you mean 'scale'?"));
}

// The converse of the test above: C++-only options on a .grad network were silently ignored.
TEST_CASE("a .grad network refuses --function and arguments after --", "[cli][cpp]") {
  Scratch s;
  const std::string net = std::string(GG_SOURCE_DIR) + "/examples/seed.grad";
  Result fn = gradgen({"explain", net, "--function", "f"});
  CHECK(fn.status == 2);
  CHECK_THAT(fn.err, Catch::Contains("--function applies to C++ inputs, not to .grad networks"));
  Result args = gradgen({"generate", net, "-o", s.path("out"), "--", "-DN=4"});
  CHECK(args.status == 2);
  CHECK_THAT(args.err, Catch::Contains("arguments after -- apply to C++ inputs, not to .grad networks"));
  CHECK(!std::filesystem::exists(s.path("out")));
  CHECK(gradgen({"explain", net, "--"}).status == 0);
}

// The C++ front end's contract: "the feed maps parameter names to values (arrays flat, in
// element order)". A gradgen::Matrix param wanted nested lists (and printed its gradient
// nested) while a 2-D C array wanted them flat; both are flat now, and a matrix may still be
// nested by its shape.
TEST_CASE("C++ eval: matrices and 2-D arrays are fed and printed flat, in element order", "[cli][cpp]") {
  Scratch s;
  const std::string src = s.write("flat.cpp", R"(#include <gradgen/annotate.hpp>
#include <gradgen/tensor_api.hpp>
GRADGEN_DIFFERENTIATE
double f(const gradgen::Matrix<2, 3>& A, const double (&W)[3][2], double s) {
  double acc = 0;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) acc += A(i, j) * W[j][i] * (i + 1);
  return s * acc;
}
)");
  // d/dA(i, j) = s·W[j][i]·(i + 1); d/dW[j][i] = s·A(i, j)·(i + 1); d/ds = acc.
  const std::vector<double> a{1, 2, 3, 4, 5, 6}, w{0.5, -1, 2, 0.25, -3, 1.5};
  double acc = 0;
  std::vector<double> da(6), dw(6);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) {
      acc += a[i * 3 + j] * w[j * 2 + i] * (i + 1);
      da[i * 3 + j] = 2 * w[j * 2 + i] * (i + 1);
      dw[j * 2 + i] = 2 * a[i * 3 + j] * (i + 1);
    }
  const std::string flat = s.write("flat.json", R"({"A": [1, 2, 3, 4, 5, 6], "W": [0.5, -1, 2, 0.25, -3, 1.5], "s": 2})");
  const std::string nested = s.write("nested.json", R"({"A": [[1, 2, 3], [4, 5, 6]], "W": [0.5, -1, 2, 0.25, -3, 1.5], "s": 2})");
  for (const std::string& feed : {flat, nested})
    for (const char* mode : {"--interp", ""}) {
      INFO(feed << " " << mode);
      Result r = eval_cpp(src, "", feed, mode);
      INFO(r.err);
      REQUIRE(r.status == 0);
      auto j = nlohmann::json::parse(r.out);
      CHECK(j["loss"].get<double>() == Approx(2 * acc));
      CHECK(j["grads"]["A"].get<std::vector<double>>() == da);
      CHECK(j["grads"]["W"].get<std::vector<double>>() == dw);
      CHECK(j["grads"]["s"].get<double>() == Approx(acc));
    }
  // Three values for six: an error at the value.
  Result bad = gradgen({"eval", src, "--feed", s.write("bad.json", R"({"A": [1, 2, 3], "W": [0, 0, 0, 0, 0, 0]})"),
                        "--interp", "--", kRuntime});
  CHECK(bad.status == 1);
  CHECK_THAT(bad.err, Catch::Contains("bad.json:1:7: error: param 'A' has shape [3] but is declared [2, 3] (a C++ "
                                      "function's arrays are fed flat, in element order: 6 numbers)"));
  // A 2-D C array nested, and a name that is no parameter: the messages speak of C++.
  Result nested_w = eval_cpp(src, "", s.write("nested_w.json", R"({"A": [1, 2, 3, 4, 5, 6], "W": [[0, 0], [0, 0], [0, 0]], "s": 1})"), "--interp");
  CHECK(nested_w.status == 1);
  CHECK_THAT(nested_w.err, Catch::Contains("param 'W' has shape [3, 2] but is declared [6] (a C++ function's arrays "
                                           "are fed flat, in element order: 6 numbers)"));
  // A scalar takes a plain number, as in a .grad feed, not a one-element array.
  Result boxed = eval_cpp(src, "", s.write("boxed.json", R"({"A": [1, 2, 3, 4, 5, 6], "W": [0, 0, 0, 0, 0, 0], "s": [2]})"), "--interp");
  CHECK(boxed.status == 1);
  CHECK_THAT(boxed.err, Catch::Contains("boxed.json:1:57: error: param 's' has shape [1] but is declared []"));
  Result unknown = eval_cpp(src, "", s.write("unknown.json", R"({"A": [1, 2, 3, 4, 5, 6], "W": [0, 0, 0, 0, 0, 0], "s": 1, "t": 2})"), "--interp");
  CHECK(unknown.status == 1);
  CHECK_THAT(unknown.err, Catch::Contains("'t' is not a parameter of function 'f'"));
}

// Flags and feeds a C++ function cannot honour are refused, not ignored: --precision (it
// computes in its own types: a float function computed in double), --bind (it has no dims),
// and a parameter left out of the feed (it has no init=; it was silently 0).
TEST_CASE("C++ inputs refuse --precision and --bind and need every parameter fed", "[cli][cpp]") {
  Scratch s;
  const std::string src = s.write("two.cpp", kTwo), feed = s.write("x.json", R"({"x": 0.5})");
  Result prec = gradgen({"eval", src, "--function=f", "--feed", feed, "--precision", "f64", "--", kRuntime});
  CHECK(prec.status == 2);
  CHECK_THAT(prec.err, Catch::Contains("--precision applies to .grad networks, not to C++ inputs"));
  for (const char* sub : {"check", "explain"}) {
    Result bind = gradgen({sub, src, "--function=f", "--bind", "n=3", "--", kRuntime});
    CHECK(bind.status == 2);
    CHECK_THAT(bind.err, Catch::Contains("--bind applies to .grad networks, not to C++ inputs"));
  }
  for (const char* mode : {"--interp", ""}) {
    Result missing = eval_cpp(src, "f", feed, mode);
    CHECK(missing.status == 1);
    CHECK_THAT(missing.err, Catch::Contains(feed + ": missing value for parameter 'y' [] of f (a C++ function's parameters are all fed)"));
  }
}

// A C file, or a feed given where the network goes, is read as .grad (its errors are .grad
// syntax errors); a note says so and which extensions the C++ front end takes.
TEST_CASE("a file that is not .grad and does not parse says how it was read", "[cli][cpp]") {
  Scratch s;
  for (const char* name : {"model.c", "feed.json"}) {
    Result r = gradgen({"explain", s.write(name, "int main() { return 0; }\n")});
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Catch::Contains("' was read as a .grad network (C++ inputs end in .cpp, .cc, .cxx, .C or another of g++'s C++ extensions)"));
  }
  Result grad = gradgen({"explain", s.write("bad.grad", "int main() { return 0; }\n")});
  CHECK(grad.status == 1);
  CHECK_THAT(grad.err, !Catch::Contains("was read as a .grad network"));
}

// A data-dependent return inside a long loop is a select chain as deep as the loop: explain
// and generate printed it recursively and overflowed the stack (SIGSEGV at 20,000 steps on an
// 8 MiB stack; 3000 steps on the 1 MiB one here). The forward equations are now cut into
// temporaries, as the backward ones were.
TEST_CASE("a loop with a data-dependent return explains and generates without recursing per step", "[cli][cpp]") {
  Scratch s;
  const std::string src = s.write("deep.cpp", R"(#include <gradgen/annotate.hpp>
GRADGEN_DIFFERENTIATE
double f(double x) { double s = 0; for (int i = 0; i < 3000; i++) { if (s > 1e300) return s; s += x * 1e-5; } return s; }
)");
  Result e = gradgen_small_stack({"explain", src}, s);
  INFO(e.err);
  REQUIRE(e.status == 0);
  CHECK(has(e.out, "F3000: s_2999 = s_2998 + s\n"));
  CHECK(has(e.out, "\n      t1 = select([1e+300 < s_"));  // a forward temporary
  CHECK(has(e.out, "\n  F3001: loss = select([1e+300 < s], s, "));
  Result g = gradgen_small_stack({"generate", src, "-o", s.path("out")}, s);
  INFO(g.err);
  CHECK(g.status == 0);
}

// C++17 sequences an assignment's right operand, side effects included, before its left: the
// index `i++` on the left is taken after the right side has read i. The lowering took the left
// side first (`a[i++] = i` stored 1, not 0). Clang and the standard agree on both functions
// below (g++ 12 differs on the compound one).
TEST_CASE("an assignment evaluates its right side before its left, as C++17 orders them", "[cli][cpp]") {
  Scratch s;
  const std::string feed = s.write("x.json", R"({"x": 0.7})");
  const std::string plain = s.write("plain.cpp", R"(#include <gradgen/annotate.hpp>
GRADGEN_DIFFERENTIATE double f(double x) { double a[3] = {}; int i = 0; a[i++] = i; a[i] = x; return a[0] + a[1] * x; }
)");
  const std::string compound = s.write("compound.cpp", R"(#include <gradgen/annotate.hpp>
GRADGEN_DIFFERENTIATE double f(double x) {
  double a[3] = {x, 2 * x, 3 * x * x};
  int i = 0;
  a[i++] += a[i] * x;     // a[0] = x + x·x, then i = 1
  a[i] = (i = 2, x * 5);  // i = 2 first: a[2] = 5x
  return a[0] + 10 * a[1] + 100 * a[2];
}
)");
  for (const char* mode : {"--interp", ""}) {
    Result r = gradgen_in({"eval", plain, "--feed", feed}, mode);
    INFO(r.err);
    REQUIRE(r.status == 0);
    nlohmann::json j = nlohmann::json::parse(r.out);
    CHECK(j["loss"].get<double>() == Approx(0.49).epsilon(1e-14));  // a[0] = 0, a[1] = x
    CHECK(j["grads"]["x"].get<double>() == Approx(1.4).epsilon(1e-14));
    r = gradgen_in({"eval", compound, "--feed", feed}, mode);
    REQUIRE(r.status == 0);
    j = nlohmann::json::parse(r.out);
    CHECK(j["loss"].get<double>() == Approx(0.7 + 0.49 + 14 + 350).epsilon(1e-14));
    CHECK(j["grads"]["x"].get<double>() == Approx(1 + 1.4 + 20 + 500).epsilon(1e-14));
  }
}

// The call to a double function rounds a float argument to float: eval feeds it so rounded,
// as the generated f_grad's float parameter does (0.1 was taken as the double 0.1).
TEST_CASE("C++ eval: a float parameter of a double function takes its fed value rounded to float", "[cli][cpp]") {
  Scratch s;
  const std::string src = s.write("mixed.cpp", R"(#include <gradgen/annotate.hpp>
GRADGEN_DIFFERENTIATE
double f(float x, const float (&v)[2], double y) { return (x + v[1]) * 1e8 - 2e7 + y; }
)");
  const std::string feed = s.write("mixed.json", R"({"x": 0.1, "v": [0, 0.1], "y": 0.1})");
  const double expected = (static_cast<double>(0.1f) + static_cast<double>(0.1f)) * 1e8 - 2e7 + 0.1;
  for (const char* mode : {"--interp", ""}) {
    INFO(mode);
    Result r = eval_cpp(src, "", feed, mode);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(nlohmann::json::parse(r.out)["loss"].get<double>() == expected);
  }
}

// A float local of a double function is a staircase in x (steps of float's ulp): finite
// differences of it measured the steps (50 against a gradient of 1972) and check failed. check
// computes float values in double, as it computes a float function; eval still rounds.
TEST_CASE("C++ check: float values in a double function do not fail the finite differences", "[cli][cpp]") {
  Scratch s;
  const std::string src = s.write("floatlocal.cpp", R"(#include <gradgen/annotate.hpp>
GRADGEN_DIFFERENTIATE
double f(double x, float y) {
  float t = x;
  return t * t * 1000 + y * x * 1000;
}
)");
  for (const char* mode : {"--interp", ""}) {
    INFO(mode);
    std::vector<std::string> args{"check", src};
    if (*mode) args.push_back(mode);
    args.insert(args.end(), {"--", kRuntime});
    Result r = gradgen(args);
    INFO(r.out << r.err);
    CHECK(r.status == 0);
    CHECK(has(r.out, "ok: all 2 gradients agree with finite differences"));
  }
}

// A C++ function has no inits to change: the advice for a NaN loss names only --seed.
TEST_CASE("C++ check: a loss outside its domain advises another --seed, not inits", "[cli][cpp]") {
  Scratch s;
  const std::string src = s.write("domain.cpp", "#include <cmath>\n#include <gradgen/annotate.hpp>\n"
                                                "GRADGEN_DIFFERENTIATE double f(double x) { return std::log(-x - 5); }\n");
  Result r = gradgen({"check", src, "--interp", "--", kRuntime});
  CHECK(r.status == 3);
  CHECK(has(r.out, "another --seed (a C++ function is checked at a random point)"));
  CHECK(!has(r.out, "inits"));
}

// A loop of thousands of steps unrolls into one long function, compiled at -O0 for eval (GCC's
// -O1 took 43 s on 4000 steps): its value and gradient against the sums they unroll.
TEST_CASE("C++ eval: a 3000-step loop evaluates, compiled and interpreted", "[cli][cpp]") {
  Scratch s;
  const std::string src = s.write("series.cpp", R"(#include <gradgen/annotate.hpp>
GRADGEN_DIFFERENTIATE
double series(double x) {
  double p = 1, s = 0;
  for (int i = 0; i < 3000; ++i) { p *= x; s += p / (i + 1); }
  return s;
}
)");
  double value = 0, slope = 0, power = 1;  // Σ x^k / k and Σ x^(k-1), k = 1 .. 3000
  for (int k = 1; k <= 3000; ++k) slope += power, power *= 0.9, value += power / k;
  const std::string feed = s.write("x.json", R"({"x": 0.9})");
  for (const char* mode : {"", "--interp"}) {
    INFO(mode);
    Result r = eval_cpp(src, "", feed, mode);
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["loss"].get<double>() == Approx(value).epsilon(1e-12));
    CHECK(j["grads"]["x"].get<double>() == Approx(slope).epsilon(1e-12));
  }
}

// A float function is computed in float, its double literals too: 1e39 would be infinity (C++
// divides in double). generate refuses it as eval does (it emitted infinity), at the literal.
// `x / 1e39` in a float function divides in double, as C++ does, and rounds the result to
// float (2e-39, a subnormal); it had been refused, 1e39 being no float. `x * 0.1` and a
// double accumulator likewise: the function is computed in double with its float values rounded.
TEST_CASE("C++: a float function computing in double matches the native function bit for bit", "[cli][cpp]") {
  Scratch s;
  const std::string src = s.write("q.cpp", R"(#include <gradgen/annotate.hpp>
GRADGEN_DIFFERENTIATE float q(float x) { return x / 1e39; }
GRADGEN_DIFFERENTIATE float tenth(float x) { return x * 0.1; }
GRADGEN_DIFFERENTIATE float harmonic(float x) {
  double acc = 0;
  for (int i = 1; i <= 10; ++i) acc += x / i;
  return acc;
}
)");
  const std::string feed = s.write("x.json", R"({"x": 0.7})");
  const float x = 0.7f;
  double acc = 0;
  for (int i = 1; i <= 10; ++i) acc += x / static_cast<float>(i);
  const std::vector<std::pair<std::string, float>> want{{"q", static_cast<float>(x / 1e39)},
                                                        {"tenth", static_cast<float>(x * 0.1)},
                                                        {"harmonic", static_cast<float>(acc)}};
  for (const auto& [fn, value] : want)
    for (const char* mode : {"--interp", ""}) {
      INFO(fn << " " << mode);
      Result r = eval_cpp(src, fn, feed, mode);
      INFO(r.err);
      REQUIRE(r.status == 0);
      CHECK(nlohmann::json::parse(r.out)["loss"].get<double>() == static_cast<double>(value));
    }
  Result gen = gradgen({"generate", src, "-o", s.path("out"), "--", kRuntime});
  INFO(gen.err);
  CHECK(gen.status == 0);
  CHECK(has(slurp(s.path("out/tenth_grad.cpp")), "float tenth_grad(float x, float& d_x) {\n  using Scalar = double;"));
}

// A float function's argument past float's range: the remedy is the C++ type, not
// --precision, which C++ inputs refuse.
TEST_CASE("a C++ float argument past float's range names the type as the remedy", "[cli][cpp]") {
  Scratch s;
  std::string src = s.write("fl.cpp", "#include <gradgen/annotate.hpp>\nGRADGEN_DIFFERENTIATE float fl(float x) { "
                                      "return x * x; }\n");
  std::string feed = s.write("big.json", R"({"x": 1e39})");
  for (const char* mode : {"--interp", ""}) {
    Result r = eval_cpp(src, "", feed, mode);
    INFO("mode " << mode << ": " << r.err);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Catch::Contains("big.json:1:7: error: 'x': 1e+39 is past the range of f32 (largest "
                                      "3.4028235e+38); the function takes float there; declare it double"));
    CHECK_THAT(r.err, !Catch::Contains("--precision"));
  }
}
