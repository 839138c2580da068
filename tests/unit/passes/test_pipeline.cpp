// The pipeline: fixpoint, dump hooks, name checking, determinism, and parsed networks end to
// end (differentiate + optimize keeps values and matches finite differences).
#include <catch2/catch.hpp>

#include <sstream>
#include <stdexcept>

#include "autodiff/reverse.h"
#include "frontend/grad/load.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/algebraic.h"
#include "passes/const_fold.h"
#include "passes/cse.h"
#include "passes/pipeline.h"
#include "unit/passes/fixtures.h"

using namespace gg;
using namespace gg::test;

namespace {

const char* kSeed = R"(# seed.grad
network seed
dim n
input  X[n, 2]
target Y[n, 1]
param W1[2, 3] init=xavier_uniform
param b1[3]    init=zeros
param W2[3, 1] init=xavier_uniform
param b2[1]    init=zeros
z2 = X @ W1 + b1
a2 = sigmoid(z2)
z3 = a2 @ W2 + b2
output yhat = z3
loss J = mse(z3, Y)
grad X
optimizer sgd(lr=0.5)
)";

const char* kDense = R"(network seed_dense
dim n
input  X[n, 2]
target Y[n, 1]
h    = dense(X, 3, activation=sigmoid)
yhat = dense(h, 1)
output out = yhat
loss J = mse(yhat, Y)
)";

// Exercises many rows of the op table at once.
const char* kWide = R"(network wide
dim n
input  X[n, 4]
target Y[n, 3]
param W[4, 5]
param c[5]
param V[5, 3]
param u[3]
param unused[2]
h = tanh(X @ W + c)
r = relu(h) * 0.5 + leaky_relu(h, alpha=0.1) - softplus(h) / 4
s = exp(-square(r)) + sqrt(abs(h) + 1) + pow(sigmoid(h), 3)
z = s @ V + u * 1 + 0
loss L = cross_entropy(z, softmax(Y, axis=-1)) + mean(sum(z * z, axis=1)) / 10 + sse(log_softmax(z), Y) / 100
grad X
)";

Program load(const char* text) {
  Diagnostics diags;
  auto p = load_grad(text, "test.grad", diags);
  INFO(diags.render(text));
  REQUIRE(p);
  return std::move(*p);
}

// Differentiates + optimizes `p`; checks values before/after simplification and each leaf
// gradient against central finite differences.
void check_network(const char* text, const DimBindings& dims) {
  Program raw = load(text);
  differentiate(raw);
  Program opt = load(text);
  differentiate_and_optimize(opt, PipelineOptions{{}, nullptr, true});
  Values vals = random_values(opt, dims, 11);
  CHECK(max_value_diff(program_values(raw, vals, dims), program_values(opt, vals, dims)) < 1e-12);
  CHECK(live_nodes(opt).size() < live_nodes(raw).size());
  for (const Adjoint& a : opt.adjoints) {
    if (!opt.find_leaf(a.of)) continue;
    INFO("gradient of " << a.of);
    Tensor fd = finite_diff(opt, vals, a.of, dims);
    Tensor got = a.node ? eval(a.node, vals, dims) : Tensor::zeros(fd.shape);
    CHECK(max_abs_diff(got, fd) < 1e-6);
  }
}

}  // namespace

TEST_CASE("parsed networks: optimize keeps values and gradients match finite differences", "[pipeline]") {
  SECTION("seed") { check_network(kSeed, {{"n", 4}}); }
  SECTION("seed_dense") { check_network(kDense, {{"n", 3}}); }
  SECTION("wide") { check_network(kWide, {{"n", 3}}); }
}

TEST_CASE("parsed seed network: simplified adjoints and B order", "[pipeline]") {
  Program p = load(kSeed);
  differentiate_and_optimize(p, PipelineOptions{{}, nullptr, true});
  std::vector<std::string> order;
  for (const Adjoint& a : p.adjoints) order.push_back(a.of);
  CHECK(order == std::vector<std::string>{"z3", "b2", "W2", "a2", "z2", "b1", "W1", "X"});
  CHECK(adjoint_term(p, "z3") == "mul(div(const 2, count[n, 1]), sub(z3, Y))");
  CHECK(adjoint_term(p, "W2") == "matmul(transpose(a2), dJ/dz3)");
  CHECK(adjoint_term(p, "b2") == "sum_to[1](dJ/dz3)");
  CHECK(adjoint_term(p, "z2") == "mul(mul(dJ/da2, a2), sub(const 1, a2))");
  CHECK(adjoint_term(p, "X") == "matmul(dJ/dz2, transpose(W1))");
}

TEST_CASE("a param the loss never reads has a null adjoint after optimize", "[pipeline]") {
  Program p = load(kWide);
  differentiate_and_optimize(p, PipelineOptions{{}, nullptr, true});
  CHECK(p.find_leaf("unused") != nullptr);
  bool found = false;
  for (const Adjoint& a : p.adjoints)
    if (a.of == "unused") {
      found = true;
      CHECK(a.node == nullptr);
    }
  CHECK(found);
}

TEST_CASE("optimize reaches a fixpoint", "[pipeline]") {
  Program p = load(kWide);
  differentiate_and_optimize(p, PipelineOptions{});
  CHECK(const_fold(p) == 0);
  CHECK(algebraic(p) == 0);
  CHECK(cse(p) == 0);
}

TEST_CASE("dump hooks print the IR after the named passes", "[pipeline]") {
  Program p = load(kSeed);
  std::ostringstream out;
  differentiate_and_optimize(p, PipelineOptions{{"autodiff", "cse"}, &out, false});
  std::string s = out.str();
  CHECK(s.rfind("; ---- after autodiff ----\n; program seed\n", 0) == 0);
  CHECK(s.find("; ---- after cse (round 1, ") != std::string::npos);
  CHECK(s.find("after algebraic") == std::string::npos);
  CHECK(s.find("after dce") == std::string::npos);
  // The last dump is the final IR but for dce's renumbering.
  CHECK(s.find("dJ/dW1 = %") != std::string::npos);
}

TEST_CASE("dce's dump reports how many nodes were dropped", "[pipeline]") {
  Program p = load(kSeed);
  std::ostringstream out;
  differentiate_and_optimize(p, PipelineOptions{{"dce"}, &out, false});
  CHECK(out.str().find("; ---- after dce (round 1, ") != std::string::npos);
  CHECK(out.str().find(" dropped) ----") != std::string::npos);
}

TEST_CASE("unknown pass names are rejected before anything runs", "[pipeline]") {
  Program p = load(kSeed);
  std::string before = print_ir(p);
  CHECK_THROWS_MATCHES(
      optimize(p, PipelineOptions{{"cse", "licm"}, nullptr, false}), std::invalid_argument,
      Catch::Message("unknown pass 'licm' in --dump-after (passes: autodiff, const_fold, algebraic, pack_scatters, cse, dce)"));
  CHECK(print_ir(p) == before);
  CHECK(pass_names() == std::vector<std::string>{"autodiff", "const_fold", "algebraic", "pack_scatters", "cse", "dce"});
}

TEST_CASE("the pipeline is deterministic", "[pipeline]") {
  Program a = load(kWide), b = load(kWide);
  differentiate_and_optimize(a, PipelineOptions{});
  differentiate_and_optimize(b, PipelineOptions{});
  CHECK(print_ir(a) == print_ir(b));
}
