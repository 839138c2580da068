// The gradgen command line, run as a separate process: every subcommand on the examples,
// exit statuses 0/1/2/3, located errors, nothing written on error, JSON output whose
// gradients match finite differences of the loss it reports, and determinism.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include <sys/stat.h>

#include "run.h"

using namespace gg::test;
using json = nlohmann::json;

namespace {

const std::vector<std::string> kExamples{"seed", "classifier", "broadcast", "input_grad"};

// `eval` of network `net_text` at `feed_text` prints exactly `want`, interpreted and compiled.
void expect_eval(const std::string& net_text, const std::string& feed_text, const std::string& want) {
  Scratch s;
  const std::string net = s.write("net.grad", net_text), feed = s.write("feed.json", feed_text);
  for (const char* mode : {"--interp", ""}) {
    Result r = gradgen_in({"eval", net, "--feed", feed}, mode);
    INFO("mode " << mode << ": " << r.err);
    CHECK(r.status == 0);
    CHECK(r.out == want);
  }
}


// `explain` of a network file holding exactly `text` exits 1 with `diagnostic` (header, quoted
// line and caret) on stderr.
void expect_explain_error(const std::string& file, const std::string& text, const std::string& diagnostic) {
  Scratch s;
  Result r = gradgen({"explain", s.write(file, text)});
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(has(r.err, file + ":" + diagnostic));
}

// Runs `dot -Tsvg FILE` (no shell); true when Graphviz accepts the file.
bool dot_accepts(const std::string& file) {
  std::vector<std::string> args{"dot", "-Tsvg", "-o", "/dev/null", file};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, "dot", nullptr, nullptr, argv.data(), environ) != 0) return false;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

TEST_CASE("version and help", "[cli]") {
  Result v = gradgen({"--version"});
  CHECK(v.status == 0);
  CHECK(v.out == "gradgen 0.1.0\n");
  Result h = gradgen({"--help"});
  CHECK(h.status == 0);
  for (const char* sub : {"explain", "graph", "check", "eval"}) {
    CHECK(has(h.out, sub));
    Result s = gradgen({sub, "--help"});
    CHECK(s.status == 0);
    CHECK(has(s.out, std::string("Usage: gradgen ") + sub));
    CHECK(has(s.out, "NET.grad"));
    // `gradgen help SUB`, as git and cargo take it, prints the same.
    Result word = gradgen({"help", sub});
    CHECK(word.status == 0);
    CHECK(word.out == s.out);
  }
  Result word = gradgen({"help"});
  CHECK(word.status == 0);
  CHECK(word.out == h.out);
  CHECK(has(h.out, "gradgen help [SUBCOMMAND] is the same as --help"));
  for (const char* sub : {"check", "eval"}) CHECK(has(gradgen({sub, "--help"}).out, "--seed UINT64"));
  // --function (C++ inputs) stands anywhere before `--`, so every subcommand's help lists it.
  for (const char* sub : {"generate", "explain", "graph", "check", "eval"})
    CHECK(has(gradgen({sub, "--help"}).out, "--function NAME"));
  Result unknown = gradgen({"help", "frobnicate"});
  CHECK(unknown.status == 2);
  CHECK(has(unknown.err, "gradgen: error: unknown subcommand 'frobnicate'"));
}

TEST_CASE("usage errors exit 2", "[cli]") {
  const std::string seed = example("seed.grad");
  std::vector<std::vector<std::string>> cases{
      {},                                                    // no subcommand
      {"frobnicate"},                                        // unknown subcommand
      {"explain"},                                           // missing NET.grad
      {"explain", seed, "--format", "html"},                 // bad format
      {"explain", seed, "--dump-after=nosuchpass"},          // unknown pass
      {"explain", seed, "--nosuchflag"},                     // unknown flag
      {"eval", seed, "--interp"},                            // missing --feed
      {"eval", seed, "--feed", "x.json", "--precision", "f16", "--interp"},
      {"check", seed, "--interp", "--bind", "n"},            // NAME=SIZE
      {"check", seed, "--interp", "--bind", "n=0"},          // size must be positive
      {"check", seed, "--interp", "--seed", "-x"},
      {"check", seed, "--interp", "--seed", "-1"},                    // CLI11 alone wraps it to 2^64 - 1
      {"check", seed, "--seed", "18446744073709551616"},              // ... and saturates this one
      {"eval", seed, "--feed", example("seed.feed.json"), "--seed", "1.5"},
      {"graph", seed, "extra"},
      {"graph", seed, "-o", ""},                             // an empty path is not stdout
      {"generate", seed, "-o", ""},                          // ... nor the current folder
  };
  for (const auto& args : cases) {
    Result r = gradgen(args);
    INFO("args: " << (args.empty() ? "(none)" : args[0]) << " ... " << r.err);
    CHECK(r.status == 2);
    CHECK(!r.err.empty());
    CHECK(r.out.empty());
  }
  for (const char* bad : {"-1", "18446744073709551616"}) {
    Result r = gradgen({"check", seed, "--interp", "--seed", bad});
    CHECK(has(r.err, "gradgen: error: --seed expects an integer from 0 to 18446744073709551615, got '" + std::string(bad) + "'"));
  }
  CHECK(gradgen({"check", seed, "--interp", "--seed", "18446744073709551615"}).status == 0);
  CHECK(has(gradgen({"explian", seed}).err, "gradgen: error: unknown subcommand 'explian' (expected generate, explain, "
                                            "graph, check or eval; see gradgen --help)"));
  for (const char* option : {"--bogus", "-V"}) {
    Result r = gradgen({option, "explain", seed});
    CHECK(r.status == 2);
    CHECK(has(r.err, "gradgen: error: unknown option '" + std::string(option) + "' (expected generate, explain, graph, "
                     "check or eval; see gradgen --help)"));
  }
  CHECK(has(gradgen({"graph", seed, "-o", ""}).err, "expects a path, got ''"));
  // CLI11's own errors carry gradgen's prefix, a did-you-mean, or the subcommands that have the option.
  // The unexpected arguments in the order given (CLI11 lists them last first).
  CHECK(has(gradgen({"explain", seed, "--frmat", "text"}).err,
            "gradgen: error: The following arguments were not expected: --frmat text; did you mean '--format'?\n"
            "Run with --help for more information.\n"));
  CHECK(has(gradgen({"explain", seed, "a", "b", "c"}).err, "were not expected: a b c\n"));
  CHECK(has(gradgen({"eval", seed, "--feed", example("seed.feed.json"), "--bind", "n=4"}).err,
            "; --bind is an option of generate, explain and check, not of eval\n"));
  CHECK(has(gradgen({"explain", seed, "--format", "html"}).err,
            "gradgen: error: --format: html not in {text,markdown,latex}\n"));
  Result pass = gradgen({"explain", seed, "--dump-after=nosuchpass"});
  CHECK(has(pass.err, "unknown pass 'nosuchpass' for --dump-after (passes: bind_dims, autodiff, const_fold, algebraic, "
                      "pack_scatters, cse, dce)"));
  // bind_dims runs before the pipeline, with --bind; its dump shows the bound shapes.
  Result bound = gradgen({"explain", seed, "--bind", "n=4", "--dump-after=bind_dims"});
  CHECK(bound.status == 0);
  CHECK(has(bound.out, "; ---- after bind_dims ----\n; program seed\n"));
  CHECK(has(bound.out, ": [4, 2] = input X"));
  Result unbound = gradgen({"explain", seed, "--dump-after=bind_dims"});
  CHECK(has(unbound.out, "; ---- after bind_dims (no --bind: nothing bound) ----\n"));
  CHECK(has(unbound.out, ": [n, 2] = input X"));
}

TEST_CASE("explain prints the seed's equations in three formats", "[cli]") {
  Result r = gradgen({"explain", example("seed.grad")});
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  for (const char* line : {"F1: z2 = X @ W1 + b1", "F2: a2 = sigmoid(z2)", "J = mse(z3, Y)",
                           "dJ/dz3 = 2/n · (z3 − Y)", "dJ/dW2 = a2ᵀ @ dJ/dz3", "dJ/da2 = dJ/dz3 @ W2ᵀ",
                           "dJ/dz2 = dJ/da2 ⊙ a2 ⊙ (1 − a2)", "dJ/dW1 = Xᵀ @ dJ/dz2", "dJ/dX = dJ/dz2 @ W1ᵀ",
                           "dJ/db1 = sum(dJ/dz2, axis=0)", "dJ/db2 = sum(dJ/dz3, axis=0)"})
    CHECK(has(r.out, line));
  Result md = gradgen({"explain", example("seed.grad"), "--format", "markdown"});
  CHECK(md.status == 0);
  CHECK(has(md.out, "`dJ/dW2 = a2ᵀ @ dJ/dz3`"));
  Result tex = gradgen({"explain", example("seed.grad"), "--format=latex"});
  CHECK(tex.status == 0);
  CHECK(has(tex.out, "\\begin{align*}"));
  CHECK(has(tex.out, "\\frac{\\partial J}{\\partial W_2} &= a_2^\\top \\frac{\\partial J}{\\partial z_3}"));
  Result dump = gradgen({"explain", example("seed.grad"), "--dump-after=cse"});
  CHECK(dump.status == 0);
  CHECK(has(dump.out, "after cse"));
  CHECK(has(dump.out, "B1: dJ/dz3"));
  // In markdown and LaTeX the IR stays out of the document: a code block, comment lines.
  Result md_dump = gradgen({"explain", example("seed.grad"), "--format", "markdown", "--dump-after=cse"});
  CHECK(md_dump.status == 0);
  CHECK(md_dump.out.rfind("```\n", 0) == 0);
  CHECK(has(md_dump.out, "```\n\n" + md.out));
  Result tex_dump = gradgen({"explain", example("seed.grad"), "--format", "latex", "--dump-after=cse"});
  CHECK(tex_dump.status == 0);
  const std::string ir = tex_dump.out.substr(0, tex_dump.out.find("\n\n"));
  std::istringstream lines(ir);
  for (std::string line; std::getline(lines, line);) CHECK(line.rfind("% ", 0) == 0);
  CHECK(has(ir, "after cse"));
  CHECK(has(tex_dump.out, ir + "\n\n" + tex.out));
}

TEST_CASE("every example explains, graphs and checks", "[cli]") {
  for (const std::string& ex : kExamples) {
    INFO(ex);
    std::string grad = example(ex + ".grad");
    Result e = gradgen({"explain", grad});
    CHECK(e.status == 0);
    CHECK(has(e.out, "B1: "));
    Scratch s;
    for (bool backward : {false, true}) {
      std::vector<std::string> args{"graph", grad, "-o", s.path("g.dot")};
      if (backward) args.push_back("--backward");
      Result g = gradgen(args);
      CHECK(g.status == 0);
      CHECK(g.out.empty());
      CHECK(dot_accepts(s.path("g.dot")));
      CHECK(has(slurp(s.path("g.dot")), "cluster_backward") == backward);
    }
    Result c = gradgen({"check", grad, "--interp"});
    CHECK(c.status == 0);
    CHECK(has(c.out, "ok: all "));
    CHECK(!has(c.out, "FAILED"));
  }
}

TEST_CASE("graph prints to stdout without -o", "[cli]") {
  Result g = gradgen({"graph", example("seed.grad"), "--backward"});
  CHECK(g.status == 0);
  CHECK(g.out.rfind("digraph \"seed\" {", 0) == 0);
  CHECK(has(g.out, "B3: dJ/dW2 = a2ᵀ @ dJ/dz3"));
  CHECK(has(g.out, "∂(a2 @ W2)/∂W2 = a2ᵀ"));
  // `-o -` is standard output, as most tools read it (it wrote a file named '-').
  Scratch s;
  Result dash = run_argv({"sh", "-c", "cd \"$0\" && exec \"$1\" graph \"$2\" --backward -o -", s.path(""), GG_GRADGEN_EXE,
                          example("seed.grad")},
                         s);
  CHECK(dash.status == 0);
  CHECK(dash.out == g.out);
  CHECK(!std::filesystem::exists(s.path("-")));
}

// --bind takes one value per occurrence: the network file after it is the network.
TEST_CASE("a --bind before the network file takes one value", "[cli]") {
  Scratch s;
  Result gen = gradgen({"generate", "--bind", "n=4", example("seed.grad"), "-o", s.path("out")});
  INFO(gen.err);
  CHECK(gen.status == 0);
  CHECK(has(slurp(s.path("out/seed.hpp")), "n is fixed to 4 by --bind"));
  Result explain = gradgen({"explain", "--bind", "n=2", "--dump-after", "dce", example("seed.grad")});
  CHECK(explain.status == 0);
  CHECK(has(explain.out, "B1: dJ/dz3 = z3 − Y"));
  Result check = gradgen({"check", "--bind", "n=3", example("seed.grad"), "--interp"});
  CHECK(check.status == 0);
  Result twice = gradgen({"generate", example("seed.grad"), "--bind", "n=4", "--bind", "n=5", "-o", s.path("out2")});
  CHECK(twice.status != 0);
  CHECK(has(twice.err, "--bind gives dimension 'n' twice"));
}

TEST_CASE("check binds dims and seeds the point", "[cli]") {
  Result a = gradgen({"check", example("seed.grad"), "--interp", "--bind", "n=7", "--seed", "42"});
  CHECK(a.status == 0);
  CHECK(has(a.out, "check seed (interpreter, f64, n=7, seed 42)"));
  CHECK(has(a.out, "dJ/dX     [7, 2]  14 of 14"));
  Result compiled = gradgen({"check", example("seed.grad"), "--bind", "n=7", "--seed", "42"});
  CHECK(compiled.status == 0);
  CHECK(has(compiled.out, "check seed (compiled, f64, n=7, seed 42)"));
  // One report in both modes: the same point, the same rows in the same order.
  auto table = [](const std::string& out) { return out.substr(out.find("  gradient")); };
  CHECK(table(compiled.out) == table(a.out));
  // Both modes check --bind alike, before any code is compiled.
  for (bool interp : {true, false}) {
    auto bad_bind = [&](const std::string& bind) {
      std::vector<std::string> args{"check", example("seed.grad"), "--bind", bind};
      if (interp) args.push_back("--interp");
      return gradgen(args);
    };
    Result b = bad_bind("m=3");
    CHECK(b.status == 2);  // not a dim of the network: a usage error, as n=0 is
    CHECK(has(b.err, "gradgen: error: --bind m=3: 'm' is not a dim of network 'seed'\n"));
    Result big = bad_bind("n=99999999999");
    CHECK(big.status == 2);
    CHECK(has(big.err, "--bind n=99999999999: at most 16777216 (2^24"));
  }
}

// Zero-initialised params (biases, and every argument of a C++ function) are drawn like the
// inputs: at 0, |x|, sqrt, log and x / y have kinks or poles, and the check said FAILED there.
// A constant init chosen by the user is kept (the kink test below relies on it).
TEST_CASE("check draws zero-initialised params away from 0, in both modes", "[cli]") {
  Scratch s;
  std::string net = s.write("poles.grad", "network poles\nparam x[]\nparam y[]\nparam b[3]\n"
                                          "loss L = sqrt(abs(x)) + log(y) + sum(square(x / b))\n");
  // Zero however the init says it: constant(0), normal(0, 0), uniform(0, 0).
  std::string zeros = s.write("zeros.grad", "network zeros\nparam s init=constant(0)\nparam t[2] init=normal(0, 0)\n"
                                            "param u init=uniform(0, 0)\nloss J = relu(s) + sum(sqrt(t)) + log(u)\n");
  for (const std::string& n : {net, zeros})
    for (bool interp : {false, true}) {
      std::vector<std::string> args{"check", n, "--seed", "3"};
      if (interp) args.push_back("--interp");
      Result r = gradgen(args);
      INFO(r.out << r.err);
      CHECK(r.status == 0);
      CHECK(has(r.out, "ok: all 3 gradients agree"));
      CHECK_FALSE(has(r.out, " = nan"));
    }
  // The same point in both modes: the loss lines agree to the printed digits.
  Result c = gradgen({"check", net}), i = gradgen({"check", net, "--interp"});
  std::smatch mc, mi;
  REQUIRE(std::regex_search(c.out, mc, std::regex("loss L = (\\S+)")));
  REQUIRE(std::regex_search(i.out, mi, std::regex("loss L = (\\S+)")));
  CHECK(std::fabs(std::stod(mc[1].str()) - std::stod(mi[1].str())) < 1e-9);
}

// A gradient that simplifies to a constant (dL/dx = 1 for L = s + x with s = 0) is a fill of
// the constant in the generated code; it used to stop generate with "internal error: map::at".
TEST_CASE("a constant gradient generates, compiles and checks", "[cli]") {
  Scratch s;
  std::string net = s.write("konst.grad", "network konst\nparam x[]\nparam W[2, 3]\ns = 0\nloss L = s + x + sum(W)\n");
  Result g = gradgen({"generate", net, "-o", s.path("out")});
  INFO(g.err);
  REQUIRE(g.status == 0);
  std::string cpp = slurp(s.path("out/konst.cpp"));
  CHECK(has(cpp, "  // B2: dL/dx = 1\n  gg::fill(&grads.x, 1, Scalar(1.0f));\n"));  // the equation right above
  CHECK(has(cpp, "dL_dW[i0 * 3 + i1] = 1.0f;"));
  Result c = gradgen({"check", net});
  INFO(c.out << c.err);
  CHECK(c.status == 0);
  CHECK(has(c.out, "ok: all 2 gradients agree"));
}

// A correct tool cannot be made to compute a wrong gradient, but it can be asked about a point
// where the loss is not differentiable: relu(w − 1) at w = 1 has one-sided slopes 0 and 1, the
// convention relu'(0) = 0 gives 0 and the central difference gives 1/2. check must say so.
TEST_CASE("check exits 3 where gradient and finite differences disagree", "[cli]") {
  Scratch s;
  std::string kink = s.write("kink.grad",
                             "network kink\nparam w[] init=constant(1)\nparam v[] init=constant(0.5)\n"
                             "loss L = relu(w - 1) + square(v)\n");
  Result r = gradgen({"check", kink, "--interp"});
  CHECK(r.status == 3);
  CHECK(has(r.out, "dL/dw"));
  CHECK(has(r.out, "FAILED"));
  CHECK(has(r.out, "dL/dw element 0: gradient 0, finite difference 0.4999"));  // 1/2 up to rounding
  CHECK(std::regex_search(r.out, std::regex("dL/dv +\\[\\] +1 of 1 +\\S+ +ok")));  // the smooth one still agrees
  // ... and says why: the one-sided slopes 0 and 1 differ.
  CHECK(std::regex_search(r.out, std::regex("\n    the slopes on the two sides are 0 and 0\\.99999\\d+: the loss is not "
                                            "differentiable here \\(as relu or abs at 0\\), and the gradient follows "
                                            "PyTorch's convention there\n")));
  // A step of h past the edge of sqrt's domain: the central difference is NaN, and check says why.
  // Compiled and interpreted, check fails and prints `why`.
  auto fails_saying = [&](const std::string& net, const std::string& why) {
    for (bool interp : {false, true}) {
      std::vector<std::string> args{"check", net};
      if (interp) args.push_back("--interp");
      Result r = gradgen(args);
      INFO(r.out << r.err);
      CHECK(r.status == 3);
      CHECK(has(r.out, why));
    }
  };
  fails_saying(s.write("edge.grad", "network edge\nparam w[] init=constant(1e-30)\nloss L = sqrt(w)\n"),
               "finite difference nan\n    the loss is not finite a step of h away: the point is at the edge of a "
               "function's domain (as sqrt or log at 0, bce at 0 or 1)\n");
  // sigmoid(30) is 1 - 9e-14 to double's resolution: a step of h does not change the loss at
  // all, the central difference is 0 and the gradient (PyTorch's clamped bce) is not.
  fails_saying(s.write("flat.grad", "network flat\nparam w[] init=constant(1.5)\nloss L = bce(sigmoid(20 * w), 0.5)\n"),
               ", finite difference 0\n    the loss is the same at x - h, x and x + h: it is flat to double precision "
               "here (as sigmoid or tanh far into saturation), so the difference cannot show the gradient\n");
}

TEST_CASE("check says when the loss is not finite at the check point", "[cli]") {
  Scratch s;
  // log of a negative param: the loss is NaN, so is every finite difference
  std::string net = s.write("domain.grad", "network domain\nparam w[2] init=constant(-1)\nloss L = sum(log(w))\n");
  for (bool interp : {false, true}) {
    std::vector<std::string> args{"check", net};
    if (interp) args.push_back("--interp");
    Result r = gradgen(args);
    INFO(r.out << r.err);
    CHECK(r.status == 3);
    CHECK(has(r.out, "note: the loss is NaN or infinite at the check point"));
    CHECK(std::regex_search(r.out, std::regex("dL/dw.* nan .*FAILED")));  // max |error| is not 0
  }
  std::string fine = s.write("fine.grad", "network fine\nparam w[2] init=constant(2)\nloss L = sum(log(w))\n");
  Result ok = gradgen({"check", fine});
  CHECK(ok.status == 0);
  CHECK_FALSE(has(ok.out, "note:"));
}

TEST_CASE("eval prints one JSON object with every output and gradient", "[cli]") {
  Result r = gradgen({"eval", example("seed.grad"), "--feed", example("seed.feed.json"), "--interp"});
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  json j = json::parse(r.out);
  CHECK(j.size() == 3);
  CHECK(j["loss"].is_number());
  CHECK(j["outputs"]["yhat"].size() == 4);
  CHECK(j["outputs"]["yhat"][0].size() == 1);
  for (const char* g : {"W1", "b1", "W2", "b2", "X"}) CHECK(j["grads"].contains(g));
  CHECK(j["grads"].size() == 5);
  CHECK(j["grads"]["W1"].size() == 2);
  CHECK(j["grads"]["W1"][0].size() == 3);
  CHECK(j["grads"]["b1"].size() == 3);
  CHECK(j["grads"]["X"].size() == 4);
  // Spec order: loss, outputs, grads; params in declaration order, then grad inputs.
  CHECK(r.out.find("\"loss\"") < r.out.find("\"outputs\""));
  CHECK(r.out.find("\"W1\"") < r.out.find("\"b1\""));
  CHECK(r.out.find("\"b2\"") < r.out.find("\"X\""));
  // Numbers read back to the same double: printing them again gives the same text.
  std::string again = j["loss"].dump();
  CHECK(std::stod(again) == j["loss"].get<double>());
}

// JSON has no NaN or infinity: such values print as null, and stderr says which and what.
TEST_CASE("eval prints non-finite values as null and names them on stderr", "[cli]") {
  Scratch s;
  // log(x) at x = 0 and x = -1: -inf and nan in the output, nan in the loss; d/dw log(x·w) =
  // x / (x·w) is 0/0 at x = 0.
  const std::string net = s.write("logs.grad", "network logs\ninput x[3]\nparam w[3] init=ones\n"
                                               "output y = log(x * w)\nloss L = sum(y)\n");
  const std::string feed = s.write("logs.json", "{\"x\": [0, -1, 1]}");
  for (const char* mode : {"--interp", ""}) {
    Result r = gradgen_in({"eval", net, "--feed", feed}, mode);
    INFO(r.err);
    REQUIRE(r.status == 0);
    json j = json::parse(r.out);
    CHECK(j["loss"].is_null());
    CHECK(j["outputs"]["y"][0].is_null());
    CHECK(j["outputs"]["y"][2].get<double>() == 0);
    CHECK(has(r.err, "note: 4 values are not finite and printed as null (JSON has no NaN or infinity): loss (nan), "
                     "outputs.y[0] (-inf), outputs.y[1] (nan), grads.w[0] (nan)\n"));
  }
  Result finite = gradgen({"eval", example("seed.grad"), "--feed", example("seed.feed.json")});
  CHECK(finite.status == 0);
  CHECK(finite.err.empty());
}

// A NaN in the data reaches the loss in both modes, as in PyTorch: relu of NaN was 0 (both
// modes), and bce's clamped log of a NaN probability was -100 in compiled code, a finite loss.
TEST_CASE("eval: a NaN reaches the loss through relu and bce (compiled and interpreted)", "[cli]") {
  Scratch s;
  const std::string relu = s.write("relunan.grad", "network relunan\ninput x[3]\nparam w[3] init=ones\n"
                                                   "loss L = sum(relu(log(x * w)))\n");
  const std::string relu_feed = s.write("relu.json", "{\"x\": [-1, 2, 3]}");  // log(-1) is NaN
  const std::string bce = s.write("bcenan.grad", "network bcenan\ndim n\ninput X[n, 1]\ntarget Y[n, 1]\n"
                                                 "param w[1] init=ones\nloss J = bce(sigmoid(log(X * w)), Y)\n");
  const std::string bce_feed = s.write("bce.json", "{\"X\": [[-1], [2]], \"Y\": [[0.5], [0.5]]}");
  for (const char* mode : {"--interp", ""})
    for (const auto& [net, feed] : {std::pair{relu, relu_feed}, std::pair{bce, bce_feed}}) {
      Result r = gradgen_in({"eval", net, "--feed", feed}, mode);
      INFO(net << " " << mode << ": " << r.err);
      REQUIRE(r.status == 0);
      CHECK(json::parse(r.out)["loss"].is_null());
      CHECK(has(r.err, "loss (nan)"));
    }
}

TEST_CASE("eval seeds missing params and honours --precision", "[cli]") {
  std::vector<std::string> base{"eval", example("seed.grad"), "--feed", example("seed.feed.json"), "--interp"};
  auto with = [&](std::vector<std::string> extra) {
    auto a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return gradgen(a);
  };
  Result s0 = with({}), s0b = with({"--seed", "0"}), s1 = with({"--seed", "1"});
  CHECK(s0.out == s0b.out);
  CHECK(s0.out != s1.out);
  Result f64 = with({"--precision", "f64"});
  REQUIRE(f64.status == 0);
  double l32 = json::parse(s0.out)["loss"], l64 = json::parse(f64.out)["loss"];
  CHECK(l32 != l64);                   // seed.grad is f32; f64 is not rounded to float
  CHECK(std::fabs(l32 - l64) < 1e-6);  // ... but it is the same loss
  CHECK(static_cast<double>(static_cast<float>(l32)) == l32);
}

// eval's gradients against central differences of eval's own loss: every param is fed, so
// perturbing one element of the feed and re-running gives L(x ± h).
TEST_CASE("eval gradients match finite differences of the loss", "[cli]") {
  Scratch s;
  json feed = json::parse(slurp(example("seed.feed.json")));
  feed["W1"] = {{0.3, -0.2, 0.5}, {0.8, 0.1, -0.6}};
  feed["b1"] = {0.1, -0.1, 0.05};
  feed["W2"] = {{0.7}, {-0.4}, {0.2}};
  feed["b2"] = {0.02};
  auto run = [&](const json& f) {
    std::string path = s.write("feed.json", f.dump());
    Result r = gradgen({"eval", example("seed.grad"), "--feed", path, "--precision", "f64", "--interp"});
    REQUIRE(r.status == 0);
    return json::parse(r.out);
  };
  json base = run(feed);
  const double h = 1e-6;
  struct Probe {
    std::string name;
    std::vector<int> at;
  };
  for (const Probe& p : {Probe{"W1", {0, 2}}, Probe{"W1", {1, 0}}, Probe{"b1", {1}}, Probe{"W2", {2, 0}},
                         Probe{"b2", {0}}, Probe{"X", {1, 1}}, Probe{"X", {3, 0}}}) {
    auto elem = [&](json& j) -> json& { return p.at.size() == 1 ? j[p.name][p.at[0]] : j[p.name][p.at[0]][p.at[1]]; };
    json up = feed, down = feed;
    double x = elem(feed);
    elem(up) = x + h;
    elem(down) = x - h;
    double fd = (run(up)["loss"].get<double>() - run(down)["loss"].get<double>()) / (2 * h);
    json g = base["grads"];
    double grad = p.at.size() == 1 ? g[p.name][p.at[0]].get<double>() : g[p.name][p.at[0]][p.at[1]].get<double>();
    INFO(p.name << " at " << p.at[0]);
    CHECK(grad == Approx(fd).epsilon(1e-6).margin(1e-8));
  }
}

TEST_CASE("feed errors exit 1 naming the file and the tensor", "[cli]") {
  Scratch s;
  struct Case {
    std::string feed, expect;  // expect: what follows the file name (":LINE:COL: error: ..." when located)
  };
  std::vector<Case> cases{
      {R"({"Y": [[0], [1]]})", ": missing value for input 'X'"},  // nothing to point at
      {R"({"X": [[0, 0, 0]], "Y": [[0]]})", ":1:7: error: input 'X' has shape [1, 3] but is declared [n, 2]"},
      {"{\"X\": [[0, 0],\n  [0, \"a\"]], \"Y\": [[0], [1]]}", ":2:7: error: 'X'[1][1]: expected a number, got string"},
      {R"({"X": [[0, 0], [1]], "Y": [[0], [1]]})", ":1:16: error: 'X'[1]: ragged array"},
      {"{\"X\": [[0, 0], [1, 1]],\n \"Y\": [[0], [1], [1]]}", ":2:7: error: target 'Y' has shape [3, 1]"},  // n = 2 vs 3
      {R"({"X": [[0, 0]], "Y": [[0]], "Z": 1})", ":1:34: error: 'Z' is not an input, target or param"},
      {R"({"X": [[0, 0]], "Y": [[0]])", ":1:27: error: invalid JSON: syntax error"},
      {"{\"X\": [[0, 0]],\n \"Y\": [[1e999]]}", ":2:9: error: invalid JSON: number overflow parsing '1e999'"},
      {"\n  [1, 2]", ":2:3: error: expected one JSON object"},
      {R"({"X": [], "Y": [[0]]})", ":1:7: error: 'X': an empty array"},
      {R"({"X": [[0, 0]], "Y": [[0]], "b2": [true]})", ":1:36: error: 'b2'[0]: expected a number, got boolean"},
      {R"({"X": [[0, 0]], "Y": [[0]], "X": [[0, 0, 0]]})", ":1:29: error: 'X' is given twice (first at 1:2)"},
      {"{\"X\": [[0, 0]],\n \"Y\": [[0]],\n \"\\u0058\": [[1, 1]]}", ":3:2: error: 'X' is given twice (first at 1:2)"},
      {R"({"X\u0059": [[0]], "X": [[0, 0]], "Y": [[0]]})", ":1:13: error: 'XY' is not an input"},     // escapes decoded
      {R"({"X": [[0, 0]], "y": [[0]]})", ":1:22: error: 'y' is not an input, target or param of network 'seed'; did "
                                        "you mean 'Y'?"},
      {R"({"X": [[0, 0]], "Y": [[0]], "z3": [[0]]})", ":1:35: error: 'z3' is not an input, target or param of network "
                                                      "'seed' ('z3' is computed by the network, not fed)"},
  };
  for (bool interp : {true, false}) {
    for (const Case& c : cases) {
      std::string path = s.write("bad.feed.json", c.feed);
      std::vector<std::string> args{"eval", example("seed.grad"), "--feed", path};
      if (interp) args.push_back("--interp");
      Result r = gradgen(args);
      INFO(c.feed << "\n" << r.err);
      CHECK(r.status == 1);
      CHECK(r.out.empty());
      CHECK(has(r.err, path + c.expect));
      if (c.expect[1] != ' ') CHECK(has(r.err, "^\n"));  // located: the quoted line and a caret
    }
  }
  Result missing = gradgen({"eval", example("seed.grad"), "--feed", s.path("nope.json"), "--interp"});
  CHECK(missing.status == 1);
  CHECK(has(missing.err, "nope.json"));
}

// A feed read from a pipe cannot be read again: its errors are located in the text as read.
TEST_CASE("feed errors from a pipe are located, with the line quoted", "[cli]") {
  Scratch s;
  const std::string feed = s.write("piped.json", "{\"X\": [[0, 0]],\n \"Y\": [[0]], \"Z\": 1}");
  for (const char* mode : {"--interp", "--precision=f64"}) {
    Result r = run_argv({"sh", "-c", "exec \"$0\" eval \"$1\" --feed /dev/stdin \"$2\" < \"$3\"", GG_GRADGEN_EXE,
                         example("seed.grad"), mode, feed},
                        s);
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(r.err == "/dev/stdin:2:19: error: 'Z' is not an input, target or param of network 'seed'\n"
                   " \"Y\": [[0]], \"Z\": 1}\n"
                   "                  ^\n");
  }
}

// "-" is the standard input, as in most command-line tools: for the network (every
// subcommand) or the feed, never both; messages name it <stdin>.
TEST_CASE("the network or the feed read from the standard input when named -", "[cli]") {
  Scratch s;
  // gradgen ARGS... < file, through sh (run_argv gives the child /dev/null).
  auto piped = [&](const std::string& file, std::vector<std::string> args) {
    std::vector<std::string> all{"sh", "-c", "exec \"$@\" < \"$0\"", file, GG_GRADGEN_EXE};
    all.insert(all.end(), args.begin(), args.end());
    return run_argv(all, s);
  };
  const std::string seed = example("seed.grad");
  for (const char* sub : {"explain", "graph", "check"}) {
    INFO(sub);
    const Result from_file = gradgen({sub, seed}), from_stdin = piped(seed, {sub, "-"});
    CHECK(from_file.status == 0);
    CHECK(from_stdin.status == 0);
    CHECK(from_stdin.out == from_file.out);
  }
  const Result eval_file = gradgen({"eval", seed, "--feed", example("seed.feed.json"), "--interp"});
  const Result eval_feed = piped(example("seed.feed.json"), {"eval", seed, "--feed", "-", "--interp"});
  const Result eval_net = piped(seed, {"eval", "-", "--feed", example("seed.feed.json"), "--interp"});
  REQUIRE(eval_file.status == 0);
  CHECK(eval_feed.out == eval_file.out);
  CHECK(eval_net.out == eval_file.out);
  // generate: the files a file gives, but for the banner, which names <stdin>.
  REQUIRE(gradgen({"generate", seed, "-o", s.path("file")}).status == 0);
  REQUIRE(piped(seed, {"generate", "-", "-o", s.path("stdin")}).status == 0);
  for (const char* name : {"seed.hpp", "seed.cpp", "seed.h"}) {
    std::string from_file = slurp(s.path("file/") + name), from_stdin = slurp(s.path("stdin/") + name);
    CHECK(from_stdin.rfind("// @generated by gradgen ", 0) == 0);
    const std::string banner_tail = " from seed.grad\n";
    REQUIRE(has(from_file, banner_tail));
    from_file.replace(from_file.find(banner_tail), banner_tail.size(), " from <stdin>\n");
    CHECK(from_stdin == from_file);
  }
  // Errors are located in <stdin>, with the line quoted.
  const std::string bad = s.write("bad.grad", "network x\ninput a[2]\nloss L = sum(b)\n");
  Result r = piped(bad, {"check", "-"});
  CHECK(r.status == 1);
  CHECK(r.err == "<stdin>:3:14: error: unknown name 'b'\nloss L = sum(b)\n             ^\n");
  r = piped(s.write("bad.json", "{\"X\": [[0, 0]],\n \"Y\": [[0]], \"Z\": 1}"), {"eval", seed, "--feed", "-", "--interp"});
  CHECK(r.status == 1);
  CHECK(has(r.err, "<stdin>:2:19: error: 'Z' is not an input, target or param of network 'seed'\n"));
  // A closed standard input, or a directory, is an error, not an empty network or feed.
  r = run_argv({"sh", "-c", "exec \"$0\" explain - <&-", GG_GRADGEN_EXE}, s);
  CHECK(r.status == 1);
  CHECK(r.err == "<stdin>: error: cannot read the standard input: Bad file descriptor\n");
  r = piped(s.dir.string(), {"eval", seed, "--feed", "-", "--interp"});
  CHECK(r.status == 1);
  CHECK(r.err == "gradgen: error: cannot read the feed from the standard input: it is a directory\n");
  // One standard input: not both.
  r = piped(seed, {"eval", "-", "--feed", "-"});
  CHECK(r.status == 2);
  CHECK(r.err == "gradgen: error: the network and --feed cannot both be '-': there is one standard input\n");
  // A file named "-" is ./-.
  spit(s.path("-"), slurp(seed));
  Result dot_slash = run_argv({"sh", "-c", "cd \"$0\" && exec \"$1\" explain ./-", s.dir.string(), GG_GRADGEN_EXE}, s);
  CHECK(dot_slash.status == 0);
  CHECK(dot_slash.out == gradgen({"explain", seed}).out);
}

// Columns count bytes, as Clang's do; the caret goes under the character: one space for each
// character before it, however many bytes it has.
TEST_CASE("the caret sits under the column after characters of several bytes", "[cli]") {
  Scratch s;
  for (const std::string before : {"\"é\": 1", "\"b1\": [\"éé\", 1, 1]", "\"日本\": 2"}) {
    const std::string line = "{\"X\": [[0, 0]], \"Y\": [[0]], " + before + ", \"W2\": true}";
    const std::string feed = s.write("utf8.json", line);
    Result r = gradgen({"eval", example("seed.grad"), "--feed", feed, "--interp"});
    INFO(r.err);
    CHECK(r.status == 1);
    const size_t byte = line.find("true");
    size_t chars = 0;
    for (size_t i = 0; i < byte; ++i) chars += (static_cast<unsigned char>(line[i]) & 0xC0) != 0x80;
    CHECK(has(r.err, "utf8.json:1:" + std::to_string(byte + 1) + ": error: 'W2': expected a number, got boolean\n" +
                         line + "\n" + std::string(chars, ' ') + "^\n"));
  }
}

// Every file of the front end's error corpus: exit 1 fast, located diagnostic on stderr,
// nothing on stdout, and `graph -o` leaves no file behind.
TEST_CASE("malformed networks exit 1 with a located error and write nothing", "[cli]") {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(std::string(GG_SOURCE_DIR) + "/tests/errors/corpus"))
    if (e.path().extension() == ".grad") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 10);
  Scratch s;
  std::regex expect_re("^# expect: (\\d+:\\d+): ([^\\r\\n]*)");
  for (const fs::path& f : files) {
    INFO(f.filename().string());
    std::smatch m;
    std::string text = slurp(f.string());
    std::string located = f.string() + ":";
    if (std::regex_search(text, m, expect_re)) located += m[1].str() + ": error: " + m[2].str();
    for (const char* sub : {"explain", "graph", "check", "eval"}) {
      std::vector<std::string> args{sub, f.string()};
      if (std::string(sub) == "graph") args.insert(args.end(), {"-o", s.path("out.dot")});
      if (std::string(sub) == "eval") args.insert(args.end(), {"--feed", example("seed.feed.json")});
      if (std::string(sub) == "eval" || std::string(sub) == "check") args.push_back("--interp");
      Result r = gradgen(args);
      INFO(sub << ": " << r.err);
      CHECK(r.status == 1);
      CHECK(r.out.empty());
      CHECK(has(r.err, located));
      CHECK_FALSE(r.hung);
    }
    CHECK(!fs::exists(s.path("out.dot")));
    CHECK(std::distance(fs::directory_iterator(s.dir), fs::directory_iterator()) == 0);  // no temp files
  }
  Result missing = gradgen({"explain", s.path("missing.grad")});
  CHECK(missing.status == 1);
  CHECK(has(missing.err, "missing.grad: error: cannot read"));
}

// An error found while generating code (not while parsing) still points at the statement.
TEST_CASE("a param of symbolic shape is a located error for generate, compiled check and eval bind its dims", "[cli]") {
  namespace fs = std::filesystem;
  Scratch s;
  const std::string net = s.write("sym.grad",
                                  "network sym\ndim n, m\ninput X[n, m]\nparam W[m, 3]\nloss J = sum(X @ W)\n");
  Result gen = gradgen({"generate", net, "-o", s.path("out")});
  INFO(gen.err);
  CHECK(gen.status == 1);
  CHECK(has(gen.err, net + ":4:7: error: param 'W' has symbolic shape [m, 3]; fix its dims with --bind"));
  CHECK(has(gen.err, "\nparam W[m, 3]\n      ^\n"));
  CHECK_FALSE(fs::exists(s.path("out")));
  // Generated code has fixed-size params: check binds m to 4 (as --interp sizes open dims), or
  // to --bind's size; eval to the feed's.
  for (std::vector<std::string> args : {std::vector<std::string>{"check", net},
                                        std::vector<std::string>{"check", net, "--bind", "m=3"}}) {
    Result r = gradgen(args);
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(has(r.out, "ok: the 1 gradient agrees"));
  }
  const std::string feed = s.write("f.json", "{\"X\": [[1, 2], [3, 4], [5, 6]], \"W\": [[1, 0, 2], [0, 1, 3]]}");
  Result compiled = gradgen({"eval", net, "--feed", feed}), interp = gradgen({"eval", net, "--feed", feed, "--interp"});
  INFO(compiled.err);
  CHECK(compiled.status == 0);
  CHECK(has(compiled.out, "{\"loss\": 75, \"outputs\": {}, \"grads\": {\"W\": [[9, 9, 9], [12, 12, 12]]}}"));
  CHECK(compiled.out == interp.out);
  // A param dim that no fed tensor gives: the same error in both modes.
  const std::string lone = s.write("lone.grad", "network lone\ndim n, m\ninput X[n, 2]\nparam V[m, 2]\n"
                                                "loss J = sum(X * sum(V, axis=0))\n");
  for (const char* mode : {"--interp", ""}) {
    Result r = gradgen_in({"eval", lone, "--feed", s.write("x.json", "{\"X\": [[1, 2]]}")}, mode);
    CHECK(r.status == 1);
    CHECK(has(r.err, "cannot initialise param 'V' [m, 2]: dimension 'm' is not bound by any fed tensor"));
  }
}

// check and eval hold every value in memory: sizes beyond 2^27 scalars are refused at the
// tensor's declaration, or at the definition that computes such a value, instead of running
// out of memory (generate has no such limit).
TEST_CASE("check and eval refuse tensors too large to hold, at the statement", "[cli]") {
  Scratch s;
  const std::string big = s.write("big.grad", "network big\ninput X[100000, 100000]\nparam w\nloss L = w * sum(X)\n");
  const std::string outer = s.write("outer.grad", "network outer\ndim n\ninput X[n, 10]\ninput V[10, n]\n"
                                                  "param w\nloss L = w * sum(X @ V)\n");
  const std::string too_large = "scalars: too large for `gradgen check`, which keeps every value in memory";
  for (const char* mode : {"--interp", ""}) {
    Result r = gradgen_in({"check", big}, mode);
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(has(r.err, big + ":2:7: error: 'X' [100000, 100000] holds more than 134,217,728 " + too_large));
    CHECK(has(r.err, "\ninput X[100000, 100000]\n      ^\n"));
    // The product inside sum(X @ V) is [n, n]: fine at n = 4, refused at n = 20000.
    r = gradgen_in({"check", outer, "--bind", "n=20000"}, mode);
    INFO(r.err);
    CHECK(r.status == 1);
    // (compiled check generates with n bound, so the shape is [20000, 20000] there)
    CHECK(has(r.err, outer + (*mode ? ":6:6: error: a [n, n] value in the definition of 'L' holds more than "
                                      "134,217,728 scalars at n = 20000: too large"
                                    : ":6:6: error: a [20000, 20000] value in the definition of 'L' holds more "
                                      "than 134,217,728 scalars: too large")));
    CHECK(gradgen({"check", outer, "--interp"}).status == 0);
  }
  // eval: the dims come from the feed (X of 20000 rows of 10).
  std::string x_rows, v_row = "[1";
  for (int i = 0; i < 20000; ++i) x_rows += std::string(i ? "," : "") + "[1,2,3,4,5,6,7,8,9,10]";
  for (int i = 1; i < 20000; ++i) v_row += ",1";
  v_row += "]";
  std::string v_rows = v_row;
  for (int i = 1; i < 10; ++i) v_rows += "," + v_row;
  const std::string fed = s.write("fed.json", "{\"X\": [" + x_rows + "], \"V\": [" + v_rows + "]}");
  for (const char* mode : {"--interp", ""}) {
    Result r = gradgen_in({"eval", outer, "--feed", fed}, mode);
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(r.out.empty());
    CHECK(has(r.err, "a [n, n] value in the definition of 'L' holds more than 134,217,728 scalars at n = 20000: too "
                     "large for `gradgen eval`"));
  }
}

// The compiled driver keeps Params and Grads on the heap: 1200 × 1200 doubles (11.5 MB each)
// overflowed an 8 MB stack, and compiled check/eval died with status 139.
TEST_CASE("compiled check and eval run a network whose params do not fit on the stack", "[cli]") {
  Scratch s;
  const std::string net = s.write("wide.grad", "network wide\ndim n\ninput X[n, 1200]\nparam W[1200, 1200]\n"
                                               "precision f64\nloss L = mean(square(X @ W))\n");
  Result check = gradgen({"check", net, "--bind", "n=2"});
  INFO(check.out << check.err);
  CHECK(check.status == 0);
  CHECK(has(check.out, "ok: the 1 gradient agrees with finite differences"));
  std::string row = "[1";
  for (int i = 1; i < 1200; ++i) row += i % 2 ? ", -1" : ", 1";
  row += "]";
  const std::string feed = s.write("wide.json", "{\"X\": [" + row + "]}");
  Result eval = gradgen({"eval", net, "--feed", feed});
  INFO(eval.err);
  REQUIRE(eval.status == 0);
  Result interp = gradgen({"eval", net, "--feed", feed, "--interp"});
  json a = json::parse(eval.out), b = json::parse(interp.out);
  CHECK(a["loss"].get<double>() == Approx(b["loss"].get<double>()).epsilon(1e-12));
  CHECK(a["grads"]["W"][1199][1199].get<double>() == Approx(b["grads"]["W"][1199][1199].get<double>()).epsilon(1e-12));
}

// Inputs that are not files of text: a directory (the feed one used to abort the process), a
// device that never ends (read up to the 64 MiB limit, then refused); a pipe still works.
TEST_CASE("a directory or an endless device as the network or the feed is a clear error", "[cli]") {
  Scratch s;
  std::filesystem::create_directories(s.path("dir.json"));
  for (const char* mode : {"--interp", ""}) {
    INFO("mode " << mode);
    Result dir_feed = gradgen_in({"eval", example("seed.grad"), "--feed", s.path("dir.json")}, mode);
    CHECK(dir_feed.status == 1);
    CHECK(has(dir_feed.err, "gradgen: error: cannot read feed '" + s.path("dir.json") + "': it is a directory"));
  }
  Result dir_net = gradgen({"explain", s.path("dir.json")});
  CHECK(dir_net.status == 1);
  CHECK(has(dir_net.err, s.path("dir.json") + ": error: cannot read '" + s.path("dir.json") + "': it is a directory"));
  Result zero_net = gradgen({"explain", "/dev/zero"});
  CHECK(zero_net.status == 1);
  CHECK(has(zero_net.err, "cannot read '/dev/zero': it is larger than 64 MiB"));
  Result zero_feed = gradgen({"eval", example("seed.grad"), "--feed", "/dev/zero", "--interp"});
  CHECK(zero_feed.status == 1);
  CHECK(has(zero_feed.err, "cannot read feed '/dev/zero': it is larger than 64 MiB"));
}

// $CXX that is missing, is no C++ compiler or cannot link C++ is the environment's problem:
// exit 1 with what to do, not "internal error" (exit 4).
TEST_CASE("a $CXX that cannot build C++, or no temporary folder, is an input error naming it", "[cli]") {
  Scratch s;
  const std::vector<std::string> eval{"eval", example("seed.grad"), "--feed", example("seed.feed.json")};
  auto with_cxx = [&](const std::string& cxx) {
    std::vector<std::string> args{"env", "CXX=" + cxx, GG_GRADGEN_EXE};
    args.insert(args.end(), eval.begin(), eval.end());
    return run_argv(args, s);
  };
  Result no_tmp = run_argv({"env", "TMPDIR=/nonexistent", GG_GRADGEN_EXE, "eval", example("seed.grad"), "--feed",
                           example("seed.feed.json")}, s);
  CHECK(no_tmp.status == 1);
  CHECK(has(no_tmp.err, "gradgen: error: cannot create a temporary folder /nonexistent/gradgen-eval-XXXXXX: No such file "
                        "or directory (set $TMPDIR to a writable folder, or use --interp)"));
  Result missing = with_cxx("/nonexistent/c++");
  CHECK(missing.status == 1);
  CHECK(has(missing.err, "gradgen: error: cannot run the C++ compiler '/nonexistent/c++' (set $CXX, or use --interp)"));
  for (const char* cxx : {"false", "gcc"}) {  // gcc compiles C++ but does not link libstdc++
    Result r = with_cxx(cxx);
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(has(r.err, "gradgen: error: the C++ compiler '" + std::string(cxx) +
                         "' cannot build a minimal C++17 program (set $CXX to a C++ compiler, or use --interp)"));
    CHECK(r.out.empty());
  }
  // A "compiler" that succeeds without writing a program, or writes one that is not (-E: the
  // preprocessed text): the compiled network did not run, and neither does a minimal program.
  for (const char* cxx : {"true", "g++ --version", "g++ -E"}) {
    for (const char* command : {"eval", "check"}) {
      std::vector<std::string> args{"env", "CXX=" + std::string(cxx), GG_GRADGEN_EXE, command, example("seed.grad")};
      if (std::string(command) == "eval") args.insert(args.end(), {"--feed", example("seed.feed.json")});
      Result r = run_argv(args, s);
      INFO(cxx << " " << command << ": " << r.err);
      CHECK(r.status == 1);
      CHECK(has(r.err, "gradgen: error: the C++ compiler '" + std::string(cxx) +
                           "' builds a minimal C++17 program that does not run (it could not be started) (set $CXX "
                           "to a C++ compiler, or use --interp)"));
    }
  }
}

TEST_CASE("an interrupted compiled eval removes its temporary folder and ends by the signal", "[cli]") {
  namespace fs = std::filesystem;
  Scratch s;
  const fs::path tmp = s.dir / "tmp";
  fs::create_directories(tmp);
  const std::string cxx = s.write("slow-cxx", "#!/bin/sh\nexec sleep 60\n");  // a compile that takes a while
  fs::permissions(cxx, fs::perms::owner_all);
  for (int sig : {SIGINT, SIGTERM}) {
    INFO("signal " << sig);
    std::vector<std::string> all{"env", "CXX=" + cxx, "TMPDIR=" + tmp.string(), GG_GRADGEN_EXE, "eval",
                                 example("seed.grad"), "--feed", example("seed.feed.json")};
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawnattr_t attr;  // default dispositions: a background ctest may ignore SIGINT
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    REQUIRE(posix_spawnp(&pid, argv[0], nullptr, &attr, argv.data(), environ) == 0);
    posix_spawnattr_destroy(&attr);
    for (int waited = 0; fs::is_empty(tmp) && waited < 60000; waited += 10) usleep(10000);
    REQUIRE(!fs::is_empty(tmp));  // the temporary folder exists: compiling has begun
    kill(pid, sig);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == sig);
    CHECK(fs::is_empty(tmp));
  }
}

TEST_CASE("bce of a saturated sigmoid trains: finite gradients in both modes", "[cli]") {
  Scratch s;
  const std::string net = s.write("bsat.grad", "network bsat\nparam z[3]\ntarget y[3]\nloss J = bce(sigmoid(z), y)\n");
  const std::string feed = s.write("bsat.json", R"({"z": [20, 30, 2], "y": [1, 1, 1]})");
  for (const char* mode : {"--interp", ""}) {
    INFO("mode " << mode);
    Result r = gradgen_in({"eval", net, "--feed", feed}, mode);
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    json j = json::parse(r.out);
    // f32: sigmoid(20) and sigmoid(30) round to 1, where PyTorch's rule gives 0; dJ/dz = (p − y)/3 elsewhere.
    CHECK(j["grads"]["z"][0].get<double>() == 0);
    CHECK(j["grads"]["z"][1].get<double>() == 0);
    CHECK(j["grads"]["z"][2].get<double>() == Approx((1 / (1 + std::exp(-2.0)) - 1) / 3).epsilon(1e-5));
  }
}

TEST_CASE("elementwise losses broadcast their operands as p - y does", "[cli]") {
  Scratch s;
  const std::string net = s.write("m.grad", "network m\nprecision f64\nparam X[2, 3]\nparam c[3]\ntarget y[2, 1]\n"
                                            "loss J = mse(X, 0) + sse(X, c) + mse(X, y) + bce_logits(X, y)\n");
  const std::string feed = s.write("m.json", R"({"X": [[1, 2, 3], [4, 5, 6]], "c": [0.5, -1, 2], "y": [[1], [0]]})");
  const double X[2][3] = {{1, 2, 3}, {4, 5, 6}}, c[3] = {0.5, -1, 2}, y[2] = {1, 0};
  double loss = 0, dc[3] = {0, 0, 0};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) {
      const double x = X[i][j];
      loss += x * x / 6 + (x - c[j]) * (x - c[j]) + (x - y[i]) * (x - y[i]) / 6 + (std::log1p(std::exp(x)) - x * y[i]) / 6;
      dc[j] -= 2 * (x - c[j]);
    }
  for (const char* mode : {"--interp", ""}) {
    INFO("mode " << mode);
    Result r = gradgen_in({"eval", net, "--feed", feed}, mode);
    REQUIRE(r.status == 0);
    json j = json::parse(r.out);
    CHECK(j["loss"].get<double>() == Approx(loss).epsilon(1e-12));
    for (int k = 0; k < 3; ++k) CHECK(j["grads"]["c"][k].get<double>() == Approx(dc[k]).epsilon(1e-12));
  }
  CHECK(gradgen({"check", net}).status == 0);
  Result bad = gradgen({"check", s.write("bad.grad", "network bad\nparam X[2, 3]\ntarget y[2]\nloss J = mse(X, y)\n"), "--interp"});
  CHECK(bad.status == 1);
  CHECK(has(bad.err, "bad.grad:4:10: error: "));
  CHECK(has(bad.err, "prediction and target shapes differ: [2, 3] and [2]"));
}

TEST_CASE("every equation explain prints, with the same --bind, is a comment of the generated code", "[cli]") {
  // Also a gradient folded into every use (dJ/da = broadcast(1, [n, 2]) for J = sum(a)), in
  // row blocks and in the general schedule (it was left out, and the code's numbers began at B2).
  Scratch nets;
  const std::string folded = nets.write("folded.grad", "network folded\ndim n\ninput x[n, 2]\nparam w[2]\na = x * w\nloss J = sum(a)\n");
  const std::string folded_gemm = nets.write(
      "folded_gemm.grad", "network folded_gemm\ndim n\ninput x[n, 96]\nparam W[96, 64]\na = x @ W\nloss J = sum(a)\n");
  for (const std::vector<std::string>& bind : {std::vector<std::string>{}, std::vector<std::string>{"--bind", "n=4"}}) {
    for (const std::string& net : {example("seed.grad"), example("classifier.grad"), example("broadcast.grad"), folded, folded_gemm}) {
      INFO(net << (bind.empty() ? "" : " --bind n=4"));
      Scratch s;
      std::vector<std::string> gen{"generate", net, "-o", s.path("out")}, exp{"explain", net};
      gen.insert(gen.end(), bind.begin(), bind.end());
      exp.insert(exp.end(), bind.begin(), bind.end());
      REQUIRE(gradgen(gen).status == 0);
      Result e = gradgen(exp);
      REQUIRE(e.status == 0);
      std::string code;
      for (const auto& f : std::filesystem::directory_iterator(s.path("out")))
        if (f.path().extension() == ".cpp") code = slurp(f.path().string());
      CHECK(has(code, "as `gradgen explain" + std::string(bind.empty() ? "" : " --bind n=4") + "` prints it"));
      std::istringstream lines(e.out);
      int checked = 0;
      for (std::string line; std::getline(lines, line);) {
        const size_t colon = line.find(": ");
        if (line.rfind("  F", 0) != 0 && line.rfind("  B", 0) != 0) continue;
        CHECK(has(code, "// " + line.substr(2)));
        checked += colon != std::string::npos;
      }
      CHECK(checked >= 3);
    }
  }
  CHECK(gradgen({"explain", example("seed.grad"), "--bind", "m=4"}).status == 2);  // no dim m
}

TEST_CASE("graph -o replaces the file only on success", "[cli]") {
  Scratch s;
  std::string out = s.write("g.dot", "old contents\n");
  std::string bad = s.write("bad.grad", "network b\ninput X[2\n");
  CHECK(gradgen({"graph", bad, "-o", out}).status == 1);
  CHECK(slurp(out) == "old contents\n");
  CHECK(gradgen({"graph", example("seed.grad"), "-o", out}).status == 0);
  CHECK(slurp(out).rfind("digraph", 0) == 0);
  Result nodir = gradgen({"graph", example("seed.grad"), "-o", s.path("no/such/dir/g.dot")});
  CHECK(nodir.status == 1);
  CHECK(has(nodir.err, "cannot write"));
}

// What a command prints on stdout is output too: a write that fails (here a full disk) is an
// error, with the reason, not a silent success with the output lost.
TEST_CASE("a stdout that cannot be written is an error", "[cli]") {
  Scratch s;
  const std::string seed = example("seed.grad"), feed = example("seed.feed.json");
  const std::vector<std::vector<std::string>> commands{{"explain", seed},
                                                       {"graph", seed, "--backward"},
                                                       {"eval", seed, "--feed", feed, "--interp"},
                                                       {"check", seed, "--interp"},
                                                       {"generate", seed, "-o", s.path("out"), "--report"},
                                                       {"--help"},
                                                       {"--version"}};
  for (const auto& args : commands) {
    const Result r = gradgen(args, "/dev/full");
    INFO(args[0] << ": " << r.err);
    CHECK(r.status == 1);
    CHECK(has(r.err, "gradgen: error: cannot write the standard output"));
  }
  // generate's report is printed before its files are written: a failed one writes nothing.
  const Result report = gradgen({"generate", seed, "-o", s.path("out"), "--report"}, "/dev/full");
  CHECK(has(report.err, "gradgen: error: cannot write the standard output: No space left on device; no files were written\n"));
  CHECK(!std::filesystem::exists(s.path("out")));
  // A failed check keeps its own status (3) and still says its report was lost.
  const std::string kink = s.write("kink.grad", "network kink\nparam w[] init=constant(1)\nloss L = relu(w - 1)\n");
  const Result failed = gradgen({"check", kink, "--interp"}, "/dev/full");
  CHECK(failed.status == 3);
  CHECK(has(failed.err, "cannot write the standard output"));
}

TEST_CASE("graph and generate write through a symbolic link, and into a pipe in place", "[cli]") {
  namespace fs = std::filesystem;
  Scratch s;
  const std::string real = s.write("real.dot", "old contents\n");
  fs::create_directories(s.dir / "links");
  fs::create_symlink("../real.dot", s.dir / "links" / "link.dot");
  REQUIRE(gradgen({"graph", example("seed.grad"), "-o", s.path("links/link.dot")}).status == 0);
  CHECK(fs::is_symlink(fs::symlink_status(s.dir / "links" / "link.dot")));  // the link is kept
  CHECK(slurp(real).rfind("digraph", 0) == 0);
  // A dangling link: the file it names is created.
  fs::create_symlink("made.dot", s.dir / "dangling.dot");
  REQUIRE(gradgen({"graph", example("seed.grad"), "-o", s.path("dangling.dot")}).status == 0);
  CHECK(fs::is_symlink(fs::symlink_status(s.dir / "dangling.dot")));
  CHECK(slurp(s.path("made.dot")).rfind("digraph", 0) == 0);
  // generate's files too.
  fs::create_directories(s.dir / "out");
  const std::string header = s.write("elsewhere.hpp", "old header\n");
  fs::create_symlink(header, s.dir / "out" / "seed.hpp");
  REQUIRE(gradgen({"generate", example("seed.grad"), "-o", s.path("out")}).status == 0);
  CHECK(fs::is_symlink(fs::symlink_status(s.dir / "out" / "seed.hpp")));
  CHECK(has(slurp(header), "namespace seed"));
  // A loop of links is an error, not a hang.
  fs::create_symlink("loop_b", s.dir / "loop_a");
  fs::create_symlink("loop_a", s.dir / "loop_b");
  Result loop = gradgen({"graph", example("seed.grad"), "-o", s.path("loop_a")});
  CHECK(loop.status == 1);
  CHECK(has(loop.err, "cannot write '" + s.path("loop_a") + "'"));
  // A pipe (as /dev/null or /dev/stdout would be) stays a pipe: renaming a file over a device
  // would replace it.
  const std::string fifo = s.path("pipe");
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  std::string read_back;
  std::thread reader([&] { read_back = slurp(fifo); });
  Result piped = gradgen({"graph", example("seed.grad"), "-o", fifo});
  const int unblock = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // a reader still waiting (a failure) sees EOF
  if (unblock >= 0) close(unblock);
  reader.join();
  CHECK(piped.status == 0);
  CHECK(fs::is_fifo(fs::status(fifo)));
  CHECK(read_back.rfind("digraph", 0) == 0);
}

// A write that fails (here a file-size limit standing in for a full disk) took the files back
// but left the output folder it had created, empty.
TEST_CASE("generate removes the output folders it created when its files cannot be written", "[cli]") {
  namespace fs = std::filesystem;
  Scratch s;
  const std::string out = s.path("new/a/b");
  Result r = run_argv({"sh", "-c", "trap '' XFSZ; ulimit -f 1; exec \"$0\" generate \"$1\" -o \"$2\"", GG_GRADGEN_EXE,
                       example("seed.grad"), out},
                      s);
  CHECK(r.status == 1);
  CHECK(has(r.err, "cannot write '" + out + "/seed."));
  CHECK_FALSE(fs::exists(s.path("new")));
  // A folder that was there stays.
  fs::create_directories(s.path("kept"));
  Result kept = run_argv({"sh", "-c", "trap '' XFSZ; ulimit -f 1; exec \"$0\" generate \"$1\" -o \"$2\"", GG_GRADGEN_EXE,
                          example("seed.grad"), s.path("kept/inner")},
                         s);
  CHECK(kept.status == 1);
  CHECK(fs::is_directory(s.path("kept")));
  CHECK_FALSE(fs::exists(s.path("kept/inner")));
  // A folder that cannot be made says why.
  const std::string file = s.write("a_file", "x\n");
  Result blocked = gradgen({"generate", example("seed.grad"), "-o", file});
  CHECK(blocked.status == 1);
  CHECK(has(blocked.err, "cannot create output directory '" + file + "': "));
}

TEST_CASE("generate writes its three files all or nothing", "[cli]") {
  namespace fs = std::filesystem;
  Scratch s;
  const fs::path out = s.dir / "out";
  auto entries = [&] {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(out)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  };
  // seed.hpp is renamed into place first; seed.cpp cannot be, over a non-empty folder.
  fs::create_directories(out / "seed.cpp" / "in_the_way");
  spit((out / "seed.hpp").string(), "old header\n");
  Result r = gradgen({"generate", example("seed.grad"), "-o", out.string()});
  CHECK(r.status == 1);
  CHECK(has(r.err, "cannot write '" + (out / "seed.cpp").string() + "': "));
  CHECK(slurp((out / "seed.hpp").string()) == "old header\n");  // put back
  CHECK(entries() == std::vector<std::string>{"seed.cpp", "seed.hpp"});  // no seed.h, no temporaries
  fs::remove_all(out / "seed.cpp");
  REQUIRE(gradgen({"generate", example("seed.grad"), "-o", out.string()}).status == 0);
  CHECK(has(slurp((out / "seed.hpp").string()), "namespace seed"));
  CHECK(entries() == std::vector<std::string>{"seed.cpp", "seed.h", "seed.hpp"});
}

// The first line of each generated file names the input without its folder: the same bytes
// from an absolute or a relative path, no absolute path in them, and a file name with a
// newline cannot end the comment early.
TEST_CASE("generated files name the input file without its folder", "[cli]") {
  namespace fs = std::filesystem;
  Scratch s;
  const std::string odd = s.write("we\nird\\.grad", slurp(example("seed.grad")));
  REQUIRE(gradgen({"generate", odd, "-o", s.path("abs")}).status == 0);
  REQUIRE(gradgen({"generate", fs::relative(odd).string(), "-o", s.path("rel")}).status == 0);
  for (const char* f : {"seed.hpp", "seed.cpp", "seed.h"}) {
    INFO(f);
    const std::string text = slurp(s.path(std::string("abs/") + f));
    CHECK(text.rfind("// @generated by gradgen ", 0) == 0);
    CHECK(text.substr(0, text.find('\n')).find("from we?ird?.grad") != std::string::npos);
    CHECK(!has(text, s.dir.string()));
    CHECK(text == slurp(s.path(std::string("rel/") + f)));
  }
  s.write("main.c", "#include \"seed.h\"\nint main(void) { seed_params p; return seed_init(&p, 1); }\n");
  Result c = run_argv({"gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-I" + s.path("abs"), "-fsyntax-only", s.path("main.c")}, s);
  INFO(c.err);
  CHECK(c.status == 0);
}

TEST_CASE("output is deterministic", "[cli]") {
  std::vector<std::vector<std::string>> runs{
      {"explain", example("classifier.grad"), "--format", "latex"},
      {"graph", example("broadcast.grad"), "--backward"},
      {"eval", example("classifier.grad"), "--feed", example("classifier.feed.json"), "--interp"},
      {"check", example("input_grad.grad"), "--interp", "--seed", "3"},
  };
  for (const auto& args : runs) {
    Result a = gradgen(args), b = gradgen(args);
    INFO(args[0]);
    CHECK(a.status == 0);
    CHECK(a.out == b.out);
    CHECK(a.err == b.err);
  }
}

// A build step that runs generate on every edit of the .grad (a comment) must not make
// everything downstream recompile: a file whose bytes would not change keeps its time stamp;
// one that changes is replaced.
TEST_CASE("generate leaves a file that would not change untouched", "[cli]") {
  namespace fs = std::filesystem;
  Scratch s;
  const std::string out = s.path("out");
  REQUIRE(gradgen({"generate", example("seed.grad"), "-o", out}).status == 0);
  const auto long_ago = fs::file_time_type::clock::now() - std::chrono::hours(24);
  for (const char* f : {"/seed.hpp", "/seed.cpp", "/seed.h"}) fs::last_write_time(out + f, long_ago);
  REQUIRE(gradgen({"generate", example("seed.grad"), "-o", out}).status == 0);
  for (const char* f : {"/seed.hpp", "/seed.cpp", "/seed.h"}) CHECK(fs::last_write_time(out + f) == long_ago);
  const std::string before = slurp(out + "/seed.cpp");
  REQUIRE(gradgen({"generate", example("seed.grad"), "-o", out, "--bind", "n=4"}).status == 0);
  CHECK(fs::last_write_time(out + "/seed.cpp") != long_ago);
  CHECK(slurp(out + "/seed.cpp") != before);
  CHECK(fs::directory_iterator(out) != fs::directory_iterator());
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(out)) ++files;
  CHECK(files == 3);  // no temporaries left behind
}

// The network name names the files: the longest one allowed (200 characters) still fits the
// file system's 255 bytes with generate's temporaries; one more is a located error.
TEST_CASE("generate writes the files of a network with the longest name allowed", "[cli]") {
  Scratch s;
  auto network = [&](size_t length) {
    return s.write("long.grad", "network " + std::string(length, 'n') +
                                    "\ndim n\ninput X[n, 2]\nparam W[2, 2]\nloss J = sum(X @ W)\n");
  };
  const std::string name(200, 'n');
  Result ok = gradgen({"generate", network(200), "-o", s.path("out")});
  INFO(ok.err);
  REQUIRE(ok.status == 0);
  for (const char* ext : {".hpp", ".cpp", ".h"}) CHECK(slurp(s.path("out/" + name + ext)).find(name) != std::string::npos);

  Result too_long = gradgen({"generate", network(201), "-o", s.path("out2")});
  CHECK(too_long.status == 1);
  CHECK(has(too_long.err, "long.grad:1:9: error: the network name is 201 characters long; at most 200 are allowed, "
                          "as it names the generated files"));
  CHECK(!std::filesystem::exists(s.path("out2")));
}

// An f32 param whose init argument is past float's range would start as infinity everywhere:
// an error at that argument when the init is used (generate, eval of an unfed param), not for f64.
TEST_CASE("an f32 init past float's range is a located error naming the init", "[cli]") {
  Scratch s;
  const std::string net = s.write("big.grad",
                                  "network big\ndim n\ninput X[n, 2]\nparam W[2, 2] init=constant(1e300)\n"
                                  "param b[2] init=normal(0, 1e39)\nloss J = sum(X @ W + b)\n");
  const std::string at_w = "big.grad:4:29: error: 'W' init=constant(1e+300): 1e+300 is past the range of f32 "
                           "(largest 3.4028235e+38); declare 'precision f64' or use a smaller value";
  const std::string at_b = "big.grad:5:27: error: 'b' init=normal(0, 1e+39): 1e+39 is past the range of f32";
  Result gen = gradgen({"generate", net, "-o", s.path("out")});
  CHECK(gen.status == 1);
  CHECK(has(gen.err, at_w));
  CHECK(!std::filesystem::exists(s.path("out")));
  CHECK(gradgen({"generate", net, "-o", s.path("out64"), "--precision", "f64"}).status == 0);
  for (const char* mode : {"--interp", ""}) {
    INFO("mode " << mode);
    Result unfed = gradgen_in({"eval", net, "--feed", s.write("x.json", "{\"X\": [[1, 2]]}")}, mode);
    CHECK(unfed.status == 1);
    CHECK(has(unfed.err, at_w));
    Result w_fed = gradgen_in({"eval", net, "--feed", s.write("xw.json", "{\"X\": [[1, 2]], \"W\": [[1, 2], [3, 4]]}")}, mode);
    CHECK(w_fed.status == 1);
    CHECK(has(w_fed.err, at_b));
    Result all_fed = gradgen_in(
        {"eval", net, "--feed", s.write("all.json", "{\"X\": [[1, 2]], \"W\": [[1, 2], [3, 4]], \"b\": [1, 2]}")}, mode);
    INFO(all_fed.err);
    CHECK(all_fed.status == 0);
    CHECK(has(all_fed.out, "\"loss\": 20"));
  }
}

// A number in an expression past float's range (a literal, a const, pow's exponent) would
// silently be infinity in f32 code: an error at the number, naming the definition that uses it;
// every such number is reported.
TEST_CASE("an f32 number past float's range in an expression is a located error", "[cli]") {
  Scratch s;
  struct Case {
    std::string body, expect, also = "";
  };
  const std::vector<Case> cases{
      {"const c = 1e39\nh = x * c\nloss J = sum(h)\n", "big.grad:4:11: error: the number 1e+39 (used by 'h') is past "
                                                          "the range of f32 (largest 3.4028235e+38); declare 'precision "
                                                          "f64' or use a smaller value"},
      {"loss J = sum(x - 5e38)\n", "big.grad:4:18: error: the number 5e+38 (used by 'J') is past the range of f32"},
      {"output p = pow(x, 1e40)\nloss J = sum(p)\n", "big.grad:4:19: error: the number 1e+40 (used by 'p')"},
      // Each one, not only the first.
      {"q = x * 1e39\nr = x * 2e39\nloss J = sum(q) + sum(r)\n", "big.grad:5:9: error: the number 2e+39 (used by 'r')",
       "big.grad:4:9: error: the number 1e+39 (used by 'q') is past the range of f32 (largest 3.4028235e+38); declare "
       "'precision f64' or use a smaller value\nq = x * 1e39\n        ^\n"},
      // At the number of its own statement, not at the same number written earlier.
      {"y = x * 1e39\nparam W[2] init=normal(0, 1e39)\nloss J = sum(y) + sum(W)\n",
       "big.grad:5:27: error: 'W' init=normal(0, 1e+39): 1e+39 is past the range of f32",
       "big.grad:4:9: error: the number 1e+39 (used by 'y')"},
  };
  for (const Case& c : cases) {
    const std::string net = s.write("big.grad", "network big\ndim n\ninput x[n, 2]\n" + c.body);
    INFO(c.body);
    Result gen = gradgen({"generate", net, "-o", s.path("out")});
    CHECK(gen.status == 1);
    INFO(gen.err);
    CHECK(has(gen.err, c.expect));
    CHECK(has(gen.err, c.also));
    CHECK(!std::filesystem::exists(s.path("out")));
    const std::string feed = s.write("x.json", "{\"x\": [[1, 2]]}");
    for (const char* mode : {"--interp", ""}) {
      Result ev = gradgen_in({"eval", net, "--feed", feed}, mode);
      CHECK(ev.status == 1);
      CHECK(has(ev.err, c.expect));
    }
    CHECK(gradgen({"generate", net, "-o", s.path("out64"), "--precision", "f64"}).status == 0);
  }
  // f32 asked for with --precision: the advice is the flag, not a declaration the file has.
  const std::string f64 = s.write("f64.grad", "network f64\nprecision f64\ninput x[2]\nloss J = sum(x * 1e39)\n");
  CHECK(gradgen({"generate", f64, "-o", s.path("f64")}).status == 0);
  Result forced = gradgen({"generate", f64, "-o", s.path("f32"), "--precision", "f32"});
  CHECK(forced.status == 1);
  CHECK(has(forced.err, "f64.grad:4:18: error: the number 1e+39 (used by 'J') is past the range of f32 (largest "
                        "3.4028235e+38); use --precision f64 or a smaller value"));
}

// normal(0, 1e38): mean and std fit in float, but a few of 40 draws land past 3.4e38 and
// were infinity with init returning kOk.
TEST_CASE("an f32 normal init whose draws reach past float's range is a located error", "[cli]") {
  Scratch s;
  const std::string net = s.write("nv.grad", "network nv\ndim n\ninput X[n, 1]\nparam V[1, 40] init=normal(0, 1e38)\n"
                                             "param U[1, 40] init=normal(1, 5e37)\nloss J = sum(X @ V) + sum(X @ U)\n");
  Result gen = gradgen({"generate", net, "-o", s.path("out")});
  CHECK(gen.status == 1);
  CHECK(has(gen.err, "nv.grad:4:31: error: 'V' init=normal(0, 1e+38): draws within 6 std of the mean reach past the "
                     "range of f32 (largest 3.4028235e+38), where they would be infinite; declare 'precision f64' or "
                     "use a smaller std"));
  CHECK(!has(gen.err, "'U'"));
  CHECK(!std::filesystem::exists(s.path("out")));
  CHECK(gradgen({"generate", net, "-o", s.path("out64"), "--precision", "f64"}).status == 0);
}

// mse(o[n, 1], Y[n]) is an [n, n] comparison under numpy's rules: accepted, as the spec says,
// with a located warning (PyTorch's losses warn too); same-shaped operands say nothing.
TEST_CASE("a loss that broadcasts both operands is accepted with a located warning", "[cli]") {
  Scratch s;
  const std::string net = s.write("bw.grad", "network bw\ndim n\ninput X[n, 3]\ntarget Y[n]\no = dense(X, 1)\n"
                                             "loss J = mse(o, Y)\n");
  Result gen = gradgen({"generate", net, "-o", s.path("out")});
  CHECK(gen.status == 0);
  CHECK(has(gen.err, "bw.grad:6:10: warning: the loss broadcasts its operands [n, 1] and [n] to [n, n] (numpy's "
                     "rules), comparing every prediction with every target; give both the same shape\n"
                     "loss J = mse(o, Y)\n         ^\n"));
  CHECK(std::filesystem::exists(s.path("out/bw.hpp")));
  // One operand widened: PyTorch warns there too; a scalar target does not warn.
  const std::string one = s.write("bw1.grad", "network bw1\ndim n\ninput X[n, 3]\ntarget Y[n, 1]\no = dense(X, 3)\n"
                                              "loss J = mse(o, Y)\n");
  Result widened = gradgen({"explain", one});
  CHECK(widened.status == 0);
  CHECK(has(widened.err, "bw1.grad:6:10: warning: the loss broadcasts its operand [n, 1] to [n, 3] (numpy's rules) "
                         "to compare it with the other; give both the same shape if that is not meant\n"));
  const std::string scalar = s.write("bw0.grad", "network bw0\ndim n\ninput X[n, 3]\no = dense(X, 3)\n"
                                                 "loss J = mse(o, 0)\n");
  Result constant = gradgen({"explain", scalar});
  CHECK(constant.status == 0);
  CHECK(!has(constant.err, "warning"));
  Result same = gradgen({"explain", example("seed.grad")});
  CHECK(same.status == 0);
  CHECK(!has(same.err, "warning"));
}

// A dim that no tensor uses is still an argument of every generated function: a warning at
// the dim, once; a network with an error says only the error.
TEST_CASE("an unused dim is accepted with a located warning", "[cli]") {
  Scratch s;
  const std::string net = s.write("ud.grad", "network ud\ndim n, m\ninput X[n, 2]\nloss J = sum(X)\n");
  Result gen = gradgen({"generate", net, "-o", s.path("out")});
  CHECK(gen.status == 0);
  CHECK(has(gen.err, "ud.grad:2:8: warning: dim 'm' is declared but no input, target or param uses it; the "
                     "generated functions still take it as an argument\ndim n, m\n       ^\n"));
  CHECK(std::filesystem::exists(s.path("out/ud.hpp")));
  const std::string bad = s.write("ud2.grad", "network ud2\ndim n, m\ninput X[n, 2]\nloss J = sum(Q)\n");
  Result err = gradgen({"explain", bad});
  CHECK(err.status == 1);
  CHECK(!has(err.err, "warning"));
}

// 'grad' on a param, or on a name already listed, changes nothing: accepted with a located
// warning (the user may have meant another name); the gradients produced are the same.
TEST_CASE("grad on a param or a repeated name is accepted with a located warning", "[cli]") {
  Scratch s;
  const std::string net = s.write("gw.grad", "network gw\ndim n\ninput X[n, 2]\nparam W[2, 1]\ngrad X, W\ngrad X\n"
                                             "loss J = sum(X @ W)\n");
  Result gen = gradgen({"generate", net, "-o", s.path("out")});
  CHECK(gen.status == 0);
  CHECK(has(gen.err, "gw.grad:5:9: warning: 'W' is a param, whose gradient is always produced; 'grad' is for inputs "
                     "and targets\ngrad X, W\n        ^\n"));
  CHECK(has(gen.err, "gw.grad:6:6: warning: 'X' is already listed in 'grad' (at 5:6)\ngrad X\n     ^\n"));
  const std::string plain = s.write("gw.grad", "network gw\ndim n\ninput X[n, 2]\nparam W[2, 1]\ngrad X\n\n"
                                               "loss J = sum(X @ W)\n");  // the same file, each once
  Result once = gradgen({"generate", plain, "-o", s.path("out1")});
  CHECK(once.status == 0);
  CHECK(!has(once.err, "warning"));
  CHECK(slurp(s.path("out/gw.hpp")) == slurp(s.path("out1/gw.hpp")));
  CHECK(slurp(s.path("out/gw.cpp")) == slurp(s.path("out1/gw.cpp")));
}

// A number below the smallest double reads as 0, as in C++ and numpy, but not silently (clang:
// -Wliteral-range); a denormal one is taken as it is.
TEST_CASE("a number that underflows to 0 is accepted with a located warning", "[cli]") {
  Scratch s;
  const std::string net = s.write("uf.grad", "network uf\nconst c = 1e-400\nparam w[2]\nloss L = sum(w * c + w * 1e-310)\n");
  Result r = gradgen({"explain", net});
  CHECK(r.status == 0);
  CHECK(has(r.err, "uf.grad:2:11: warning: number '1e-400' is below the smallest double (4.9e-324) and reads as 0\n"
                   "const c = 1e-400\n          ^\n"));
  CHECK(!has(r.err, "1e-310"));
  CHECK(has(r.out, "w · 0 + w · 1e-310"));
}

// An optimizer setting that f32 rounds past its rule (beta1 = 0.99999999 is 1.0f: Adam's
// bias correction divides by zero; eps = 1e-50 is 0: a zero gradient gives NaN) or past the
// range of f32 was emitted as that float: an error at the number; f64 takes them.
TEST_CASE("f32 optimizer settings keep their rules as float holds them", "[cli]") {
  Scratch s;
  struct Case {
    std::string optimizer, lr, expect;
  };
  const std::string advice = "; declare 'precision f64' or choose another value";
  const std::vector<Case> cases{
      {"adam(lr=0.1, beta1=0.99999999)", "", "opt.grad:5:30: error: optimizer adam: beta1 = 0.99999999 rounds to 1 in f32, and it must be in [0, 1)" + advice},
      {"adam(lr=0.1, eps=1e-50)", "", "opt.grad:5:28: error: optimizer adam: eps = 1e-50 rounds to 0 in f32, and it must be positive" + advice},
      {"sgd(lr=0.1, momentum=0.99999999)", "", "opt.grad:5:32: error: optimizer sgd: momentum = 0.99999999 rounds to 1 in f32"},
      {"sgd(lr=1e39)", "", "opt.grad:5:18: error: optimizer sgd: lr = 1e+39 is past the range of f32 (largest 3.4028235e+38)" + advice},
      {"sgd(lr=0.1)", " lr=1e-60", "opt.grad:4:18: error: 'W' lr = 1e-60 rounds to 0 in f32, which would freeze the params" + advice},
  };
  for (const Case& c : cases) {
    INFO(c.optimizer << c.lr);
    const std::string net = s.write("opt.grad", "network opt\ninput X[1, 2]\ntarget Y[1, 1]\nparam W[2, 1]" + c.lr +
                                                    "\noptimizer " + c.optimizer + "\nloss J = mse(X @ W, Y)\n");
    Result gen = gradgen({"generate", net, "-o", s.path("out")});
    CHECK(gen.status == 1);
    CHECK(has(gen.err, c.expect));
    CHECK(!std::filesystem::exists(s.path("out")));
    CHECK(gradgen({"generate", net, "-o", s.path("out64"), "--precision", "f64"}).status == 0);
  }
  // Every broken setting is reported, in source order; f32 from --precision names the flag.
  const std::string both = s.write("both.grad", "network both\nprecision f64\ninput X[1, 2]\ntarget Y[1, 1]\n"
                                                "param W[2, 1] lr=1e-50\noptimizer adam(lr=0.1, eps=1e-50)\n"
                                                "loss J = mse(X @ W, Y)\n");
  Result forced = gradgen({"generate", both, "-o", s.path("both"), "--precision", "f32"});
  CHECK(forced.status == 1);
  CHECK(has(forced.err, "both.grad:5:18: error: 'W' lr = 1e-50 rounds to 0 in f32, which would freeze the params; use "
                        "--precision f64 or choose another value"));
  CHECK(has(forced.err, "both.grad:6:28: error: optimizer adam: eps = 1e-50 rounds to 0 in f32, and it must be "
                        "positive; use --precision f64 or choose another value"));
  CHECK(forced.err.find("both.grad:5:18") < forced.err.find("both.grad:6:28"));
  // The largest settings float keeps below 1 are fine.
  const std::string fine = s.write("fine.grad", "network fine\ninput X[1, 2]\ntarget Y[1, 1]\nparam W[2, 1]\n"
                                                "optimizer adam(beta1=0.9999999, beta2=0.9999999, eps=1e-40)\n"
                                                "loss J = mse(X @ W, Y)\n");
  CHECK(gradgen({"generate", fine, "-o", s.path("fine")}).status == 0);
}

// A fed number past float's range would be infinity in an f32 evaluation.
TEST_CASE("an f32 feed number past float's range is a located error", "[cli]") {
  Scratch s;
  const std::string feed = s.write("big.json", "{\"X\": [[1, 2],\n [3, 1e39]], \"Y\": [[0], [1]]}");
  for (const char* mode : {"--interp", ""}) {
    Result r = gradgen_in({"eval", example("seed.grad"), "--feed", feed}, mode);
    INFO("mode " << mode);
    CHECK(r.status == 1);
    CHECK(has(r.err, "big.json:2:6: error: 'X'[1][1]: 1e+39 is past the range of f32 (largest 3.4028235e+38); "
                     "evaluate with --precision f64"));
  }
  CHECK(gradgen({"eval", example("seed.grad"), "--feed", feed, "--interp", "--precision", "f64"}).status == 0);
}

// A fed -0.0 reached compiled code as the literal "-0", the int 0: the sign was lost. It is
// printed as -0.0, which JSON readers (Python's json, nlohmann) read back as the double -0.
TEST_CASE("a fed -0.0 keeps its sign in both modes", "[cli]") {
  expect_eval("network nz\ninput x[2]\nparam w[2] init=ones\noutput a = x * w\nloss J = sum(a)\n",
              "{\"x\": [-0.0, 2]}", "{\"loss\": 2, \"outputs\": {\"a\": [-0.0, 2]}, \"grads\": {\"w\": [-0.0, 2]}}\n");
  const double back = nlohmann::json::parse("[-0.0]")[0].get<double>();
  CHECK((back == 0 && std::signbit(back)));
}

// `dim n, m` with m used by no tensor: the feed cannot give it, but the generated API still
// takes it; compiled eval stopped with "internal error: map::at".
TEST_CASE("eval of a network that declares a dim no tensor uses, in both modes", "[cli]") {
  expect_eval("network unused\ndim n, m\ninput X[n, 2]\nparam w[2]\nloss J = sum(X * w)\n",
              "{\"X\": [[1, 2], [3, 4]], \"w\": [0.5, -1]}", "{\"loss\": -4, \"outputs\": {}, \"grads\": {\"w\": [4, 6]}}\n");
}

// The compiled eval's driver declared variables and helpers named after the network's tensors
// (`in_X` for an input X) next to names of its own (`flat`, `print`, `drv_st`): a network named
// `flat` or an input named `in_X` beside an X did not compile there ("internal error").
TEST_CASE("eval of a network whose names are the driver's own, in both modes", "[cli]") {
  for (const char* name : {"flat", "print", "vec", "first_error", "run_case_0", "gg_drv"})
    expect_eval(std::string("network ") + name + "\ndim in_X\ninput X[in_X, 2]\ninput out_y[in_X, 2]\ninput drv_st[]\n"
                    "param w[2]\ngrad X\noutput y = X * w\nloss J = sum(y) + sum(out_y) * drv_st\n",
                "{\"X\": [[1, 2], [3, 4]], \"out_y\": [[1, 1], [1, 1]], \"drv_st\": 2, \"w\": [0.5, -1]}",
                "{\"loss\": 4, \"outputs\": {\"y\": [[0.5, -2], [1.5, -4]]}, \"grads\": {\"w\": [4, 6], \"X\": [[0.5, -1], "
                "[0.5, -1]]}}\n");
}

// Names of any length: generate built a std::regex from each dim name and matched --namespace
// with one, and libstdc++'s regex recurses per character (a 30,000-character dim name
// overflowed the stack under ASan, a 100,000-character namespace in any build).
TEST_CASE("generate takes a 100,000-character dim name and --namespace", "[cli]") {
  Scratch s;
  const std::string dim(100000, 'd');
  const std::string net = s.write("longdim.grad", "network longdim\ndim " + dim + "\ninput X[" + dim +
                                                      ", 2]\nparam W[2, 1]\nloss J = mean(square(X @ W))\n");
  Result r = gradgen({"generate", net, "-o", s.path("out")});
  INFO(r.err.substr(0, 400));
  CHECK(r.status == 0);
  CHECK(has(slurp(s.path("out/longdim.hpp")), "std::int64_t " + dim));
  Result ns = gradgen({"generate", example("seed.grad"), "-o", s.path("ns"), "--namespace", std::string(100000, 'a')});
  CHECK(ns.status == 0);
  Result bad = gradgen({"generate", example("seed.grad"), "-o", s.path("bad"), "--namespace", std::string(100000, 'a') + "-"});
  CHECK(bad.status == 2);
  CHECK(has(bad.err, "--namespace expects a C++ namespace name"));
}

// A UTF-8 byte-order mark, as some editors write one, is not part of the text: feed errors
// stay located (they lost LINE:COL, and a repeated name went unnoticed) and .grad columns and
// carets count from after it.
TEST_CASE("a UTF-8 byte-order mark is skipped: errors stay located, columns count after it", "[cli]") {
  Scratch s;
  const std::string bom = "\xEF\xBB\xBF";
  struct Case {
    std::string feed, expect;
  };
  for (const Case& c : std::vector<Case>{
           {bom + R"({"X": [[0, 0], [1]], "Y": [[0], [1]]})", "bom.feed.json:1:16: error: 'X'[1]: ragged array"},
           {bom + R"({"X": [[0, 0]], "Y": [[0]], "X": [[0, 0, 0]]})", "bom.feed.json:1:29: error: 'X' is given twice"},
           {bom + R"({"X": [[0, 0]], "Y": [[0]],})", "bom.feed.json:1:28: error: invalid JSON"}}) {
    const std::string feed = s.write("bom.feed.json", c.feed);
    Result r = gradgen({"eval", example("seed.grad"), "--feed", feed, "--interp"});
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(has(r.err, c.expect));
    CHECK(!has(r.err, bom));
  }
  expect_explain_error("bom.grad", bom + "network a $\n", "1:11: error: unexpected character '$'\nnetwork a $\n          ^\n");
}

// The end of a CRLF line is its '\r' (it was one column further, past the line).
TEST_CASE("an error at the end of a CRLF line points at the end of the line", "[cli]") {
  expect_explain_error("crlf.grad", "network c\r\ninput X[2]\r\nloss J = sum(X) +\r\n",
                       "3:18: error: expected an expression, got end of line\nloss J = sum(X) +\n                 ^\n");
}

// JSON has no NUL byte: the parser stopped at one and the rest of the feed went unread; and a
// name holding a control character cut every message quoting it at the NUL.
TEST_CASE("a NUL byte in a feed, or a control character in a name, is a located error", "[cli]") {
  Scratch s;
  const std::string nul = s.write("nul.json", std::string(R"({"X": [[0, 0]], "Y": [[0]]})") + '\0' + ", \"W1\": 5");
  Result r = gradgen({"eval", example("seed.grad"), "--feed", nul, "--interp"});
  CHECK(r.status == 1);
  CHECK(r.out.empty());
  CHECK(has(r.err, "nul.json:1:28: error: invalid JSON: a NUL byte"));
  const std::string key = s.write("key.json", R"({"X\u0000": 1, "X": [[0, 0]], "Y": [[0]]})");
  r = gradgen({"eval", example("seed.grad"), "--feed", key, "--interp"});
  CHECK(r.status == 1);
  CHECK(has(r.err, "key.json:1:2: error: the name \"X\\u0000\" holds a control character; no tensor is named so\n"));
}

// Constants folded to NaN or infinity: NaN has no sign worth printing (it was "(-nan)"), and
// LaTeX spells both as symbols (it printed "inf" and "-nan" as text).
TEST_CASE("explain prints folded NaN and infinities as nan and inf, in LaTeX as symbols", "[cli]") {
  Scratch s;
  const std::string net = s.write("nan.grad", "network a\ninput X[2]\nloss J = sum(X * (0/0)) + sum(X * (1/0)) + sum(X * (-1/0))\n");
  Result text = gradgen({"explain", net});
  CHECK(text.status == 0);
  CHECK(has(text.out, "F1: J = sum(X · nan) + sum(X · inf) + sum(X · (−inf))\n"));
  Result latex = gradgen({"explain", net, "--format", "latex"});
  CHECK(latex.status == 0);
  // sum(x) as \operatorname{sum}(x), as mean: a bare \sum a \cdot \sum b read as Σ(a·Σb).
  CHECK(has(latex.out, "J &= \\operatorname{sum}(X \\cdot \\mathrm{NaN}) + \\operatorname{sum}(X \\cdot \\infty) + "
                       "\\operatorname{sum}(X \\cdot \\left(-\\infty\\right))"));
}

// Readability of what explain and generate print (each point was a reader's complaint).
TEST_CASE("explain and generate: temporaries, products, masks, signs and scalar statements read plainly", "[cli]") {
  Scratch s;
  // A temporary never takes a dim's name: with `dim t1`, "1/t1" must mean the batch size.
  const std::string dimt = s.write("dimt.grad", "network dimt\ndim t1\ninput X[t1, 3]\ntarget Y[t1, 1]\n"
                                                "param W[3, 1]\np = sigmoid(X @ W)\nloss J = bce(p, Y)\n");
  Result e = gradgen({"explain", dimt});
  REQUIRE(e.status == 0);
  CHECK(has(e.out, "      t2 = 1 − p\n"));
  CHECK(!has(e.out, "      t1 = "));
  // The same product written twice is one product: its gradient is multiplied once. A clamp
  // reads as a conditional, a negated constant gradient as the constant.
  const std::string twice = s.write("twice.grad", "network twice\ndim n\ninput X[n, 3]\ntarget Y[n, 1]\ntarget T[n]\n"
                                                  "param W[3, 1]\np = sigmoid(X @ W)\nv = sum(X @ W, axis=1)\n"
                                                  "loss J = bce(p, Y) - sum(v - T, axis=0)\ngrad T\n");
  e = gradgen({"explain", twice});
  REQUIRE(e.status == 0);
  CHECK(has(e.out, "B3: dJ/dW = Xᵀ @ (unsqueeze(dJ/dv, axis=1) + dJ/dp ⊙ p ⊙ t1)\n"));
  CHECK(has(e.out, "B1: dJ/dv = broadcast(unsqueeze(−1, axis=0), [n])\n"));  // U+2212, not '-'
  REQUIRE(gradgen({"generate", twice, "-o", s.path("twice")}).status == 0);
  const std::string code = slurp(s.path("twice/twice.cpp"));
  CHECK(has(code, "dJ_dT[i0] = 1.0f;"));
  CHECK(has(code, " < 1e-12f ? 1e-12f : "));
  CHECK(!has(code, "!= 0 ?"));
  size_t products = 0;  // dJ/dW = Xᵀ @ (...): one product (it was Xᵀ @ a + Xᵀ @ b, two)
  for (size_t at = code.find("gg::matmul_tn("); at != std::string::npos; at = code.find("gg::matmul_tn(", at + 1))
    ++products;
  CHECK(products == 1);
  // mse over [n, 2] scales by 2/(2n): printed reduced.
  const std::string wide = s.write("wide.grad", "network wide\ndim n\ninput X[n, 2]\ntarget Y[n, 2]\nparam W[2, 2]\n"
                                                "b = tanh(X @ W)\nloss J = mse(b, Y)\n");
  e = gradgen({"explain", wide});
  REQUIRE(e.status == 0);
  CHECK(has(e.out, "B1: dJ/db = 1/n · (b − Y)\n"));
  // A network of scalars: each statement under its own equation, not all comments first.
  const std::string scal = s.write("scal.grad", "network scal\ninput x[]\ntarget y[]\nparam a[] init=constant(2)\n"
                                                "param c[]\nu = a * x * x + 3 / c - x / a\nloss J = square(u - y)\n");
  REQUIRE(gradgen({"generate", scal, "-o", s.path("scal")}).status == 0);
  const std::string scode = slurp(s.path("scal/scal.cpp"));
  CHECK(has(scode, "  // B1: dJ/du = 2 · (u − y)\n  const Scalar dJ_du = 2.0f * J_sub;\n"));
  CHECK(has(scode, "  // F2: J = (u − y)²\n  J[0] = gg::square(J_sub);\n"));
}
