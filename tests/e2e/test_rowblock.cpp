// The row-block schedule (generator/emit/cpp_rowblock.h): which entry points take it, and that
// its code matches the interpreter at batch sizes around the block widths (1, 3, 5, 17, 19, 64
// rows: full blocks, partial blocks and single rows), bound or not, in f32 and f64, and that
// train_step (--fuse-step) on it equals loss_and_grad + step.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <sstream>

#include "e2e_support.h"
#include "random_nets.h"

namespace {

std::string source(const std::string& rel) { return std::string(GG_SOURCE_DIR) + "/" + rel; }

const char* const kBlock = "auto rows = [&](auto lanes, std::int64_t r0) {";

size_t count(const std::string& text, const std::string& what) {
  size_t k = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++k;
  return k;
}

// relu, sigmoid output, bce_logits.
const char* const kReluNet = R"(network relunet
dim n
input X[n, 5]
target Y[n, 2]
param W1[5, 7]
param b1[7] init=uniform(-0.1, 0.1)
param W2[7, 2]
param b2[2]
h = relu(X @ W1 + b1)
z = h @ W2 + b2
output p = sigmoid(z)
loss J = bce_logits(z, Y)
optimizer sgd(lr=0.1)
)";

// tanh, log_softmax, a sum over the non-row axis, softplus, and a loss computed after the loop
// from two accumulated values (mse + mean).
const char* const kPostNet = R"(network postnet
dim n
input X[n, 3]
target Y[n, 4]
param W[3, 4]
param c[4] init=uniform(0.5, 1.5)
h = tanh(X @ W) * c
s = log_softmax(h)
output q = sum(s, axis=1)
loss J = mse(h, Y) + 0.5 * mean(softplus(h))
optimizer sgd(lr=0.1)
)";

// A transposed product, (P.T @ h.T).T = h @ P, row-local although its operand h.T is not (its
// gradient has the same form), and softmax and cross_entropy of the same logits, which share
// each row's logsumexp.
const char* const kTransposedNet = R"(network tposenet
dim n
input X[n, 3]
target Y[n, 4]
param W1[3, 5]
param b1[5] init=uniform(-0.1, 0.1)
param P[5, 4]
h = tanh(X @ W1 + b1)
z = (P.T @ h.T).T
output p = softmax(z, axis=-1)
loss J = cross_entropy(z, Y)
grad X
optimizer sgd(lr=0.1)
)";

// Renames `network NAME` to `network NAME<suffix>` so that variants link into one driver.
std::string renamed(std::string text, const std::string& suffix) {
  size_t at = text.rfind("network ", 0) == 0 ? 0 : text.find("\nnetwork ") + 1;
  size_t end = text.find('\n', at);
  text.insert(end, suffix);
  return text;
}

std::vector<std::string> networks() {
  return {e2e::read_file(source("bench/networks/w1_seed.grad")), e2e::read_file(source("examples/seed.grad")),
          e2e::read_file(source("examples/classifier.grad")), kReluNet, kPostNet, kTransposedNet};
}

void check(std::vector<std::unique_ptr<e2e::Net>>& nets, const char* compiler, double tol) {
  std::vector<e2e::Net*> ptrs;
  for (auto& n : nets) {
    INFO(n->file);
    CHECK(count(n->files.cpp, kBlock) >= 2);  // forward and loss_and_grad
    ptrs.push_back(n.get());
  }
  auto got = e2e::compile_and_run(ptrs, compiler, true);
  for (size_t i = 0; i < nets.size(); ++i) {
    INFO(nets[i]->file << " n=" << nets[i]->dims.at("n"));
    e2e::compare(*nets[i], got[i], e2e::interpret(*nets[i]), tol);
  }
}

// Every network at each batch size: unbound (n at run time) and bound (--bind).
void check_batches(const char* precision, const char* compiler, double tol) {
  std::vector<std::unique_ptr<e2e::Net>> nets;
  int k = 0;
  for (const std::string& text : networks()) {
    ++k;
    for (int64_t rows : {1, 3, 17, 64}) {
      std::string suffix = "_u" + std::to_string(rows);
      auto n = e2e::build_net(renamed(text, suffix), "net" + std::to_string(k) + suffix + ".grad", {}, precision);
      e2e::set_batch(*n, rows, 7);
      nets.push_back(std::move(n));
    }
    for (int64_t rows : {5, 19}) {
      std::string suffix = "_b" + std::to_string(rows);
      nets.push_back(e2e::build_net(renamed(text, suffix), "net" + std::to_string(k) + suffix + ".grad", {{"n", rows}},
                                    precision));
    }
  }
  check(nets, compiler, tol);
}

// w1_seed's X[n, 2] = sin(0.37 i), Y[n, 1] = cos(0.5 r).
const char* const kW1Fill =
    "  for (std::int64_t i = 0; i < n * 2; ++i) X[i] = Scalar(std::sin(0.37 * double(i)));\n"
    "  for (std::int64_t r = 0; r < n; ++r) Y[r] = Scalar(std::cos(0.5 * double(r)));\n";

std::string with_optimizer(std::string text, const std::string& optimizer) {
  size_t at = text.rfind("\noptimizer ") + 1;
  return text.substr(0, at) + "optimizer " + optimizer + "\n";
}

}  // namespace

TEST_CASE("row blocks: small row-wise networks take them, W2, W3 and rows reading sums over rows do not", "[e2e][rowblock]") {
  auto seed = e2e::build_net(e2e::read_file(source("bench/networks/w1_seed.grad")), "w1_seed.grad");
  CHECK(count(seed->files.cpp, kBlock) == 2);  // forward, loss_and_grad
  CHECK(seed->files.cpp.find("#include <type_traits>") != std::string::npos);
  CHECK(seed->files.cpp.find("gg::matmul_") == std::string::npos);
  CHECK(seed->files.cpp.find("for (; n - r >= 16; r += 16) rows(std::integral_constant<std::size_t, 16>{}, r);") !=
        std::string::npos);
  // Every gradient of the seed is a sum over rows: a lane-wise accumulator each.
  for (const char* acc : {"Scalar acc_dJ_dW1[6][16] = {};", "Scalar acc_dJ_db1[3][16] = {};",
                          "Scalar acc_dJ_dW2[3][16] = {};", "Scalar acc_dJ_db2[1][16] = {};", "Scalar acc_J[1][16] = {};"})
    CHECK(seed->files.cpp.find(acc) != std::string::npos);
  CHECK(seed->files.cpp.find("// B7: dJ/dW1 = Xᵀ @ dJ/dz2") != std::string::npos);

  auto bound = e2e::build_net(e2e::read_file(source("bench/networks/w1_seed.grad")), "w1_seed.grad", {{"n", 4}},
                              nullptr, 1, false, true);
  CHECK(count(bound->files.cpp, kBlock) == 3);  // forward, loss_and_grad, train_step
  CHECK(bound->files.cpp.find("  rows(std::integral_constant<std::size_t, 4>{}, 0);\n") != std::string::npos);
  CHECK(bound->files.cpp.find("Scalar acc_dJ_dW1[6][4] = {};") != std::string::npos);
  auto b19 = e2e::build_net(e2e::read_file(source("bench/networks/w1_seed.grad")), "w1_seed.grad", {{"n", 19}});
  CHECK(b19->files.cpp.find("  rows(std::integral_constant<std::size_t, 16>{}, 0);\n") != std::string::npos);
  CHECK(b19->files.cpp.find("for (std::int64_t r = 16; r < 19; r += 1) rows(std::integral_constant<std::size_t, 1>{}, r);") !=
        std::string::npos);
  auto f64 = e2e::build_net(e2e::read_file(source("bench/networks/w1_seed.grad")), "w1_seed.grad", {}, "f64");
  CHECK(f64->files.cpp.find("for (; n - r >= 8; r += 8) rows(std::integral_constant<std::size_t, 8>{}, r);") !=
        std::string::npos);

  for (const char* big : {"bench/networks/w2_mlp.grad", "bench/networks/w3_mlp.grad"})
    for (bool blas : {false, true}) {
      INFO(big << (blas ? " --blas" : ""));
      auto n = e2e::build_net(e2e::read_file(source(big)), big, {}, nullptr, 1, blas);
      CHECK(n->files.cpp.find("std::integral_constant") == std::string::npos);
    }
  // centered = X − mean(X, axis=0): rows read a sum over rows; input_grad: one fixed row.
  for (const char* other : {"examples/broadcast.grad", "examples/input_grad.grad"}) {
    auto n = e2e::build_net(e2e::read_file(source(other)), other);
    CHECK(n->files.cpp.find("std::integral_constant") == std::string::npos);
  }

  // (P.T @ h.T).T is h @ P, row by row; softmax(z) (in dJ/dz) and cross_entropy(z) compute
  // one logsumexp per row between them.
  auto tpose = e2e::build_net(kTransposedNet, "tposenet.grad");
  INFO(tpose->files.report);
  CHECK(count(tpose->files.cpp, kBlock) == 2);
  CHECK(tpose->files.report.find("not row blocks") == std::string::npos);
  {
    size_t at = tpose->files.cpp.find("Status loss_and_grad_impl(");
    std::string lag = tpose->files.cpp.substr(at, tpose->files.cpp.find("\nStatus ", at + 1) - at);
    CHECK(count(lag, "lse.max = pv > lse.max ? pv : lse.max;") == 1);
    CHECK(count(lag, "const gg::Lse<Scalar> lse = lse_z[0][l];  // logsumexp computed above") == 1);
    CHECK(count(lag, "// F2: z = (Pᵀ @ hᵀ)ᵀ") == 1);
  }

  // Some random networks qualify; most mix rows on purpose (x − mean(x, axis=0), x · mean(x)),
  // which needs a second pass over the rows, and keep the general schedule.
  int taken = 0;
  for (int i = 0; i < 24; ++i) {
    std::string name = "rnd" + std::to_string(i);
    auto n = e2e::build_net(e2e::random_network(name, static_cast<uint64_t>(i)), name + ".grad", {}, "f64",
                            static_cast<uint64_t>(i));
    taken += n->files.cpp.find(kBlock) != std::string::npos;
  }
  WARN("random networks taking row blocks: " << taken << " of 24");
  CHECK(taken >= 6);  // 5 before (P.T @ h.T).T was accepted
}

// The loop over a block's lanes writes the rows of dJ/dX beside reading the rows of X: GG_IVDEP
// tells GCC they are distinct rows, without which its -O2 cost model (no alias checks) left every
// lane loop scalar. Compile only, for AVX-512 (where the loop's branches can be masked), whatever
// the host.
TEST_CASE("row blocks: g++ -O2 vectorizes every loop over the lanes, an input gradient's included", "[e2e][rowblock][vectorize]") {
  auto seed = e2e::build_net(e2e::read_file(source("examples/seed.grad")), "seed.grad", {}, nullptr, 1, false, true);
  const std::string& cpp = seed->files.cpp;
  REQUIRE(cpp.find("dJ_dX_rows[") != std::string::npos);  // the seed asks for grad X
  std::set<int> lane_loops;  // their line numbers
  int line = 1;
  for (size_t at = 0; at < cpp.size(); at = cpp.find('\n', at) + 1, ++line) {
    const std::string text = cpp.substr(at, cpp.find('\n', at) - at);
    if (text.find("// one row per lane") != std::string::npos) lane_loops.insert(line);
    if (cpp.find('\n', at) == std::string::npos) break;
  }
  REQUIRE(lane_loops.size() == 3);  // forward, loss_and_grad, train_step
  gg::cpp::TempDir dir("gradgen-rowblock-vec");
  for (const auto& [name, text] : {std::pair{seed->files.base + ".cpp", cpp}, {seed->files.base + ".hpp", seed->files.hpp},
                                   {seed->files.base + ".h", seed->files.h}})
    gg::cpp::write_text(dir.file(name), text);
  auto r = gg::cpp::run_process({"g++", "-std=c++17", "-O2", "-march=x86-64-v4", "-fopt-info-vec-optimized", "-c",
                                 "-I" + gg::runtime_include_dir(), "-I" + dir.path(), dir.file(seed->files.base + ".cpp"),
                                 "-o", dir.file("seed.o")},
                                dir.path());
  REQUIRE(r.exit_code == 0);
  for (int at : lane_loops) {
    INFO("the lane loop at seed.cpp:" << at << "\n" << r.err);
    CHECK(r.err.find("seed.cpp:" + std::to_string(at) + ":") != std::string::npos);
  }
}

TEST_CASE("row blocks match the interpreter for 1 to 64 rows, bound or not (f64, clang++)", "[e2e][rowblock]") {
  check_batches("f64", e2e::compilers().back().c_str(), 1e-10);
}

TEST_CASE("row blocks match the interpreter for 1 to 64 rows, bound or not (f32, g++)", "[e2e][rowblock]") {
  check_batches("f32", "g++", 1e-5);
}

TEST_CASE("row blocks with --fuse-step: train_step equals loss_and_grad + step after 5 steps", "[e2e][rowblock][fuse]") {
  const std::string w1 = e2e::read_file(source("bench/networks/w1_seed.grad"));
  struct Case {
    const char* optimizer;
    int64_t rows;
    bool bound;
  };
  for (const Case& c : {Case{"sgd(lr=0.5)", 5, true}, Case{"sgd(lr=0.5)", 19, true}, Case{"sgd(lr=0.5)", 17, false},
                        Case{"sgd(lr=0.1, momentum=0.9)", 17, false}, Case{"adam(lr=0.01)", 4, true}}) {
    INFO(c.optimizer << " n=" << c.rows << (c.bound ? " bound" : ""));
    gg::DimBindings bind;
    if (c.bound) bind["n"] = c.rows;
    auto n = e2e::build_net(with_optimizer(w1, c.optimizer), "w1.grad", bind, "f64", 1, false, true);
    REQUIRE(count(n->files.cpp, kBlock) == 3);
    e2e::FuseOutcome o = e2e::run_fuse_step(*n, 2, 1, kW1Fill, c.rows, c.bound, 5);
    CHECK(o.moved > 1e-4);
    CHECK(o.param_diff <= 1e-12);
    CHECK(o.loss_diff <= 1e-12);
  }
}

// A value read twice is inlined into both reads unless its text is long; a chain of such values
// (a_i = a_{i-1}·w + a_{i-1}·v, and their gradients, each read twice by the next) doubled at
// each link: 40 links took minutes and gigabytes. Long ones are now locals, computed once.
TEST_CASE("row blocks: a chain of values each read twice grows the code linearly and matches the interpreter", "[e2e][rowblock]") {
  auto chain = [](const std::string& name, int links, const std::string& step) {
    std::ostringstream s;
    s << "network " << name << "\nprecision f64\ndim n\ninput X[n, 3]\nparam w[3] init=uniform(0.4, 0.6)\n"
      << "param v[3] init=uniform(0.4, 0.6)\na0 = X * w\n";
    for (int i = 1; i <= links; ++i) {
      std::string link = step;
      for (size_t at; (at = link.find('@')) != std::string::npos;) link.replace(at, 1, "a" + std::to_string(i - 1));
      s << "a" << i << " = " << link << "\n";
    }
    s << "loss L = sum(a" << links << ")\n";
    return s.str();
  };
  std::vector<std::unique_ptr<e2e::Net>> nets;
  nets.push_back(e2e::build_net(chain("params_chain", 40, "@ * w + @ * v"), "params_chain.grad"));
  nets.push_back(e2e::build_net(chain("constants_chain", 60, "@ * 0.5 + @ * 0.5"), "constants_chain.grad"));
  std::vector<e2e::Net*> ptrs;
  for (auto& n : nets) {
    INFO(n->file);
    CHECK(count(n->files.cpp, kBlock) == 1);  // loss_and_grad (no outputs: no forward)
    CHECK(n->files.cpp.size() < 400000);  // 40 links were > 1 GB
    e2e::set_batch(*n, 5, 3);
    ptrs.push_back(n.get());
  }
  CHECK(count(nets[0]->files.cpp, "const Scalar part") >= 40);
  auto got = e2e::compile_and_run(ptrs, e2e::compilers().front(), true);
  for (size_t i = 0; i < nets.size(); ++i) {
    INFO(nets[i]->file);
    e2e::compare(*nets[i], got[i], e2e::interpret(*nets[i]), 1e-10);
  }
}

// f32 sums over many rows of same-sign terms (set_batch fills 0.1 .. 0.9): a float running
// sum per lane, or per column of a bias gradient, lost ~n·2⁻²⁴ of itself (3e-4 at n = 20001).
// Row blocks settle their lanes into double totals every 32 blocks; the general schedule's
// column sums are added up in double; matmul loops add up chunks of 256 terms in double, and
// gg::gemm's row-by-row path (m <= 3) sums k in blocks of 256. All stay within 3e-6 of the
// interpreter.
TEST_CASE("f32 sums over 20001 rows keep float's precision in both schedules", "[e2e][rowblock]") {
  const std::string rowblock = "dim n\ninput X[n, 3]\ntarget Y[n, 1]\nparam W[3, 1]\nparam b[1]\n"
                               "output s = sum(X, axis=0)\nloss J = mean(X @ W + b - Y) + sum(Y)\n";
  const std::string general = "dim n\ninput X[n, 1]\nparam w[1, 100] init=uniform(0.5, 1)\nparam b[100]\n"
                              "loss J = mean(relu(X @ w + b))\n";
  std::vector<std::unique_ptr<e2e::Net>> nets;
  for (const auto& [name, text] : {std::pair{"sumrb", rowblock}, std::pair{"sumgen", general}}) {
    auto unbound = e2e::build_net(std::string("network ") + name + "\n" + text, std::string(name) + ".grad", {}, "f32");
    e2e::set_batch(*unbound, 20001, 3);
    nets.push_back(std::move(unbound));
    // Bound, X @ W is large enough for a GEMM, which sums k in float blocks as BLAS does: loops here.
    auto bound = e2e::build_net(std::string("network ") + name + "b\n" + text, std::string(name) + "b.grad",
                                {{"n", 20001}}, "f32", 1, gg::cpp::GemmBackend::Loops, false);
    e2e::set_batch(*bound, 20001, 3);
    nets.push_back(std::move(bound));
  }
  // A layer of 3 inputs: its weight gradient is gg::gemm with m = 3, k = n (the row-by-row path).
  auto narrow = e2e::build_net("network sumw\ndim n\ninput X[n, 3]\nparam W[3, 600] init=uniform(0.5, 1)\n"
                               "loss J = sum(square(X @ W)) / 2\n", "sumw.grad", {}, "f32");
  e2e::set_batch(*narrow, 20001, 3);
  CHECK(narrow->files.cpp.find("gg::gemm(true, false, 3, n, 600") != std::string::npos);
  nets.push_back(std::move(narrow));
  CHECK(nets[0]->files.cpp.find("settle()") != std::string::npos);
  CHECK(nets[1]->files.cpp.find("settle()") != std::string::npos);
  CHECK(nets[2]->files.cpp.find("col_sums[i1] += ") != std::string::npos);
  auto got = e2e::compile_and_run({nets[0].get(), nets[1].get(), nets[2].get(), nets[3].get(), nets[4].get()}, "g++", false);
  for (size_t i = 0; i < nets.size(); ++i) e2e::compare(*nets[i], got[i], e2e::interpret(*nets[i]), 3e-6);
}
