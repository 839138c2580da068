// Lowering details: precedence and associativity, broadcasting and symbolic dims, every
// built-in's op and attributes, params' init/lr, optimizer defaults, multi-line statements.
#include <catch2/catch.hpp>

#include "frontend/grad/load.h"
#include "frontend/grad/suggest.h"

using namespace gg;

namespace {

const std::string kHead = R"(network t
dim n, m
input X[n, 3]
input V[3]
target Y[n, 3]
param W[3, 3]
param s[]
)";

Program load_ok(const std::string& body) {
  Diagnostics d;
  std::string text = kHead + body + (body.find("loss ") == std::string::npos ? "loss L = sum(X)\n" : "");
  auto p = load_grad(text, "t.grad", d);
  INFO(d.render(text));
  REQUIRE(p.has_value());
  return std::move(*p);
}

const Node* def(const Program& p, const std::string& name) {
  const Definition* d = p.find_definition(name);
  REQUIRE(d != nullptr);
  return d->node;
}

std::string first_error(const std::string& body) {
  Diagnostics d;
  auto p = load_grad(kHead + body, "t.grad", d);
  CHECK_FALSE(p.has_value());
  return d.errors().empty() ? "" : d.errors()[0].message;
}

Dim N() { return Dim::named("n"); }
Dim F(int64_t v) { return Dim::fixed(v); }

}  // namespace

TEST_CASE("precedence: * / @ bind tighter than + -, unary minus tighter still", "[lower]") {
  Program p = load_ok("a = X + X * V - -X / s\n");
  const Node* a = def(p, "a");
  REQUIRE(a->op == Op::Sub);  // (X + (X*W)) - ((-X) / s)
  REQUIRE(a->inputs[0]->op == Op::Add);
  CHECK(a->inputs[0]->inputs[1]->op == Op::Mul);
  REQUIRE(a->inputs[1]->op == Op::Div);
  CHECK(a->inputs[1]->inputs[0]->op == Op::Neg);
}

TEST_CASE("binary operators are left-associative", "[lower]") {
  Program p = load_ok("a = X - V - X\nb = X / s / s\nc = X @ W @ W\nd = X - (V - X)\n");
  const Node* a = def(p, "a");
  CHECK(a->op == Op::Sub);
  CHECK(a->inputs[0]->op == Op::Sub);  // (X - V) - X
  CHECK(a->inputs[1]->op == Op::Input);
  CHECK(def(p, "b")->inputs[0]->op == Op::Div);
  const Node* c = def(p, "c");
  CHECK(c->inputs[0]->op == Op::MatMul);
  CHECK(c->inputs[1]->op == Op::Param);
  CHECK(def(p, "d")->inputs[1]->op == Op::Sub);  // parentheses override
}

TEST_CASE("transpose is postfix and binds tighter than unary minus", "[lower]") {
  Program p = load_ok("a = -W.T @ X.T\n");
  const Node* a = def(p, "a");
  REQUIRE(a->op == Op::MatMul);
  REQUIRE(a->inputs[0]->op == Op::Neg);
  CHECK(a->inputs[0]->inputs[0]->op == Op::Transpose);
  CHECK(a->inputs[1]->op == Op::Transpose);
  CHECK(a->shape == Shape{F(3), N()});
}

TEST_CASE("broadcasting shapes and symbolic dims", "[lower]") {
  Program p = load_ok("a = X + V\nb = V * 2\nc = s - X\nd = X @ W\ne = (X @ W).T @ X\n");
  CHECK(def(p, "a")->shape == Shape{N(), F(3)});
  CHECK(def(p, "b")->shape == Shape{F(3)});
  CHECK(def(p, "b")->inputs[1]->op == Op::Const);
  CHECK(def(p, "b")->inputs[1]->attrs.value == 2);
  CHECK(def(p, "c")->shape == Shape{N(), F(3)});
  CHECK(def(p, "d")->shape == Shape{N(), F(3)});
  CHECK(def(p, "e")->shape == Shape{F(3), F(3)});
  // A symbolic dim matches only itself.
  CHECK_THAT(first_error("input Z[m, 3]\nq = X + Z\n"), Catch::Contains("cannot broadcast shapes [n, 3] and [m, 3]"));
}

TEST_CASE("elementwise built-ins map to their ops by name", "[lower]") {
  const char* fns[] = {"sigmoid", "tanh", "relu", "softplus", "exp", "log", "sqrt", "square", "abs", "sin", "cos"};
  Op ops[] = {Op::Sigmoid, Op::Tanh, Op::Relu, Op::Softplus, Op::Exp, Op::Log, Op::Sqrt,
              Op::Square, Op::Abs, Op::Sin, Op::Cos};
  std::string body;
  for (const char* f : fns) body += std::string("f_") + f + " = " + f + "(X)\n";
  Program p = load_ok(body);
  for (size_t i = 0; i < std::size(fns); ++i) {
    const Node* n = def(p, std::string("f_") + fns[i]);
    CHECK(n->op == ops[i]);
    CHECK(n->shape == Shape{N(), F(3)});
  }
}

TEST_CASE("constant arguments go into attrs", "[lower]") {
  Program p = load_ok(
      "const k = 3\n"
      "a = leaky_relu(X)\nb = leaky_relu(X, alpha=0.2)\nc = leaky_relu(X, 0.3)\n"
      "d = pow(X, k)\ne = pow(X, p=-0.5)\n"
      "f = softmax(X)\ng = log_softmax(X, axis=0)\nh = softmax(X, axis=-2)\n");
  CHECK(def(p, "a")->attrs.value == 0.01);
  CHECK(def(p, "b")->attrs.value == 0.2);
  CHECK(def(p, "c")->attrs.value == 0.3);
  CHECK(def(p, "d")->op == Op::Pow);
  CHECK(def(p, "d")->attrs.value == 3);
  CHECK(def(p, "e")->attrs.value == -0.5);
  CHECK(def(p, "f")->op == Op::Softmax);
  CHECK(def(p, "f")->attrs.axis == 1);  // -1 normalised against rank 2
  CHECK(def(p, "g")->op == Op::LogSoftmax);
  CHECK(def(p, "g")->attrs.axis == 0);
  CHECK(def(p, "h")->attrs.axis == 0);
}

TEST_CASE("sum and mean: all elements, or one axis (normalised)", "[lower]") {
  Program p = load_ok("a = sum(X)\nb = mean(X)\nc = sum(X, axis=1)\nd = mean(X, axis=-2)\ne = sum(X, -1)\n");
  CHECK(def(p, "a")->op == Op::Sum);
  CHECK(def(p, "a")->is_scalar());
  CHECK(def(p, "b")->op == Op::Mean);
  CHECK(def(p, "c")->op == Op::SumAxis);
  CHECK(def(p, "c")->attrs.axis == 1);
  CHECK(def(p, "c")->shape == Shape{N()});
  CHECK(def(p, "d")->op == Op::MeanAxis);
  CHECK(def(p, "d")->attrs.axis == 0);
  CHECK(def(p, "d")->shape == Shape{F(3)});
  CHECK(def(p, "e")->attrs.axis == 1);
  CHECK_THAT(first_error("q = sum(X, axis=-3)\n"), Catch::Contains("axis -3 is out of range for shape [n, 3]"));
  CHECK_THAT(first_error("q = sum(s, axis=0)\n"), Catch::Contains("axis 0 is out of range for shape []"));
}

TEST_CASE("losses are scalars of two operands", "[lower]") {
  const char* fns[] = {"mse", "sse", "cross_entropy", "bce", "bce_logits"};
  Op ops[] = {Op::Mse, Op::Sse, Op::CrossEntropy, Op::Bce, Op::BceLogits};
  for (size_t i = 0; i < 5; ++i) {
    Program p = load_ok(std::string("loss J = ") + fns[i] + "(X @ W, Y)\n");
    CHECK(p.loss->op == ops[i]);
    CHECK(p.loss->is_scalar());
    CHECK(p.loss->inputs[1]->attrs.name == "Y");
  }
}

TEST_CASE("number literals and const names become Const nodes", "[lower]") {
  Program p = load_ok("const c = -2.5\nconst d = c\na = X * c + .5 + 1e-3 + d\n");
  const Node* a = def(p, "a");
  CHECK(a->inputs[1]->op == Op::Const);
  CHECK(a->inputs[1]->attrs.value == -2.5);  // d = c
  CHECK(a->inputs[0]->inputs[1]->attrs.value == 1e-3);
  CHECK(a->inputs[0]->inputs[0]->inputs[1]->attrs.value == 0.5);
  CHECK(a->inputs[0]->inputs[0]->inputs[0]->inputs[1]->attrs.value == -2.5);
}

TEST_CASE("params: init kinds with arguments, defaults by rank, lr", "[lower]") {
  Program p = load_ok(
      "param A[3, 2] init=uniform(-0.1, 0.1) lr=0.5\n"
      "param B[2] init=normal(mean=0, std=2)\n"
      "param C[2, 2]\n"
      "param D[2]\n"
      "param E[2] init=constant(7)\n"
      "param G[4, 5] init=he_normal\n");
  const Leaf* a = p.find_leaf("A");
  REQUIRE(a);
  CHECK(a->kind == LeafKind::Param);
  CHECK(a->init.kind == "uniform");
  CHECK(a->init.args == std::vector<double>{-0.1, 0.1});
  REQUIRE(a->lr.has_value());
  CHECK(*a->lr == 0.5);
  CHECK(p.find_leaf("B")->init.kind == "normal");
  CHECK(p.find_leaf("B")->init.args == std::vector<double>{0, 2});
  CHECK(p.find_leaf("C")->init.kind == "xavier_uniform");
  CHECK(p.find_leaf("D")->init.kind == "zeros");
  CHECK_FALSE(p.find_leaf("D")->lr.has_value());
  CHECK(p.find_leaf("E")->init.args == std::vector<double>{7});
  CHECK(p.find_leaf("G")->init.kind == "he_normal");
  CHECK(p.find_leaf("s")->node->is_scalar());
  CHECK(p.find_leaf("s")->init.kind == "zeros");
}

TEST_CASE("optimizer: kind and every argument with defaults, precision", "[lower]") {
  Program sgd = load_ok("");
  CHECK(sgd.optimizer.kind == "sgd");
  CHECK(sgd.optimizer.args == std::vector<std::pair<std::string, double>>{{"lr", 0.01}, {"momentum", 0}});
  CHECK(sgd.precision == Precision::F32);
  Program adam = load_ok("optimizer adam(beta2=0.99)\nprecision f64\n");
  CHECK(adam.optimizer.kind == "adam");
  CHECK(adam.optimizer.args ==
        std::vector<std::pair<std::string, double>>{{"lr", 0.001}, {"beta1", 0.9}, {"beta2", 0.99}, {"eps", 1e-8}});
  CHECK(adam.precision == Precision::F64);
  Program bare = load_ok("optimizer sgd(0.2, 0.9)\n");
  CHECK(bare.optimizer.arg("lr") == 0.2);
  CHECK(bare.optimizer.arg("momentum") == 0.9);
}

TEST_CASE("grad: inputs and targets in order, params accepted, duplicates once", "[lower]") {
  Program p = load_ok("grad Y, X\ngrad W, X\n");
  CHECK(p.grad_inputs == std::vector<std::string>{"Y", "X"});
}

TEST_CASE("statements may span lines inside brackets", "[lower]") {
  Program p = load_ok(
      "a = leaky_relu(X,\n"
      "               alpha=0.2)   # a comment inside\n"
      "\n"
      "b = (X +\n"
      "     X)\n"
      "param Q[3,\n"
      "        2]\n"
      "loss J = mse(\n"
      "  a,\n"
      "  Y\n"
      ")\n");
  CHECK(def(p, "a")->attrs.value == 0.2);
  CHECK(def(p, "b")->op == Op::Add);
  CHECK(p.find_leaf("Q")->node->shape == Shape{F(3), F(2)});
  CHECK(p.loss_name == "J");
  CHECK(p.definitions.back().loc.line == 15);
}

TEST_CASE("dense: activations with defaults, bias=false, rank checks", "[lower][dense]") {
  Program p = load_ok(
      "h = dense(X, 4, activation=leaky_relu)\n"
      "g = dense(h, units=2, bias=false, activation=linear)\n"
      "output o = dense(g, 5, activation=tanh)\n");
  const Node* h = def(p, "h");
  CHECK(h->op == Op::LeakyRelu);
  CHECK(h->attrs.value == 0.01);
  CHECK(h->shape == Shape{N(), F(4)});
  CHECK(p.find_leaf("h_W")->node->shape == Shape{F(3), F(4)});
  CHECK(p.find_leaf("g_W")->node->shape == Shape{F(4), F(2)});
  CHECK(p.find_leaf("g_b") == nullptr);
  CHECK(def(p, "g")->op == Op::MatMul);
  CHECK(def(p, "o")->op == Op::Tanh);
  CHECK(p.find_definition("o")->kind == DefKind::Output);
  std::vector<std::string> order;
  for (const Leaf& l : p.leaves) order.push_back(l.name);
  CHECK(order == std::vector<std::string>{"X", "V", "Y", "W", "s", "h_W", "h_b", "g_W", "o_W", "o_b"});
  CHECK_THAT(first_error("h = dense(X, 2, activation=pow)\n"), Catch::Contains("activation 'pow' needs argument 'p'"));
}

// language.md reserves keywords and built-ins only: the words dense(...) reads (activation=linear,
// bias=true) are free as tensor names, and keep their meaning inside dense.
TEST_CASE("linear, true and false are tensor names outside dense(...)", "[lower][dense]") {
  Program p = load_ok("linear = X @ W\ntrue = linear * 2\nfalse = V\nh = dense(true, 2, activation=linear, bias=true)\n"
                      "loss L = sum(h) + sum(false)\n");
  CHECK(def(p, "linear")->op == Op::MatMul);
  CHECK(def(p, "h")->op == Op::Add);  // linear: no activation around true @ h_W + h_b
  CHECK(p.find_leaf("h_b") != nullptr);
  CHECK_THAT(first_error("z = linear(X)\n"), Catch::Contains("'linear' is not a function: it is dense's identity activation"));
  CHECK_THAT(first_error("z = X * linear\n"), Catch::Contains("'linear' is not a tensor: it is dense's identity activation"));
}

TEST_CASE("several errors per run, no cascades", "[lower][recovery]") {
  Diagnostics d;
  std::string text = kHead +
                     "a = X + Wq\n"       // unknown, suggestion W
                     "b = a * Wq\n"       // a failed, Wq already reported: silent
                     "c = X @ V\n"        // shape error
                     "d = c + b\n"        // silent
                     "param W[2]\n"       // redefinition
                     "loss L = sum(d)\n";
  auto p = load_grad(text, "t.grad", d);
  CHECK_FALSE(p.has_value());
  INFO(d.render(text));
  REQUIRE(d.errors().size() == 3);
  CHECK(d.errors()[0].message == "unknown name 'Wq'; did you mean 'W'?");
  CHECK(d.errors()[0].loc.line == 8);
  CHECK_THAT(d.errors()[1].message, Catch::Contains("got [n, 3] @ [3]"));
  CHECK(d.errors()[1].loc.line == 10);
  CHECK(d.errors()[2].message == "'W' is already defined (at 6:7)");
}

TEST_CASE("did_you_mean picks the closest, latest name within a small distance", "[suggest]") {
  using gg::grad::did_you_mean;
  CHECK(did_you_mean("W3", {"W1", "W2", "b1"}) == "; did you mean 'W2'?");
  CHECK(did_you_mean("sigmod", {"sigmoid", "softmax"}) == "; did you mean 'sigmoid'?");
  CHECK(did_you_mean("xyz", {"W1", "W2"}).empty());
  CHECK(did_you_mean("m", {"n"}).empty());  // every one-letter name is one edit away
  CHECK(did_you_mean(std::string(1000, 'a'), {std::string(999, 'a')}).empty());
  CHECK(gg::grad::edit_distance("kitten", "sitting", 10) == 3);
  CHECK(gg::grad::edit_distance("kitten", "sitting", 1) == 2);  // gave up past the limit
}

TEST_CASE("render: header, quoted line, caret, several errors in order", "[diagnostics]") {
  Diagnostics d;
  d.error({"f.grad", 2, 5}, "first");
  d.error({"f.grad", 1, 1}, "second");
  std::string src = "ab\r\nx = \x01y\n";
  CHECK(d.render(src) == "f.grad:2:5: error: first\nx = ?y\n    ^\nf.grad:1:1: error: second\nab\n^\n");
  d.add_source("f.grad", src);
  CHECK(d.render() == d.render(src));
}

TEST_CASE("load_grad_file reads files and reports unreadable ones", "[load]") {
  Diagnostics d;
  CHECK_FALSE(load_grad_file("/nonexistent/x.grad", d).has_value());
  REQUIRE(d.errors().size() == 1);
  CHECK(d.errors()[0].loc.line == 0);  // no line: rendered "FILE: error: ..."
  CHECK_THAT(d.errors()[0].message, Catch::Contains("cannot read '/nonexistent/x.grad'"));
  Diagnostics e;
  CHECK_FALSE(load_grad_file("/tmp", e).has_value());
  CHECK_THAT(e.errors()[0].message, Catch::Contains("is a directory"));
}

TEST_CASE("an unrecognisable first line is reported once, not also as a missing network", "[lower][recovery]") {
  Diagnostics d;
  std::string text = "$ junk\n" + kHead + "loss L = sum(X)\n";
  CHECK_FALSE(load_grad(text, "t.grad", d).has_value());
  INFO(d.render(text));
  REQUIRE(d.errors().size() == 1);
  CHECK(d.errors()[0].message == "unexpected character '$'");
}

TEST_CASE("a lone carriage return ends a line, as a newline or CRLF does", "[load]") {
  for (const std::string end : {"\n", "\r\n", "\r"}) {
    std::string text = "network t" + end + "dim n" + end + "input X[n, 2]" + end + "loss L = sum(Z)" + end;
    Diagnostics d;
    INFO("line end " << (end == "\r" ? "CR" : end == "\n" ? "LF" : "CRLF"));
    CHECK_FALSE(load_grad(text, "t.grad", d).has_value());
    REQUIRE(d.errors().size() == 1);
    CHECK(d.errors()[0].loc.line == 4);
    CHECK(d.errors()[0].loc.col == 14);
    CHECK(d.render() == "t.grad:4:14: error: unknown name 'Z'\nloss L = sum(Z)\n             ^\n");
  }
}
