// Verifier: accepts well-formed programs and names each broken invariant.
#include <catch2/catch.hpp>

#include "ir/verifier.h"
#include "support/error.h"
#include "unit/passes/fixtures.h"

using namespace gg;
using namespace gg::test;

namespace {

// x[2, 3], w[3]; s = x + w; loss L = sum(s).
Program small() {
  Builder b("v");
  const Node* x = b.input("x", {F(2), F(3)});
  const Node* w = b.param("w", {F(3)});
  const Node* s = b.def("s", b.op(Op::Add, {x, w}));
  b.def("L", b.op(Op::Sum, {s}), DefKind::Loss);
  for (int i = 0; i < 4; ++i) b.cst(i);  // dead padding: ids 4..7 are free for forged nodes
  return b.take();
}

// A node forged without Graph::make, to break invariants make would enforce.
struct Forge {
  std::vector<std::unique_ptr<Node>> nodes;
  const Node* make(Op op, std::vector<const Node*> ins, Shape shape, uint32_t id, Attrs a = {}) {
    nodes.push_back(std::make_unique<Node>(Node{op, std::move(ins), std::move(a), std::move(shape), id}));
    return nodes.back().get();
  }
};

}  // namespace

TEST_CASE("verify accepts a well-formed program", "[verifier]") {
  Program p = small();
  CHECK_NOTHROW(verify(p));
  Attrs to;
  to.shape = {F(3)};
  p.adjoints = {{"s", p.graph->make(Op::BroadcastTo, {p.graph->constant(1)}, [] {
                  Attrs a;
                  a.shape = {F(2), F(3)};
                  return a;
                }())}};
  p.adjoints.push_back({"w", p.graph->make(Op::SumTo, {p.adjoints[0].node}, to)});
  CHECK_NOTHROW(verify(p));
}

TEST_CASE("verify names each broken invariant", "[verifier]") {
  Program p = small();
  Forge f;
  const Node* x = p.find_leaf("x")->node;
  const Node* w = p.find_leaf("w")->node;
  SECTION("wrong stored shape") {
    p.definitions[0].node = f.make(Op::Add, {x, w}, {F(3)}, 5);
    CHECK_THROWS_WITH(verify(p), "verifier: %5 (add) has shape [3] but its shape rule gives [2, 3]");
  }
  SECTION("shape rule rejects operands") {
    p.definitions[0].node = f.make(Op::MatMul, {w, w}, {F(3)}, 5);
    CHECK_THROWS_WITH(verify(p), "verifier: %5 (matmul): shape rule rejects its operands: matrix product needs "
                                 "[m, k] @ [k, p], got [3] @ [3]");
  }
  SECTION("wrong arity") {
    p.definitions[0].node = f.make(Op::Add, {x}, {F(2), F(3)}, 5);
    CHECK_THROWS_WITH(verify(p), "verifier: %5 (add) has 1 operands, its op takes 2");
  }
  SECTION("operand not older") {
    p.definitions[0].node = f.make(Op::Add, {x, f.make(Op::Neg, {w}, {F(3)}, 6)}, {F(2), F(3)}, 5);
    CHECK_THROWS_WITH(verify(p), "verifier: %5 (add) uses %6, which is not older (cycle or foreign node)");
  }
  SECTION("foreign node sharing an id") {
    p.definitions[0].node = f.make(Op::Add, {x, f.make(Op::Neg, {w}, {F(3)}, 1)}, {F(2), F(3)}, 5);
    CHECK_THROWS_WITH(verify(p), "verifier: two live nodes share id %1 (mixed graphs)");
  }
  SECTION("node beyond the graph") {
    p.definitions[0].node = f.make(Op::Add, {x, w}, {F(2), F(3)}, 9);
    CHECK_THROWS_WITH(verify(p), "verifier: %9 is beyond the graph's 8 nodes");
  }
  SECTION("loss not a scalar") {
    p.loss = p.definitions[0].node;
    CHECK_THROWS_WITH(verify(p), "verifier: loss L has shape [2, 3], not a scalar");
  }
  SECTION("no loss") {
    p.loss = nullptr;
    CHECK_THROWS_WITH(verify(p), "verifier: the program has no loss");
  }
  SECTION("leaf with the wrong node") {
    p.leaves[1].node = x;
    CHECK_THROWS_WITH(verify(p), "verifier: leaf w is node %0 (input) named 'x'");
  }
  SECTION("grad names a param") {
    p.grad_inputs = {"w"};
    CHECK_THROWS_WITH(verify(p), "verifier: `grad w` does not name an input or target");
  }
  SECTION("adjoint with the wrong shape") {
    p.adjoints = {{"w", p.definitions[0].node}};
    CHECK_THROWS_WITH(verify(p), "verifier: dL/dw has shape [2, 3] but w has [3]");
  }
  SECTION("adjoint of nothing") {
    p.adjoints = {{"w", nullptr}, {"q", nullptr}};
    CHECK_THROWS_WITH(verify(p), "verifier: adjoint dL/dq names no leaf or definition");
  }
  SECTION("duplicate adjoint") {
    p.adjoints = {{"w", nullptr}, {"w", nullptr}};
    CHECK_THROWS_WITH(verify(p), "verifier: two adjoints for w");
  }
  SECTION("param without adjoint") {
    p.adjoints = {{"s", nullptr}};
    CHECK_THROWS_WITH(verify(p), "verifier: param w has no adjoint");
  }
  SECTION("grad input without adjoint") {
    p.grad_inputs = {"x"};
    p.adjoints = {{"w", nullptr}};
    CHECK_THROWS_WITH(verify(p), "verifier: grad input x has no adjoint");
  }
  CHECK_THROWS_AS(verify(p), InternalError);
}
