// load_grad on valid networks: leaves, shapes, definitions, precedence, dense, optimizer.
#include <catch2/catch.hpp>

#include <filesystem>

#include "frontend/grad/load.h"
#include "ir/op_table.h"

using namespace gg;

namespace {

const char* kSeed = R"(# seed.grad: two inputs, three sigmoid hidden units, one linear output
network seed

dim n                      # batch size, bound at run time

input  X[n, 2]
target Y[n, 1]

param W1[2, 3] init=xavier_uniform
param b1[3]    init=zeros
param W2[3, 1] init=xavier_uniform
param b2[1]    init=zeros

z2 = X @ W1 + b1           # F2
a2 = sigmoid(z2)           # F3
z3 = a2 @ W2 + b2          # F5
output yhat = z3           # F6
loss J = mse(z3, Y)        # F7

grad X                     # also produce dJ/dX (B9)
optimizer sgd(lr=0.5)
)";

const char* kDense = R"(network seed_dense
dim n
input  X[n, 2]
target Y[n, 1]
h    = dense(X, 3, activation=sigmoid)   # params h_W[2,3], h_b[3]
yhat = dense(h, 1)                        # params yhat_W[3,1], yhat_b[1]
output out = yhat
loss J = mse(yhat, Y)
)";

Program load_ok(const std::string& text) {
  Diagnostics d;
  auto p = load_grad(text, "t.grad", d);
  INFO(d.render(text));
  REQUIRE(p.has_value());
  REQUIRE_FALSE(d.has_errors());
  return std::move(*p);
}

Shape sh(std::initializer_list<Dim> dims) { return Shape(dims); }
Dim N() { return Dim::named("n"); }
Dim F(int64_t v) { return Dim::fixed(v); }

}  // namespace

TEST_CASE("the seed network lowers to the right leaves and definitions", "[load]") {
  Program p = load_ok(kSeed);
  CHECK(p.name == "seed");
  CHECK(p.source_file == "t.grad");
  CHECK(p.precision == Precision::F32);
  CHECK(p.dims == std::vector<std::string>{"n"});
  REQUIRE(p.leaves.size() == 6);
  const char* names[] = {"X", "Y", "W1", "b1", "W2", "b2"};
  LeafKind kinds[] = {LeafKind::Input, LeafKind::Target, LeafKind::Param, LeafKind::Param, LeafKind::Param, LeafKind::Param};
  Shape shapes[] = {sh({N(), F(2)}), sh({N(), F(1)}), sh({F(2), F(3)}), sh({F(3)}), sh({F(3), F(1)}), sh({F(1)})};
  for (size_t i = 0; i < 6; ++i) {
    CHECK(p.leaves[i].name == names[i]);
    CHECK(p.leaves[i].kind == kinds[i]);
    CHECK(p.leaves[i].node->shape == shapes[i]);
    CHECK(p.leaves[i].node->attrs.name == names[i]);
    CHECK(p.leaves[i].node->attrs.shape == shapes[i]);
    CHECK(p.leaves[i].node->op == (i < 2 ? Op::Input : Op::Param));
  }
  CHECK(p.leaves[2].init.kind == "xavier_uniform");
  CHECK(p.leaves[3].init.kind == "zeros");
  CHECK(p.leaves[2].loc.line == 9);
  CHECK(p.leaves[2].loc.col == 7);
  REQUIRE(p.definitions.size() == 5);
  CHECK(p.definitions[0].name == "z2");
  CHECK(p.definitions[0].node->op == Op::Add);
  CHECK(p.definitions[0].node->inputs[0]->op == Op::MatMul);
  CHECK(p.definitions[0].node->shape == sh({N(), F(3)}));
  CHECK(p.definitions[1].node->op == Op::Sigmoid);
  CHECK(p.definitions[3].name == "yhat");
  CHECK(p.definitions[3].kind == DefKind::Output);
  CHECK(p.definitions[3].node == p.definitions[2].node);  // output yhat = z3 is an alias
  CHECK(p.definitions[4].kind == DefKind::Loss);
  CHECK(p.loss == p.definitions[4].node);
  CHECK(p.loss_name == "J");
  CHECK(p.loss->op == Op::Mse);
  CHECK(p.loss->is_scalar());
  CHECK(p.grad_inputs == std::vector<std::string>{"X"});
  CHECK(p.optimizer.kind == "sgd");
  CHECK(p.optimizer.arg("lr") == 0.5);
  CHECK(p.optimizer.args.size() == 2);
  CHECK(p.optimizer.args[1].first == "momentum");
}

TEST_CASE("dense creates NAME_W and NAME_b params in order", "[load][dense]") {
  Program p = load_ok(kDense);
  REQUIRE(p.leaves.size() == 6);
  CHECK(p.leaves[2].name == "h_W");
  CHECK(p.leaves[2].node->shape == sh({F(2), F(3)}));
  CHECK(p.leaves[2].init.kind == "xavier_uniform");
  CHECK(p.leaves[3].name == "h_b");
  CHECK(p.leaves[3].node->shape == sh({F(3)}));
  CHECK(p.leaves[3].init.kind == "zeros");
  CHECK(p.leaves[4].name == "yhat_W");
  CHECK(p.leaves[4].node->shape == sh({F(3), F(1)}));
  CHECK(p.leaves[5].name == "yhat_b");
  const Node* h = p.find_definition("h")->node;
  CHECK(h->op == Op::Sigmoid);
  CHECK(h->inputs[0]->op == Op::Add);
  CHECK(h->shape == sh({N(), F(3)}));
  const Node* yhat = p.find_definition("yhat")->node;
  CHECK(yhat->op == Op::Add);  // linear: no activation node
  CHECK(p.optimizer.kind == "sgd");
  CHECK(p.optimizer.arg("lr") == 0.01);
}

TEST_CASE("every shipped example network loads without errors", "[load][examples]") {
  namespace fs = std::filesystem;
  int count = 0;
  for (const char* dir : {"examples", "bench/networks"}) {
    fs::path root = fs::path(GG_SOURCE_DIR) / dir;
    if (!fs::exists(root)) continue;
    for (const auto& e : fs::directory_iterator(root)) {
      if (e.path().extension() != ".grad") continue;
      Diagnostics d;
      auto p = load_grad_file(e.path().string(), d);
      INFO(d.render());
      CHECK(p.has_value());
      if (p) CHECK(p->loss != nullptr);
      ++count;
    }
  }
  CHECK(count >= 1);
}

// C++ keywords and reserved identifiers are valid .grad names: the C++ emitter mangles them.
TEST_CASE("C++ keywords are accepted as network and tensor names", "[load]") {
  Program p = load_ok(R"(network class
dim n
input int[n, 2]
target new[n, 1]
param std[2, 3]
param _X[3]
param main[3, 1]
z = sigmoid(int @ std + _X)
loss J = mse(z @ main, new)
)");
  CHECK(p.name == "class");
  REQUIRE(p.leaves.size() == 5);
  CHECK(p.leaves[0].name == "int");
  CHECK(p.leaves[4].name == "main");
}
