// algebraic: each rewrite rule fires where it should, never changes a shape, keeps values.
#include <catch2/catch.hpp>

#include "ir/verifier.h"
#include "passes/algebraic.h"
#include "unit/passes/fixtures.h"

using namespace gg;
using namespace gg::test;

namespace {

// Program with inputs a[2, 3], b[2, 3], v[3], s[] and one definition `r` = make(...).
struct Case {
  Builder bld;
  const Node *a, *b, *v, *s;
  Case() {
    a = bld.input("a", {F(2), F(3)});
    b = bld.input("b", {F(2), F(3)});
    v = bld.input("v", {F(3)});
    s = bld.input("s", {});
  }
  const Node* c(double x) { return bld.cst(x); }
  const Node* op(Op o, std::vector<const Node*> ins, Attrs at = {}) { return bld.op(o, std::move(ins), std::move(at)); }
  const Node* bcast(const Node* x, Shape sh) {
    Attrs at;
    at.shape = std::move(sh);
    return op(Op::BroadcastTo, {x}, at);
  }

  // Runs the pass on `r`; returns its term afterwards, having checked values and the verifier.
  std::string simplify(const Node* r, size_t want_rewrites) {
    bld.def("r", r);
    bld.def("L", op(Op::Sum, {r}), DefKind::Loss);
    Program p = bld.take();
    Values vals = random_values(p, {});
    auto before = program_values(p, vals, {});
    Shape shape = r->shape;
    CHECK(algebraic(p) == want_rewrites);
    verify(p);
    CHECK(p.find_definition("r")->node->shape == shape);
    CHECK(max_value_diff(before, program_values(p, vals, {})) == 0);
    return term(p.find_definition("r")->node, names_of(p));
  }
};

}  // namespace

TEST_CASE("algebraic rules, each with its shape guard", "[algebraic]") {
  Case t;
  SECTION("x·1 → x") { CHECK(t.simplify(t.op(Op::Mul, {t.a, t.c(1)}), 1) == "a"); }
  SECTION("1·x → x") { CHECK(t.simplify(t.op(Op::Mul, {t.c(1), t.a}), 1) == "a"); }
  SECTION("broadcast 1 · x → x") {
    CHECK(t.simplify(t.op(Op::Mul, {t.bcast(t.c(1), {F(2), F(3)}), t.a}), 1) == "a");
  }
  SECTION("v[3] · 1[2, 3] → v broadcast to [2, 3]: the 1 gave the product its shape") {
    CHECK(t.simplify(t.op(Op::Mul, {t.v, t.bcast(t.c(1), {F(2), F(3)})}), 1) == "broadcast_to[2, 3](v)");
  }
  SECTION("0.25 + broadcast(0.5) → broadcast(0.75): constants fold through broadcasts") {
    CHECK(t.simplify(t.op(Op::Add, {t.c(0.25), t.bcast(t.c(0.5), {F(2), F(3)})}), 1) == "broadcast_to[2, 3](const 0.75)");
  }
  SECTION("broadcast(3) / broadcast(4) → broadcast(0.75)") {
    CHECK(t.simplify(t.op(Op::Div, {t.bcast(t.c(3), {F(2), F(3)}), t.bcast(t.c(4), {F(2), F(3)})}), 1) ==
          "broadcast_to[2, 3](const 0.75)");
  }
  SECTION("broadcast(s) · a → s · a: the op broadcasts by itself") {
    CHECK(t.simplify(t.op(Op::Mul, {t.bcast(t.s, {F(2), F(3)}), t.a}), 1) == "mul(s, a)");
  }
  SECTION("a + broadcast(v) → a + v") {
    CHECK(t.simplify(t.op(Op::Add, {t.a, t.bcast(t.v, {F(2), F(3)})}), 1) == "add(a, v)");
  }
  SECTION("broadcast(s)[2, 3] · v[3] is kept: v alone does not give the result's shape") {
    CHECK(t.simplify(t.op(Op::Mul, {t.bcast(t.s, {F(2), F(3)}), t.v}), 0) == "mul(broadcast_to[2, 3](s), v)");
  }
  // x·0 is NaN for x = ±inf or NaN (PyTorch, numpy and C++ give NaN): kept, not folded to 0.
  SECTION("s·0 is kept") { CHECK(t.simplify(t.op(Op::Mul, {t.s, t.c(0)}), 0) == "mul(s, const 0)"); }
  SECTION("0·s is kept") { CHECK(t.simplify(t.op(Op::Mul, {t.c(0), t.s}), 0) == "mul(const 0, s)"); }
  SECTION("x·0[2, 3] is kept, as x·0") {
    CHECK(t.simplify(t.op(Op::Mul, {t.a, t.bcast(t.c(0), {F(2), F(3)})}), 1) == "mul(a, const 0)");  // the op broadcasts it
  }
  SECTION("−(−a ⊙ b) → a ⊙ b: the negation moves out of the product, then cancels") {
    CHECK(t.simplify(t.op(Op::Neg, {t.op(Op::Mul, {t.op(Op::Neg, {t.a}), t.b})}), 2) == "mul(a, b)");
  }
  SECTION("a / (−b) → −(a / b)") {
    CHECK(t.simplify(t.op(Op::Div, {t.a, t.op(Op::Neg, {t.b})}), 1) == "neg(div(a, b))");
  }
  SECTION("select with a constant condition picks its side") {
    CHECK(t.simplify(t.op(Op::Select, {t.c(1), t.a, t.b}), 1) == "a");
  }
  SECTION("x + 0 → x, 0 + x → x") {
    CHECK(t.simplify(t.op(Op::Add, {t.op(Op::Add, {t.a, t.c(0)}), t.op(Op::Add, {t.c(0), t.b})}), 2) == "add(a, b)");
  }
  SECTION("x − 0 → x") { CHECK(t.simplify(t.op(Op::Sub, {t.a, t.c(0)}), 1) == "a"); }
  SECTION("0 − x → −x") { CHECK(t.simplify(t.op(Op::Sub, {t.c(0), t.a}), 1) == "neg(a)"); }
  SECTION("x / 1 → x") { CHECK(t.simplify(t.op(Op::Div, {t.a, t.c(1)}), 1) == "a"); }
  SECTION("−(−x) → x") { CHECK(t.simplify(t.op(Op::Neg, {t.op(Op::Neg, {t.a})}), 1) == "a"); }
  SECTION("(Aᵀ)ᵀ → A") { CHECK(t.simplify(t.op(Op::Transpose, {t.op(Op::Transpose, {t.a})}), 1) == "a"); }
  SECTION("a + (−b) → a − b, (−a) + b → b − a") {
    CHECK(t.simplify(t.op(Op::Add, {t.a, t.op(Op::Neg, {t.b})}), 1) == "sub(a, b)");
  }
  SECTION("(−a) + b → b − a") { CHECK(t.simplify(t.op(Op::Add, {t.op(Op::Neg, {t.a}), t.b}), 1) == "sub(b, a)"); }
  SECTION("a − (−b) → a + b") { CHECK(t.simplify(t.op(Op::Sub, {t.a, t.op(Op::Neg, {t.b})}), 1) == "add(a, b)"); }
  SECTION("sum_to / broadcast_to to the same shape → x") {
    Attrs same;
    same.shape = {F(2), F(3)};
    CHECK(t.simplify(t.op(Op::SumTo, {t.op(Op::BroadcastTo, {t.a}, same)}, same), 2) == "a");
  }
  SECTION("real sums and broadcasts stay") {
    Attrs to;
    to.shape = {F(3)};
    CHECK(t.simplify(t.op(Op::SumTo, {t.a}, to), 0) == "sum_to[3](a)");
  }
  SECTION("nothing to do") { CHECK(t.simplify(t.op(Op::Mul, {t.a, t.c(2)}), 0) == "mul(a, const 2)"); }
}

// `d = -(a ⊙ b)` then `r = a + d` became r = a − a ⊙ b: d vanished from r's equation, which
// explain prints with the source's names.
TEST_CASE("algebraic rules do not look inside a definition", "[algebraic]") {
  Case t;
  const Node* d = t.bld.def("d", t.op(Op::Neg, {t.op(Op::Mul, {t.a, t.b})}));
  SECTION("a + d stays") { CHECK(t.simplify(t.op(Op::Add, {t.a, d}), 0) == "add(a, d)"); }
  SECTION("d + a stays") { CHECK(t.simplify(t.op(Op::Add, {d, t.a}), 0) == "add(d, a)"); }
  SECTION("a − d stays") { CHECK(t.simplify(t.op(Op::Sub, {t.a, d}), 0) == "sub(a, d)"); }
  SECTION("−d stays") { CHECK(t.simplify(t.op(Op::Neg, {d}), 0) == "neg(d)"); }
  SECTION("an unnamed −(a ⊙ b) still folds") {
    CHECK(t.simplify(t.op(Op::Add, {t.a, t.op(Op::Neg, {t.op(Op::Mul, {t.a, t.b})})}), 1) == "sub(a, mul(a, b))");
  }
}
