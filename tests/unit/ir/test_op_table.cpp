// Every op in ops.def has one complete row in the op table.
#include <catch2/catch.hpp>

#include <cmath>

#include "ir/node.h"
#include "ir/op_table.h"

using namespace gg;

TEST_CASE("every op has a complete row", "[op_table]") {
#define GG_OP(e, nm, ar)                                  \
  SECTION(nm) {                                           \
    const OpInfo& row = op_table()[size_t(Op::e)];        \
    REQUIRE(row.name != nullptr);                         \
    CHECK(row.op == Op::e);                               \
    CHECK(std::string(row.name) == nm);                   \
    CHECK(row.arity == ar);                               \
    CHECK(row.shape != nullptr);                          \
    CHECK(row.eval != nullptr);                           \
    CHECK(row.vjp != nullptr);                            \
    CHECK(row.display.text != nullptr);                   \
    CHECK(row.display.latex != nullptr);                  \
    CHECK(row.display.precedence > 0);                    \
    CHECK(row.emit != nullptr);                           \
  }
#include "ir/ops.def"
#undef GG_OP
}

// The interpreter's matmul is the reference the compiled code is checked against: every
// element must be the in-order sum over k of its products, bit for bit, however the loops run.
TEST_CASE("matmul evaluates each element as its in-order sum over k", "[op_table]") {
  const int64_t m = 7, k = 33, p = 19;
  Tensor x, y, out;
  x.shape = {m, k}, y.shape = {k, p}, out.shape = {m, p};
  for (int64_t i = 0; i < m * k; ++i) x.data.push_back(std::sin(0.37 * double(i)) * 1e3);
  for (int64_t i = 0; i < k * p; ++i) y.data.push_back(std::cos(0.11 * double(i)) / 7);
  out.data.assign(static_cast<size_t>(m * p), -1);
  Graph g;
  const Node* n = g.make(Op::Const, {}, Attrs{});
  const std::vector<const Tensor*> in{&x, &y};
  op_table()[size_t(Op::MatMul)].eval(EvalArgs{*n, in, out, {}});
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < p; ++j) {
      double s = 0;
      for (int64_t t = 0; t < k; ++t) s += x.data[size_t(i * k + t)] * y.data[size_t(t * p + j)];
      CHECK(out.data[size_t(i * p + j)] == s);
    }
}
