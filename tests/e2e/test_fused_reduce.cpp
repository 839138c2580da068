// Reductions over leading axes (bias gradients' column sums, an explicit mean over rows, the
// sum_to of a [1, k] bias) are accumulated output-stationary inside the loop that produces their
// operand, and softmax / log_softmax / cross-entropy rows of one operand share one row loop with
// one logsumexp. The generated code still matches the interpreter: f32 and f64, batch unbound
// and bound to sizes that are not a multiple of any vector width, own matmul loops and --blas.
#include <catch2/catch.hpp>

#include "e2e_support.h"

namespace {

const char* kNet = R"(network fred
dim n
input X[n, 5]
target Y[n, 3]
param W1[5, 6] init=uniform(-0.5, 0.5)
param b1[6] init=uniform(-0.1, 0.1)
param c1[1, 6] init=uniform(-0.1, 0.1)
param W2[6, 3] init=uniform(-0.5, 0.5)
param b2[3] init=uniform(-0.1, 0.1)
h = tanh(X @ W1 + b1 + c1)
m = mean(h * h, axis=0)
z = h @ W2 + b2
p = softmax(z, axis=-1)
lp = log_softmax(z)
output scores = z
output probs = p
output colmean = m
loss J = cross_entropy(z, Y) + 0.1 * sum(p * lp) + 0.05 * sum(m)
optimizer sgd(lr=0.1)
)";

// Products big enough for --blas (a symbolic n counts as 64): the column sums fuse into the
// epilogue loop after the GEMM.
const char* kBlasNet = R"(network fredblas
dim n
input X[n, 32]
target Y[n, 10]
param W1[32, 40] init=uniform(-0.2, 0.2)
param b1[40] init=uniform(-0.1, 0.1)
param W2[40, 10] init=uniform(-0.2, 0.2)
param b2[10] init=uniform(-0.1, 0.1)
h = relu(X @ W1 + b1)
z = h @ W2 + b2
output scores = z
loss J = cross_entropy(z, Y)
optimizer sgd(lr=0.05)
)";

// A mean over rows of an unnamed activation of a product: the GEMM, the activation and the
// mean share the epilogue loop.
const char* kBlasMean = R"(network fredmean
dim n
input X[n, 64]
target Y[64]
param W[64, 64] init=uniform(-0.1, 0.1)
loss J = mse(mean(relu(X @ W), axis=0), Y)
optimizer sgd(lr=0.1)
)";

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

// Whether the innermost loop around text position `at` is preceded by a GG_IVDEP line.
bool marked(const std::string& cpp, size_t at) {
  const size_t loop = cpp.rfind("for (", at);
  const size_t line_end = cpp.rfind('\n', loop), line_start = cpp.rfind('\n', line_end - 1) + 1;
  const std::string prev = cpp.substr(line_start, line_end - line_start);
  return prev.find_first_not_of(' ') != std::string::npos && prev.substr(prev.find_first_not_of(' ')) == "GG_IVDEP";
}

void check(e2e::Net& n, double tol, bool blas) {
  auto got = e2e::compile_and_run({&n}, "g++", true, blas ? "-lopenblas" : "");
  e2e::compare(n, got[0], e2e::interpret(n), tol);
}

}  // namespace

TEST_CASE("column sums fuse into their operand's loop and softmax rows share one logsumexp", "[e2e][fusion]") {
  auto f64 = e2e::build_net(kNet, "fred.grad", {}, "f64", 1);
  const std::string& cpp = f64->files.cpp;
  // The bias gradients start from zero and accumulate row by row, inside a loop (never a
  // column-outer loop).
  CHECK(has(cpp, "gg::fill(dJ_db1, 6, Scalar(0));"));
  CHECK(has(cpp, "dJ_db1[i1] += "));
  CHECK(has(cpp, "dJ_dc1[i1] += "));
  CHECK(has(cpp, "m[i1] += "));
  CHECK(has(cpp, "m[i0] = m[i0] / "));
  // One logsumexp per row writes the softmax; cross-entropy and log_softmax reuse it.
  CHECK(has(cpp, "gg::logsumexp_softmax<Scalar>(3, "));
  CHECK(!has(cpp, "gg::logsumexp<Scalar>(3, "));
  check(*f64, 1e-10, false);

  auto f32 = e2e::build_net(kNet, "fred.grad", {}, "f32", 2);
  check(*f32, 2e-5, false);

  for (int64_t batch : {1, 7, 13}) {
    INFO("n = " << batch);
    auto b64 = e2e::build_net(kNet, "fred.grad", {{"n", batch}}, "f64", 3);
    check(*b64, 1e-10, false);
    auto b32 = e2e::build_net(kNet, "fred.grad", {{"n", batch}}, "f32", 4);
    check(*b32, 2e-5, false);
  }
}

TEST_CASE("under --blas a bias gradient is summed in the GEMM's epilogue loop", "[e2e][fusion][blas]") {
  auto f64 = e2e::build_net(kBlasNet, "fredblas.grad", {}, "f64", 1, true);
  const std::string& cpp = f64->files.cpp;
  CHECK(has(cpp, "gg::fill(dJ_db1, 40, Scalar(0));"));
  CHECK(has(cpp, "dJ_db1[i1] += "));
  check(*f64, 1e-10, true);

  for (int64_t batch : {7, 13}) {
    INFO("n = " << batch);
    auto b32 = e2e::build_net(kBlasNet, "fredblas.grad", {{"n", batch}}, "f32", 5, true);
    check(*b32, 2e-5, true);
    auto fused = e2e::build_net(kBlasNet, "fredblas.grad", {{"n", batch}}, "f32", 6, true, true);
    check(*fused, 2e-5, true);
  }
  auto f32 = e2e::build_net(kBlasNet, "fredblas.grad", {}, "f32", 7, true, true);
  check(*f32, 2e-5, true);

  auto mean64 = e2e::build_net(kBlasMean, "fredmean.grad", {}, "f64", 8, true);
  CHECK(has(mean64->files.cpp, "J_mean_axis[i1] += "));
  check(*mean64, 1e-10, true);
  auto mean32 = e2e::build_net(kBlasMean, "fredmean.grad", {{"n", 13}}, "f32", 9, true);
  check(*mean32, 2e-5, true);
}

// The epilogue loops write one element per iteration (in place, or a column sum into
// col_sums[i1]); GG_IVDEP says so, and at -O2 the compilers then vectorize them. The results
// must not change: each compiler, -O2 for the host's vectors, against the interpreter.
TEST_CASE("epilogue loops are marked GG_IVDEP and stay exact when vectorized at -O2", "[e2e][fusion][vectorize]") {
  auto net = e2e::build_net(kBlasNet, "fredblas.grad", {{"n", 37}}, "f32", 10, gg::cpp::GemmBackend::Gradgen, true);
  const std::string& cpp = net->files.cpp;
  CHECK(has(cpp, "#include <gradgen/vectorize.hpp>"));
  CHECK(has(cpp, "    GG_IVDEP\n    for (std::int64_t i1 = 0; i1 < 40; ++i1) {\n      const Scalar acc = h[i0 * 40 + i1];\n"
                 "      h[i0 * 40 + i1] = gg::relu((acc + b1[i1]));"));
  // f32 column sums are added up in double (col_sums), then stored into dJ_db1.
  const size_t sums = cpp.find("col_sums[i1] += static_cast<gg::Accum<Scalar>>(");
  REQUIRE(sums != std::string::npos);
  CHECK(has(cpp, "dJ_db1[i0] = static_cast<Scalar>(col_sums[i0]);"));
  CHECK(marked(cpp, sums));
  // A row sum accumulates into a scalar in its own loop, never marked.
  auto rows = e2e::build_net(kNet, "fred.grad", {{"n", 7}}, "f64", 11);
  const std::string& rcpp = rows->files.cpp;
  REQUIRE(has(rcpp, "acc += "));
  for (size_t at = rcpp.find("acc += "); at != std::string::npos; at = rcpp.find("acc += ", at + 1))
    CHECK_FALSE(marked(rcpp, at));
  for (const std::string& cxx : e2e::compilers()) {
    INFO(cxx);
    auto got = e2e::compile_and_run({net.get(), rows.get()}, cxx, true, "-O2 -march=native");
    e2e::compare(*net, got[0], e2e::interpret(*net), 2e-5);
    e2e::compare(*rows, got[1], e2e::interpret(*rows), 1e-10);
  }
}

// At logits near 1000 an f32 ulp is 6e-5: log_softmax, softmax and cross_entropy subtract the
// row's maximum before its log-sum (gg::Lse), so they round once, relative to their result,
// as the interpreter's f64-then-f32 does. Summed first (max + log Σ), every value was off by
// up to 3e-5 absolute. Each schedule: the shared row loop and a softmax along the batch axis
// (bigrow), and the row block (bigblock: z @ I is exact, so only the softmaxes round).
TEST_CASE("f32 log_softmax, softmax and cross_entropy at logits near 1000 match the interpreter to 1e-6",
          "[e2e][fusion]") {
  const std::string bigrow = R"(network bigrow
dim n
input z[n, 4]
target Y[n, 4]
output lsm = log_softmax(z)
output p = softmax(z)
output lsm0 = log_softmax(z, axis=0)
loss J = cross_entropy(z, Y) + sum(lsm * Y) / 7 + sum(log_softmax(z, axis=0) * Y) / 5
grad z
)";
  const std::string bigblock = R"(network bigblock
dim n
input z[n, 4]
target Y[n, 4]
param I[4, 4]
s = z @ I
output lsm = log_softmax(s)
output p = softmax(s)
loss J = cross_entropy(s, Y) + sum(lsm * Y) / 7
grad z
)";
  for (const std::string& text : {bigrow, bigblock})
    for (gg::DimBindings bind : {gg::DimBindings{}, gg::DimBindings{{"n", 3}}, gg::DimBindings{{"n", 40}}}) {
      auto n = e2e::build_net(text, "big.grad", bind, "f32", 1);
      INFO(n->program.name << ", bound n: " << (bind.empty() ? 0 : bind.at("n")));
      CHECK(has(n->files.cpp, "auto rows = [&](auto lanes, std::int64_t r0) {") == (n->program.name == "bigblock"));
      const int64_t rows = bind.empty() ? 3 : bind.at("n");
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < 4; ++j) {
          const auto at = static_cast<size_t>(i * 4 + j);
          n->values["z"].data[at] = 1000.0 - 0.37 * static_cast<double>(j) - 0.11 * static_cast<double>(i % 5);
          n->values["Y"].data[at] = (i + j) % 4 == 0 ? 1.0 : 0.0;
        }
      if (n->values.count("I"))
        for (size_t k = 0; k < 16; ++k) n->values["I"].data[k] = k % 5 == 0 ? 1.0 : 0.0;
      check(*n, 1e-6, false);
    }
}
