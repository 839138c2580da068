// `--blas`: large matrix products become cblas_sgemm/dgemm calls followed by their fused
// epilogue loop; the results still match the interpreter (links OpenBLAS, which
// scripts/install-deps.sh installs as libopenblas-dev).
#include <catch2/catch.hpp>

#include "e2e_support.h"

namespace {

// Products of 64·32·24 and more multiply-adds go to BLAS (a symbolic dim counts as 64); the
// 32 → 3 output layer stays in gradgen's own loops, so both paths and their hand-off are covered.
const std::string kNet = e2e::mlp3({"blasnet", 32, 24, 32, 3, "", true}, "sgd(lr=0.1)");

void check(e2e::Net& n, double tol) {
  auto got = e2e::compile_and_run({&n}, "g++", true, "-lopenblas");
  e2e::compare(n, got[0], e2e::interpret(n), tol);
}

}  // namespace

TEST_CASE("generate --blas: large products call CBLAS and match the interpreter", "[e2e][blas]") {
  auto f64 = e2e::build_net(kNet, "blasnet.grad", {}, "f64", 1, true);
  const std::string& cpp = f64->files.cpp;
  CHECK(cpp.find("#include <gradgen/blas.hpp>") != std::string::npos);
  // Forward with the bias and relu applied in place after the GEMM; the weight gradient
  // straight into grads; dX through a transposed operand, never a copy.
  CHECK(cpp.find("gg::gemm(false, false, n, 32, 24, Scalar(1), X, W1, Scalar(0), ") != std::string::npos);
  CHECK(cpp.find("gg::gemm(true, false, 32, n, 24, Scalar(1), X, ") != std::string::npos);
  CHECK(cpp.find(", dJ_dW1);") != std::string::npos);
  CHECK(cpp.find("gg::matmul_nn(h2, W3, n, 32, 3") != std::string::npos);  // small: own loop
  CHECK(f64->files.hpp.find("generated with --blas: link a CBLAS for cblas_dgemm") != std::string::npos);
  check(*f64, 1e-10);

  auto f32 = e2e::build_net(kNet, "blasnet.grad", {}, "f32", 2, true);
  CHECK(f32->files.hpp.find("cblas_sgemm") != std::string::npos);
  check(*f32, 1e-5);

  auto bound = e2e::build_net(kNet, "blasnet.grad", {{"n", 7}}, "f64", 3, true);
  check(*bound, 1e-10);
}

TEST_CASE("without --blas nothing needs BLAS", "[e2e][blas]") {
  // The default backend calls gradgen's own GEMM (gradgen/gemm.hpp) for the large products.
  auto n = e2e::build_net(kNet, "blasnet.grad", {}, "f64");
  CHECK(n->files.cpp.find("gg::gemm(") != std::string::npos);
  CHECK(n->files.cpp.find("#include <gradgen/gemm.hpp>") != std::string::npos);
  CHECK(n->files.cpp.find("blas.hpp") == std::string::npos);
  CHECK(n->files.hpp.find("CBLAS") == std::string::npos);
  auto loops = e2e::build_net(kNet, "blasnet.grad", {}, "f64", 1, gg::cpp::GemmBackend::Loops, false);
  CHECK(loops->files.cpp.find("gg::gemm(") == std::string::npos);
  CHECK(loops->files.cpp.find("gemm.hpp") == std::string::npos);
}
