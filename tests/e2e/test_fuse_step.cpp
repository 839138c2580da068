// `--fuse-step`: train_step (loss_and_grad with each param's update fused in, plain SGD's
// weight gradients applied by the GEMM itself) leaves the same params and losses as
// loss_and_grad + step, step after step, for SGD, SGD with momentum and Adam, bound or not.
#include <catch2/catch.hpp>

#include <sstream>

#include "e2e_support.h"

namespace {

// Three layers: products big enough for BLAS (under --blas) and a small one left to gradgen's
// loops; relu (mask read from the output) and sigmoid; one param with its own lr.
std::string net(const std::string& optimizer) {
  return R"(network fusenet
dim n
input X[n, 32]
target Y[n, 3]
param W1[32, 24]
param b1[24] init=uniform(-0.1, 0.1)
param W2[24, 32] lr=0.05
param b2[32] init=uniform(-0.1, 0.1)
param W3[32, 3]
param b3[3]
h1 = relu(X @ W1 + b1)
h2 = sigmoid(h1 @ W2 + b2)
z = h2 @ W3 + b3
output scores = z
loss J = cross_entropy(z, Y)
optimizer )" + optimizer + "\n";
}

// k steps both ways from the same init and batch; prints the largest param difference, the
// largest loss difference and how far the params moved (so a no-op cannot pass).
// The network is NAME with X[n, 32] and Y[n, ys].
std::string driver(const std::string& name, int ys, int64_t n, bool bound, int steps) {
  std::ostringstream d;
  d << "#include \"" << name << ".cpp\"\n#include <cmath>\n#include <cstdio>\n#include <vector>\n"
    << "int main() {\n  using namespace " << name << ";\n  const std::int64_t n = " << n << ";\n"
    << "  std::vector<Scalar> X(n * 32), Y(n * " << ys << ", Scalar(0));\n"
    << "  for (std::int64_t i = 0; i < n * 32; ++i) X[i] = Scalar(std::sin(0.37 * double(i)));\n"
    << "  for (std::int64_t r = 0; r < n; ++r) Y[r * " << ys << " + r % 3] = 1;\n"
    << "  Params a; init(a, 11); Params b = a, a0 = a;\n  Grads ga{}, gb{};\n  OptState sa{}, sb{};\n"
    << "  std::vector<Scalar> ws(workspace_size(" << (bound ? "" : "n") << "));\n"
    << "  double dl = 0, dp = 0, moved = 0;\n"
    << "  for (int k = 0; k < " << steps << "; ++k) {\n"
    << "    Scalar la = 0, lb = 0;\n"
    << "    if (loss_and_grad(a, X.data(), Y.data(), n, la, ga, WorkspaceRef(ws.data(), ws.size())) != kOk) return 1;\n"
    << "    if (step(a, ga, sa) != kOk) return 2;\n"
    << "    if (train_step(b, X.data(), Y.data(), n, lb, gb, sb, WorkspaceRef(ws.data(), ws.size())) != kOk) return 3;\n"
    << "    dl = std::fmax(dl, std::fabs(double(la) - double(lb)));\n  }\n"
    << "  for (std::size_t i = 0; i < Params::size(); ++i) {\n"
    << "    dp = std::fmax(dp, std::fabs(double(a.data()[i]) - double(b.data()[i])));\n"
    << "    moved = std::fmax(moved, std::fabs(double(a.data()[i]) - double(a0.data()[i])));\n  }\n"
    << "  std::printf(\"%.17g %.17g %.17g\\n\", dp, dl, moved);\n  return 0;\n}\n";
  return d.str();
}

struct Outcome {
  double param_diff, loss_diff, moved;
};

Outcome run(const e2e::Net& n, int ys, int64_t batch, bool bound, bool blas) {
  gg::cpp::TempDir dir("gradgen-fuse");
  gg::cpp::write_text(dir.file(n.files.base + ".hpp"), n.files.hpp);
  gg::cpp::write_text(dir.file(n.files.base + ".cpp"), n.files.cpp);
  gg::cpp::write_text(dir.file(n.files.base + ".h"), n.files.h);
  gg::cpp::write_text(dir.file("driver.cpp"), driver(n.files.base, ys, batch, bound, 5));
  std::vector<std::string> extra;
  if (blas) extra.push_back("-lopenblas");
  auto built = e2e::compile("g++", {dir.file("driver.cpp")}, dir.file("driver"), dir.path(), extra);
  if (built.exit_code != 0) FAIL("g++ failed:\n" << built.err.substr(0, 6000) << "\n" << n.files.cpp);
  auto ran = gg::cpp::run_process({dir.file("driver")}, dir.path());
  REQUIRE(ran.exit_code == 0);
  Outcome o{};
  std::istringstream(ran.out) >> o.param_diff >> o.loss_diff >> o.moved;
  return o;
}

void check_same(const std::string& optimizer, gg::DimBindings bind, bool blas) {
  INFO(optimizer << (bind.empty() ? "" : ", bound") << (blas ? ", --blas" : ""));
  auto n = e2e::build_net(net(optimizer), "fusenet.grad", bind, "f64", 1, blas, true);
  Outcome o = run(*n, 3, bind.empty() ? 9 : bind.at("n"), !bind.empty(), blas);
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
  auto n = e2e::build_net(net("sgd(lr=0.1)"), "fusenet.grad", {}, "f64", 1, true, true);
  const std::string& cpp = n->files.cpp;
  // Every weight gradient is a GEMM after the weight's last read: params += (-lr)·Aᵀ·dZ.
  CHECK(cpp.find("Scalar((-0.1)), X, ") != std::string::npos);
  CHECK(cpp.find("Scalar(1), &params.W1[0][0]);") != std::string::npos);
  CHECK(cpp.find("Scalar((-0.05)), h1, ") != std::string::npos);  // W2's own lr
  CHECK(cpp.find("Scalar(1), &params.W2[0][0]);") != std::string::npos);
  CHECK(cpp.find("gg::sgd_update(params.b1, grads.b1, 24, 0.1);") != std::string::npos);
  CHECK(n->files.hpp.find("Status train_step(Params& params, ") != std::string::npos);
  check_same("sgd(lr=0.1)", {}, true);
  check_same("sgd(lr=0.1)", {{"n", 5}}, true);
  check_same("sgd(lr=0.1, momentum=0.5)", {}, true);
}

TEST_CASE("without --fuse-step there is no train_step", "[e2e][fuse]") {
  auto n = e2e::build_net(net("sgd(lr=0.1)"), "fusenet.grad", {}, "f64");
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
    Outcome o = run(*n, 24, 9, false, blas);
    CHECK(o.moved > 1e-4);
    CHECK(o.param_diff <= 1e-10);
    CHECK(o.loss_diff <= 1e-10);
  }
}
