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
  CHECK(cpp.find("Scalar((-0.1)), X, ") != std::string::npos);
  CHECK(cpp.find("Scalar(1), gg::flat(params.W1));") != std::string::npos);
  CHECK(cpp.find("Scalar((-0.05)), h1, ") != std::string::npos);  // W2's own lr
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
