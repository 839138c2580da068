// `--fuse-step`: train_step (loss_and_grad with each param's update fused in, plain SGD's
// weight gradients applied by the GEMM itself) leaves the same params and losses as
// loss_and_grad + step, step after step, for SGD, SGD with momentum and Adam, bound or not.
#include <catch2/catch.hpp>

#include <sstream>

#include "e2e_support.h"

namespace {

// e2e::fuse_net: products big enough for a GEMM and a small one left to gradgen's loops;
// relu (mask read from the output) and sigmoid; one param with its own lr.

// X[n, 32] = sin(0.37 i); row r of Y[n, ys] one-hot at r % 3.
std::string fill(int ys) {
  return "  for (std::int64_t i = 0; i < n * 32; ++i) X[i] = Scalar(std::sin(0.37 * double(i)));\n"
         "  for (std::int64_t r = 0; r < n; ++r) Y[r * " + std::to_string(ys) + " + r % 3] = 1;\n";
}

e2e::FuseOutcome run(const e2e::Net& n, int ys, int64_t batch, bool bound, bool blas) {
  std::vector<std::string> extra;
  if (blas) extra.push_back("-lopenblas");
  return e2e::run_fuse_step(n, 32, ys, fill(ys), batch, bound, 5, extra);
}

void check_same(const std::string& optimizer, gg::DimBindings bind, bool blas) {
  INFO(optimizer << (bind.empty() ? "" : ", bound") << (blas ? ", --blas" : ""));
  auto n = e2e::build_net(e2e::fuse_net(optimizer), "fusenet.grad", bind, "f64", 1, blas, true);
  e2e::FuseOutcome o = run(*n, 3, bind.empty() ? 9 : bind.at("n"), !bind.empty(), blas);
  CHECK(o.moved > 1e-4);
  CHECK(o.param_diff <= 1e-10);
  CHECK(o.loss_diff <= 1e-10);
}

}  // namespace

TEST_CASE("generate --fuse-step: train_step matches loss_and_grad + step after 5 steps", "[e2e][fuse]") {
  check_same("sgd(lr=0.1)", {}, false);
  check_same("sgd(lr=0.1)", {{"n", 7}}, false);
  check_same("sgd(lr=0.1, momentum=0.9)", {}, false);
  check_same("adam(lr=0.01)", {}, false);
}

TEST_CASE("generate --fuse-step with --blas: plain SGD folds the update into the weight-gradient GEMM", "[e2e][fuse][blas]") {
  auto n = e2e::build_net(e2e::fuse_net("sgd(lr=0.1)"), "fusenet.grad", {}, "f64", 1, true, true);
  const std::string& cpp = n->files.cpp;
  // Every weight gradient is a GEMM after the weight's last read: params += (-lr)·Aᵀ·dZ.
  CHECK(cpp.find("(-0.1), X, ") != std::string::npos);
  CHECK(cpp.find("Scalar(1), gg::flat(params.W1));") != std::string::npos);
  CHECK(cpp.find("(-0.05), h1, ") != std::string::npos);  // W2's own lr
  CHECK(cpp.find("Scalar(1), gg::flat(params.W2));") != std::string::npos);
  CHECK(cpp.find("gg::sgd_update(params.b1, grads.b1, 24, 0.1);") != std::string::npos);
  CHECK(n->files.hpp.find("Status train_step(Params& params, ") != std::string::npos);
  check_same("sgd(lr=0.1)", {}, true);
  check_same("sgd(lr=0.1)", {{"n", 5}}, true);
  check_same("sgd(lr=0.1, momentum=0.5)", {}, true);
}

TEST_CASE("without --fuse-step there is no train_step", "[e2e][fuse]") {
  auto n = e2e::build_net(e2e::fuse_net("sgd(lr=0.1)"), "fusenet.grad", {}, "f64");
  CHECK(n->files.hpp.find("train_step") == std::string::npos);
  CHECK(n->files.cpp.find("train_step") == std::string::npos);
}

TEST_CASE("generate --fuse-step: two params with the same gradient (one result copies the other's)", "[e2e][fuse][blas]") {
  const char* text = R"(network sharenet
dim n
input X[n, 32]
target Y[n, 24]
param W1[32, 24]
param W2[32, 24]
z = X @ W1 + X @ W2
output scores = z
loss J = mse(z, Y)
optimizer sgd(lr=0.1)
)";
  for (bool blas : {false, true}) {
    INFO((blas ? "--blas" : "own loops"));
    auto n = e2e::build_net(text, "sharenet.grad", {}, "f64", 1, blas, true);
    e2e::FuseOutcome o = run(*n, 24, 9, false, blas);
    CHECK(o.moved > 1e-4);
    CHECK(o.param_diff <= 1e-10);
    CHECK(o.loss_diff <= 1e-10);
  }
}

// Plain SGD on a network without biases, too large for row blocks (5120 params): its one
// weight gradient goes into the GEMM, so train_step never writes grads; its parameter is
// unnamed, and the code compiles under -Wall -Wextra -Werror (it warned unused-parameter).
TEST_CASE("generate --fuse-step: a train_step that never writes grads compiles warning-free", "[e2e][fuse][blas]") {
  const char* text = R"(network nobias
dim n
input X[n, 32]
target Y[n, 160]
param W[32, 160]
loss J = mse(X @ W, Y)
optimizer sgd(lr=0.1)
)";
  for (bool blas : {false, true}) {
    INFO((blas ? "--blas" : "gradgen's GEMM"));
    auto n = e2e::build_net(text, "nobias.grad", {}, "f64", 1, blas, true);
    CHECK(n->files.cpp.find("::nobias_grads& /*grads*/") != std::string::npos);
    e2e::FuseOutcome o = run(*n, 160, 9, false, blas);
    CHECK(o.moved > 1e-4);
    CHECK(o.param_diff <= 1e-10);
    CHECK(o.loss_diff <= 1e-10);
  }
}

// lr=0 on a param freezes it, as PyTorch's optimizers allow: step and train_step leave W2
// bit for bit where init put it while the other params move (SGD with momentum keeps its
// velocity, Adam its moments; neither moves W2).
TEST_CASE("a param with lr=0 stays where init put it, in step and in train_step", "[e2e][fuse]") {
  for (const std::string optimizer : {"sgd(lr=0.1)", "sgd(lr=0.1, momentum=0.9)", "adam(lr=0.01)"}) {
    for (bool blas : {false, true}) {
      INFO(optimizer << (blas ? ", --blas" : ""));
      const std::string text = e2e::mlp3({"frozen", 32, 24, 32, 3, " lr=0"}, optimizer);
      auto n = e2e::build_net(text, "frozen.grad", {}, "f64", 1, blas, true);
      gg::cpp::TempDir dir("gradgen-frozen");
      gg::cpp::write_text(dir.file("frozen.hpp"), n->files.hpp);
      gg::cpp::write_text(dir.file("frozen.cpp"), n->files.cpp);
      gg::cpp::write_text(dir.file("frozen.h"), n->files.h);
      gg::cpp::write_text(dir.file("driver.cpp"), R"(#include "frozen.cpp"
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>
int main() {
  using namespace frozen;
  const std::int64_t n = 9;
  std::vector<Scalar> X(n * 32), Y(n * 3), ws(workspace_size(n));
  for (std::int64_t i = 0; i < n * 32; ++i) X[i] = Scalar(std::sin(0.37 * double(i)));
  for (std::int64_t r = 0; r < n; ++r) Y[r * 3 + r % 3] = 1;
  Params a; init(a, 11); Params b = a, a0 = a;
  Grads ga{}, gb{};
  OptState sa{}, sb{};
  for (int k = 0; k < 5; ++k) {
    Scalar la = 0, lb = 0;
    if (loss_and_grad(a, X.data(), Y.data(), n, la, ga, WorkspaceRef(ws.data(), ws.size())) != kOk) return 1;
    if (step(a, ga, sa) != kOk) return 2;
    if (train_step(b, X.data(), Y.data(), n, lb, gb, sb, WorkspaceRef(ws.data(), ws.size())) != kOk) return 3;
  }
  double w2_grad = 0;
  for (std::size_t i = 0; i < sizeof ga.W2 / sizeof(Scalar); ++i) w2_grad = std::fmax(w2_grad, std::fabs(double(gg::flat(ga.W2)[i])));
  std::printf("%d %d %d %.17g\n", std::memcmp(a.W2, a0.W2, sizeof a.W2) == 0, std::memcmp(b.W2, a0.W2, sizeof b.W2) == 0,
              std::memcmp(a.W1, a0.W1, sizeof a.W1) != 0 && std::memcmp(b.W1, a0.W1, sizeof b.W1) != 0, w2_grad);
  return 0;
}
)");
      std::vector<std::string> extra;
      if (blas) extra.push_back("-lopenblas");
      auto built = e2e::compile("g++", {dir.file("driver.cpp")}, dir.file("driver"), dir.path(), extra);
      if (built.exit_code != 0) FAIL("g++ failed:\n" << built.err.substr(0, 6000));
      auto ran = gg::cpp::run_process({dir.file("driver")}, dir.path());
      REQUIRE(ran.exit_code == 0);
      std::istringstream out(ran.out);
      int step_kept = 0, train_kept = 0, others_moved = 0;
      double w2_grad = 0;
      out >> step_kept >> train_kept >> others_moved >> w2_grad;
      CHECK(step_kept == 1);
      CHECK(train_kept == 1);
      CHECK(others_moved == 1);
      CHECK(w2_grad > 1e-6);  // W2 has a gradient: it is frozen by its lr, not by a zero gradient
    }
  }
}
