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
  CHECK_THROWS_WITH(bind_dims(p, {{"m", 4}}), "--bind m=4: 'm' is not a dim of network seed");
  CHECK_THROWS_WITH(bind_dims(p, {{"n", 0}}), "--bind n=0: size must be positive");
  CHECK_THROWS_AS(bind_dims(p, {{"n", -2}}), InputError);
}
