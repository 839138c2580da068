// Equations: names, precedence, temporaries and the three output formats, on hand-built IR.
#include <catch2/catch.hpp>

#include "emit/equations.h"
#include "seed_program.h"

using namespace gg;

namespace {

std::string line_named(const EquationSet& s, const std::string& name, Format f = Format::Text) {
  for (const auto* eqs : {&s.forward, &s.backward})
    for (const Equation& eq : *eqs)
      if (eq.name == name) return s.line(eq, f);
  return "<no equation " + name + ">";
}

// A scratch program with leaves a, b, c of `shape`; definitions and adjoints are added per test.
struct Scratch {
  Program p;
  E a, b, c, s;
  explicit Scratch(Shape shape = {Dim::named("n"), Dim::fixed(3)}) {
    p.name = "scratch";
    p.loss_name = "L";
    a = E{p.graph.get(), test::leaf(p, Op::Input, "a", shape, LeafKind::Input)};
    b = E{p.graph.get(), test::leaf(p, Op::Input, "b", shape, LeafKind::Input)};
    c = E{p.graph.get(), test::leaf(p, Op::Param, "c", shape, LeafKind::Param)};
    s = E{p.graph.get(), test::leaf(p, Op::Param, "s", {}, LeafKind::Param)};
  }
  std::string show(const Node* n, Format f = Format::Text) {
    p.definitions = {{"y", DefKind::Plain, n, {}}};
    EquationSet set = build_equations(p);
    return set.rhs(set.forward[0], f);
  }
  std::string latex(const Node* n) { return show(n, Format::Latex); }
};

}  // namespace

TEST_CASE("seed equations read like the chain rule", "[equations]") {
  Program p = test::seed_program();
  EquationSet s = build_equations(p);
  REQUIRE(s.forward.size() == 5);
  CHECK(line_named(s, "z2") == "F1: z2 = X @ W1 + b1");
  CHECK(line_named(s, "a2") == "F2: a2 = sigmoid(z2)");
  CHECK(line_named(s, "z3") == "F3: z3 = a2 @ W2 + b2");
  CHECK(line_named(s, "yhat") == "F4: yhat = z3");  // an alias shows the earlier name
  CHECK(line_named(s, "J") == "F5: J = mse(z3, Y)");
  REQUIRE(s.backward.size() == 8);
  CHECK(line_named(s, "dJ/dz3") == "B1: dJ/dz3 = 2/n · (z3 − Y)");
  CHECK(line_named(s, "dJ/dW2") == "B2: dJ/dW2 = a2ᵀ @ dJ/dz3");
  CHECK(line_named(s, "dJ/db2") == "B3: dJ/db2 = sum(dJ/dz3, axis=0)");
  CHECK(line_named(s, "dJ/da2") == "B4: dJ/da2 = dJ/dz3 @ W2ᵀ");
  CHECK(line_named(s, "dJ/dz2") == "B5: dJ/dz2 = dJ/da2 ⊙ a2 ⊙ (1 − a2)");
  CHECK(line_named(s, "dJ/dW1") == "B6: dJ/dW1 = Xᵀ @ dJ/dz2");
  CHECK(line_named(s, "dJ/db1") == "B7: dJ/db1 = sum(dJ/dz2, axis=0)");
  CHECK(line_named(s, "dJ/dX") == "B8: dJ/dX = dJ/dz2 @ W1ᵀ");
  CHECK(s.backward[0].ident == "dJ_dz3");
  CHECK(s.name_of(p.adjoints[0].node) == "dJ/dz3");
  CHECK(s.idents.at(p.adjoints[0].node) == "dJ_dz3");
  CHECK(s.name_of(p.leaves[0].node) == "X");
}

TEST_CASE("equations are deterministic", "[equations]") {
  Program p1 = test::seed_program();
  Program p2 = test::seed_program();
  for (Format f : {Format::Text, Format::Markdown, Format::Latex})
    CHECK(render_equations(build_equations(p1), f) == render_equations(build_equations(p2), f));
}

TEST_CASE("parentheses follow precedence", "[equations]") {
  Scratch t;
  CHECK(t.show(t.a - (t.b - t.c)) == "a − (b − c)");
  CHECK(t.show((t.a - t.b) - t.c) == "a − b − c");
  CHECK(t.show(t.a + (t.b + t.c)) == "a + b + c");
  CHECK(t.show(t.a / (t.b * t.c)) == "a / (b ⊙ c)");
  CHECK(t.show(t.a * t.b / t.c) == "a ⊙ b / c");
  CHECK(t.show((t.a + t.b) * t.c) == "(a + b) ⊙ c");
  CHECK(t.show(-(t.a + t.b)) == "−(a + b)");
  CHECK(t.show(-t.a * t.b) == "−a ⊙ b");
  CHECK(t.show(t.s * t.a) == "s · a");  // a scalar factor is `·`
  CHECK(t.show(unary(Op::Sigmoid, t.a + t.b)) == "sigmoid(a + b)");
  E m = matmul(T(t.a), t.b);
  CHECK(t.show(T(m)) == "(aᵀ @ b)ᵀ");
  CHECK(t.show(matmul(T(t.a), t.b * t.c)) == "aᵀ @ (b ⊙ c)");
  CHECK(t.show(matmul(T(t.a), t.b) * t.s) == "(aᵀ @ b) · s");
  // Exponents do not stack: a^2^3 would read as a^8, and is a double superscript in LaTeX.
  E cube_of_square = with_value(Op::Pow, unary(Op::Square, t.a), 3.0);
  CHECK(t.show(cube_of_square) == "(a²)^3");
  CHECK(t.latex(cube_of_square) == "\\left(a^2\\right)^{3}");
  CHECK(t.show(with_value(Op::Pow, with_value(Op::Pow, t.a, 2.0), 3.0)) == "(a^2)^3");
  CHECK(t.latex(unary(Op::Square, T(t.a))) == "\\left(a^\\top\\right)^2");
  CHECK(t.show(with_value(Op::Pow, t.a + t.b, 2.0)) == "(a + b)^2");
}

TEST_CASE("constants and counts", "[equations]") {
  Scratch t;
  CHECK(t.show(t.a * 0.5) == "a · 0.5");
  CHECK(t.show(t.a + 1e-8) == "a + 1e-08");
  CHECK(t.show(t.a * 2.0) == "a · 2");
  CHECK(t.show(t.a - lift(t.a, -1.0)) == "a − (−1)");  // the minus sign U+2212, as every other minus
  Graph& g = *t.p.graph;
  CHECK(t.show(2.0 / count(g, t.a->shape)) == "2/(3n)");  // unambiguous, unlike 2/3n
  CHECK(t.show(1.0 / count(g, {Dim::fixed(4), Dim::fixed(3)})) == "1/12");
  CHECK(t.show(1.0 / count(g, {Dim::named("n"), Dim::named("m")})) == "1/(n·m)");
  // Any divisor that is not an atom is bracketed: a · b / (3n) (a · b / 3n read as (a · b / 3)·n).
  CHECK(t.show((t.a * t.b) / count(g, t.a->shape)) == "a ⊙ b / (3n)");
  CHECK(t.show(t.a / count(g, {Dim::fixed(4), Dim::fixed(3)})) == "a / 12");
  CHECK(t.latex(t.a / count(g, t.a->shape)) == "\\frac{a}{3n}");
  CHECK(number_text(0.1) == "0.1");
  CHECK(number_text(1.0 / 3.0) == "0.3333333333333333");
  // A constant that is exactly a small fraction with long decimals reads as the fraction (what
  // a bound dim leaves of 2/n); short decimals stay, as do numbers near but not at a fraction.
  CHECK(t.show(t.a * (2.0 / 3.0)) == "a · (2/3)");
  CHECK(t.show(t.a - lift(t.a, -1.0 / 7.0)) == "a − (−1/7)");
  CHECK(t.latex(t.a * (2.0 / 3.0)) == "a \\cdot \\frac{2}{3}");
  CHECK(t.latex(t.a * (-5.0 / 997.0)) == "a \\cdot \\left(-\\frac{5}{997}\\right)");
  CHECK(t.show(t.a * 0.125) == "a · 0.125");
  CHECK(t.show(t.a * 0.001) == "a · 0.001");
  CHECK(t.show(t.a * (1.0 / 3.0 + 1e-12)) == "a · 0.3333333333343333");
  CHECK(t.show(t.a * (1.0 / 1009.0)) == "a · 0.0009910802775024777");  // a denominator past 1000
}

TEST_CASE("reductions name their axes", "[equations]") {
  Scratch t;
  CHECK(t.show(with_shape(Op::SumTo, t.a, {Dim::fixed(3)})) == "sum(a, axis=0)");
  CHECK(t.show(with_shape(Op::SumTo, t.a, {})) == "sum(a, axis=(0, 1))");
  // Axes summed to 1 stay, as numpy's keepdims=True keeps them; a sum to [1] does both.
  CHECK(t.show(with_shape(Op::SumTo, t.a, {Dim::fixed(1), Dim::fixed(3)})) == "sum(a, axis=0, keepdims=True)");
  CHECK(t.show(with_shape(Op::SumTo, t.a, {Dim::fixed(1), Dim::fixed(1)})) == "sum(a, axis=(0, 1), keepdims=True)");
  CHECK(t.show(with_shape(Op::SumTo, t.a, {Dim::fixed(1)})) == "sum(sum(a, axis=1, keepdims=True), axis=0)");
  CHECK(t.latex(with_shape(Op::SumTo, t.a, {Dim::fixed(1), Dim::fixed(3)})) == "\\operatorname{sum}_{0}(a)");
  CHECK(t.show(call(t.a, Op::Sum)) == "sum(a)");
}

TEST_CASE("shared unnamed subexpressions become temporaries", "[equations]") {
  Scratch t;
  E shared = t.a * t.b;  // used by both gradients, named by neither
  t.p.definitions = {{"y", DefKind::Plain, t.a + t.b, {}}};
  t.p.adjoints = {{"a", shared + t.c}, {"b", shared - t.c}, {"c", nullptr}};
  EquationSet s = build_equations(t.p);
  REQUIRE(s.backward.size() == 4);
  CHECK(s.backward[0].label.empty());
  CHECK(s.line(s.backward[0], Format::Text) == "t1 = a ⊙ b");
  CHECK(s.backward[0].ident == "t1");
  CHECK(s.line(s.backward[1], Format::Text) == "B1: dL/da = t1 + c");
  CHECK(s.line(s.backward[2], Format::Text) == "B2: dL/db = t1 − c");
  CHECK(s.line(s.backward[3], Format::Text) == "B3: dL/dc = 0");  // a symbolic zero
  CHECK(s.backward[3].node == nullptr);
  CHECK(s.backward[0].seq < s.backward[1].seq);
}

TEST_CASE("temporaries skip names the network uses and nest innermost first", "[equations]") {
  Scratch t;
  E inner = t.a * t.b;
  E outer = unary(Op::Sigmoid, inner);
  t.p.definitions = {{"t1", DefKind::Plain, t.a + t.b, {}}};
  t.p.adjoints = {{"a", outer + inner}, {"b", outer - t.c}};
  EquationSet s = build_equations(t.p);
  REQUIRE(s.backward.size() == 4);
  CHECK(s.line(s.backward[0], Format::Text) == "t2 = a ⊙ b");
  CHECK(s.line(s.backward[1], Format::Text) == "t3 = sigmoid(t2)");
  CHECK(s.line(s.backward[2], Format::Text) == "B1: dL/da = t3 + t2");
  CHECK(s.line(s.backward[3], Format::Text) == "B2: dL/db = t3 − c");
}

TEST_CASE("a name is used only after its equation", "[equations]") {
  Scratch t;
  E later = t.a * t.b;
  // B1 uses the value that B2 defines: it must be written out, not referenced ahead.
  t.p.adjoints = {{"a", later + t.c}, {"b", later}};
  EquationSet s = build_equations(t.p);
  REQUIRE(s.backward.size() == 2);
  CHECK(s.line(s.backward[0], Format::Text) == "B1: dL/da = a ⊙ b + c");
  CHECK(s.line(s.backward[1], Format::Text) == "B2: dL/db = a ⊙ b");
}

TEST_CASE("markdown output", "[equations]") {
  Program p = test::seed_program();
  EquationSet s = build_equations(p);
  CHECK(line_named(s, "dJ/dW2", Format::Markdown) == "- **B2**: `dJ/dW2 = a2ᵀ @ dJ/dz3`");
  std::string doc = render_equations(s, Format::Markdown);
  CHECK(doc.find("## Network `seed`") == 0);
  CHECK(doc.find("### Forward\n\n- **F1**: `z2 = X @ W1 + b1`\n") != std::string::npos);
  CHECK(doc.find("### Backward") != std::string::npos);
}

TEST_CASE("latex output", "[equations]") {
  Program p = test::seed_program();
  EquationSet s = build_equations(p);
  CHECK(latex_name("W1") == "W_1");
  CHECK(latex_name("W12") == "W_{12}");
  CHECK(latex_name("h_W") == "h_W");
  CHECK(latex_name("yhat_b") == "\\mathrm{yhat}_b");
  CHECK(latex_name("yhat") == "\\mathrm{yhat}");
  // A lone '_' after the first is a subscript of its own, escaped: "Q__" read as Q__ (a double
  // subscript, which LaTeX refuses).
  CHECK(latex_name("Q__") == "Q_{\\_}");
  CHECK(latex_name("ab__") == "\\mathrm{ab}_{\\_}");
  CHECK(latex_name("W__x") == "W_{\\_x}");
  CHECK(latex_name("dJ/dz3") == "\\frac{\\partial J}{\\partial z_3}");
  // Numbers: the shortest round-trip text, with its exponent as a power of ten.
  CHECK(latex_number(0.5) == "0.5");
  CHECK(latex_number(0.0005) == "5 \\cdot 10^{-4}");
  CHECK(latex_number(-2.5e-300) == "-2.5 \\cdot 10^{-300}");
  CHECK(latex_number(1e20) == "10^{20}");
  CHECK(latex_number(-1e20) == "-10^{20}");
  CHECK(latex_number(123456789.0) == "123456789");
  CHECK(line_named(s, "z2", Format::Latex) == "z_2 &= X W_1 + b_1 \\tag*{F1}");
  CHECK(line_named(s, "dJ/dz3", Format::Latex) ==
        "\\frac{\\partial J}{\\partial z_3} &= \\frac{2}{n} \\cdot \\left(z_3 - Y\\right) \\tag*{B1}");
  CHECK(line_named(s, "dJ/dW2", Format::Latex) ==
        "\\frac{\\partial J}{\\partial W_2} &= a_2^\\top \\frac{\\partial J}{\\partial z_3} \\tag*{B2}");
  std::string doc = render_equations(s, Format::Latex);
  CHECK(doc.find("\\begin{align*}\n") != std::string::npos);
  CHECK(doc.find("\\end{align*}\n") != std::string::npos);
  // Every row but the last ends with a line break.
  size_t rows = 0, breaks = 0;
  for (size_t at = doc.find("&="); at != std::string::npos; at = doc.find("&=", at + 1)) ++rows;
  for (size_t at = doc.find("\\\\\n"); at != std::string::npos; at = doc.find("\\\\\n", at + 1)) ++breaks;
  CHECK(rows == 13);
  CHECK(breaks == rows - 1);
}

TEST_CASE("text document", "[equations]") {
  Program p = test::seed_program();
  std::string doc = render_equations(build_equations(p), Format::Text);
  CHECK(doc.find("network seed\n\nforward:\n  F1: z2 = X @ W1 + b1\n") == 0);
  CHECK(doc.find("backward (dJ/dv = ∂J/∂v):\n  B1: dJ/dz3 = 2/n · (z3 − Y)\n") != std::string::npos);
}

// The legend's "any value" letter is not the name of one of the network's values.
TEST_CASE("the backward legend avoids a value named v", "[equations]") {
  Scratch t;
  t.p.definitions = {{"v", DefKind::Plain, t.a * t.c, {}}, {"u", DefKind::Plain, t.b * t.c, {}}};
  t.p.adjoints = {{"v", t.b}, {"u", t.a}, {"c", t.a * t.b}};
  const EquationSet set = build_equations(t.p);
  CHECK(render_equations(set, Format::Text).find("backward (dL/dq = ∂L/∂q):\n") != std::string::npos);
  CHECK(render_equations(set, Format::Markdown).find("### Backward (`dL/dq` = `∂L/∂q`)\n") != std::string::npos);
}

// z_2 and z2 both read z_2 in LaTeX: B2 printed as ∂J/∂z_2 = ∂J/∂z_2, a tautology.
TEST_CASE("latex spells out a name whose usual form another name has", "[equations]") {
  Program p;
  p.name = "clash";
  p.loss_name = "J";
  const Shape sh{Dim::fixed(2)};
  E w12{p.graph.get(), test::leaf(p, Op::Input, "W12", sh, LeafKind::Input)};
  E w_12{p.graph.get(), test::leaf(p, Op::Param, "W_12", sh, LeafKind::Param)};
  E z2{p.graph.get(), test::leaf(p, Op::Param, "z2", sh, LeafKind::Param)};
  p.definitions = {{"z_2", DefKind::Plain, (w12 * w_12 + z2).n, {}}};
  EquationSet s = build_equations(p);
  CHECK(s.latex_spelled_out == std::set<std::string>{"W_12", "z_2"});
  CHECK(line_named(s, "z_2", Format::Latex) == "\\mathrm{z\\_2} &= W_{12} \\odot \\mathrm{W\\_12} + z_2 \\tag*{F1}");
  CHECK(latex_name("dJ/dz_2", &s.latex_spelled_out) == "\\frac{\\partial J}{\\partial \\mathrm{z\\_2}}");
  CHECK(latex_name("dJ/dz2", &s.latex_spelled_out) == "\\frac{\\partial J}{\\partial z_2}");
  // Without a clash the usual forms stay.
  CHECK(build_equations(test::seed_program()).latex_spelled_out.empty());
}
