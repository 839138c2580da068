// bind_dims: symbolic dims become fixed sizes everywhere; counts then fold to literals.
#include <catch2/catch.hpp>

#include "autodiff/reverse.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/bind_dims.h"
#include "passes/pipeline.h"
#include "support/error.h"
#include "unit/passes/fixtures.h"

using namespace gg;
using namespace gg::test;

TEST_CASE("bind_dims fixes n in every shape, and const_fold turns counts into constants", "[bind_dims]") {
  Program p = seed_program();
  differentiate(p);
  DimBindings dims{{"n", 4}};
  Values vals = random_values(p, dims);
  auto before = program_values(p, vals, dims);
  CHECK(bind_dims(p, dims) == 3);  // X, Y and count[n, 1]
  verify(p);
  CHECK(p.dims.empty());
  for (const Node* n : live_nodes(p))
    for (const Dim& d : n->shape) CHECK_FALSE(d.is_symbolic());
  CHECK(p.find_leaf("X")->node->shape == Shape{F(4), F(2)});
  CHECK(max_value_diff(before, program_values(p, vals, {})) == 0);
  optimize(p, PipelineOptions{{}, nullptr, true});
  // 2 / count[4, 1] folds to 0.5.
  CHECK(adjoint_term(p, "z3") == "mul(const 0.5, sub(z3, Y))");
  CHECK(max_value_diff(before, program_values(p, vals, {})) < 1e-15);
}

TEST_CASE("bind_dims rejects names that are not dims and non-positive sizes", "[bind_dims]") {
  Program p = seed_program();
  CHECK_THROWS_WITH(bind_dims(p, {{"m", 4}}), "--bind m=4: 'm' is not a dim of network 'seed'");
  CHECK_THROWS_WITH(bind_dims(p, {{"n", 0}}), "--bind n=0: size must be positive");
  CHECK_THROWS_AS(bind_dims(p, {{"n", -2}}), InputError);
}

// Past the generated code's run-time limit the generator's size arithmetic overflowed: w3 bound
// to n = 2^63 - 1 gave a workspace of -9223372036854775792 + ... scalars that did not compile.
TEST_CASE("bind_dims refuses sizes the generated code could not hold", "[bind_dims]") {
  Program p = seed_program();
  CHECK_NOTHROW(bind_dims(p, {{"n", int64_t{1} << 24}}));
  Program q = seed_program();
  CHECK_THROWS_WITH(bind_dims(q, {{"n", (int64_t{1} << 24) + 1}}),
                    "--bind n=16777217: at most 16777216 (2^24, the largest dim the generated code accepts)");
  CHECK_THROWS_WITH(bind_dims(q, {{"n", INT64_MAX}}),
                    "--bind n=9223372036854775807: at most 16777216 (2^24, the largest dim the generated code accepts)");
  Builder b("wide");  // X[n, 2^40]: within the front end's limit while n is open
  b.p.dims = {"n"};
  const Node* X = b.input("X", {N(), F(int64_t{1} << 40)});
  b.def("J", b.op(Op::Sum, {X}), DefKind::Loss);
  Program wide = b.take();
  CHECK_THROWS_WITH(bind_dims(wide, {{"n", 2}}), "--bind: 'X' [2, 1099511627776] would have more than 2^40 elements");
}
