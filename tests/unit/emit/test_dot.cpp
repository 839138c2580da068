// DOT emitter: structure of the forward and backward graphs, local-gradient labels, validity
// (Graphviz `dot` accepts it) and determinism, on the hand-built seed program.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "emit/dot.h"
#include "frontend/grad/load.h"
#include "passes/pipeline.h"
#include "seed_program.h"

using namespace gg;

extern char** environ;

namespace {

std::string dot_of(const Program& p, bool backward) {
  return emit_dot(p, build_equations(p), DotOptions{backward});
}

bool has(const std::string& text, const std::string& piece) { return text.find(piece) != std::string::npos; }

// Runs `dot -Tsvg` on `text` (no shell); returns its exit status.
int run_dot(const std::string& text) {
  std::string in = "/tmp/gg_test_dot_" + std::to_string(getpid()) + ".dot";
  std::ofstream(in) << text;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  char arg0[] = "dot", arg1[] = "-Tsvg";
  char* argv[] = {arg0, arg1, nullptr};
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, "dot", &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  int status = -1;
  if (rc == 0) waitpid(pid, &status, 0);
  std::remove(in.c_str());
  return rc == 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("forward graph: variables are boxes, ops ellipses, edges follow the data", "[dot]") {
  Program p = test::seed_program();
  std::string d = dot_of(p, false);
  CHECK(d.rfind("digraph \"seed\" {\n", 0) == 0);
  CHECK(d.substr(d.size() - 2) == "}\n");
  CHECK(has(d, "\"v_X\" [shape=box"));
  CHECK(has(d, "label=\"W1\\nparam [2, 3]\""));
  CHECK(has(d, "label=\"Y\\ntarget [n, 1]\""));
  // X @ W1 is one ellipse fed by X and W1, then + b1 gives the z2 box.
  const Node* xw = p.definitions[0].node->inputs[0];
  std::string op = "\"n" + std::to_string(xw->id) + "\"";
  CHECK(has(d, op + " [shape=ellipse, style=filled, fillcolor=\"#cfe2ff\", label=\"@\"]"));
  CHECK(has(d, "\"v_X\" -> " + op + ";"));
  CHECK(has(d, "\"v_W1\" -> " + op + ";"));
  CHECK(has(d, "label=\"sigmoid(·)\""));
  CHECK(has(d, "\"v_z3\" -> \"v_yhat\" [style=dashed];"));  // an alias
  CHECK(has(d, "peripheries=2, label=\"J\\nloss scalar\""));
  CHECK(!has(d, "cluster_backward"));
  CHECK(!has(d, "∂"));
  CHECK(run_dot(d) == 0);
}

TEST_CASE("backward graph: equations as nodes, local gradients on edges", "[dot]") {
  Program p = test::seed_program();
  std::string d = dot_of(p, true);
  CHECK(has(d, "subgraph cluster_backward"));
  CHECK(has(d, "\"b_dJ_dW2\" [shape=box, style=\"filled,rounded\", fillcolor=\"#fde2e2\", label=\"B2: dJ/dW2 = a2ᵀ @ dJ/dz3\"]"));
  // B2 uses B1: a gradient edge (forward values it reads are in its label, not edges).
  CHECK(has(d, "\"b_dJ_dz3\" -> \"b_dJ_dW2\" [color=\"#c0392b\"];"));
  CHECK(!has(d, "\"v_a2\" -> \"b_dJ_dW2\""));
  CHECK(has(d, "\"v_J\" -> \"b_dJ_dz3\""));
  // Local gradients come from the vjp rules with the cotangent factored out.
  CHECK(has(d, "label=\"∂(a2 @ W2)/∂W2 = a2ᵀ\""));
  CHECK(has(d, "label=\"∂(a2 @ W2)/∂a2 = W2ᵀ\""));
  CHECK(has(d, "label=\"∂z3/∂b2 = 1\""));
  CHECK(has(d, "label=\"∂a2/∂z2 = a2 ⊙ (1 − a2)\""));
  CHECK(has(d, "label=\"∂J/∂z3 = 2/n · (z3 − Y)\""));
  // Y is a target and not in `grad`: no gradient flows to it, so its edge has no label.
  CHECK(has(d, "\"v_Y\" -> \"n"));
  CHECK(!has(d, "∂J/∂Y"));
  CHECK(run_dot(d) == 0);
}

TEST_CASE("dot output is deterministic and quotes safely", "[dot]") {
  CHECK(dot_of(test::seed_program(), true) == dot_of(test::seed_program(), true));
  CHECK(dot_quote("a\"b\\c\nd") == "\"a\\\"b\\\\c\\nd\"");
  CHECK(run_dot("digraph { a -> }") != 0);  // the validity check itself can fail
}

// t1 = broadcast(1, [2, 2]) is a constant the rules reuse, not a gradient: it got a
// "∂J/∂J = 1" edge as if the chain rule started there.
TEST_CASE("backward graph: only gradients start the chain rule at dJ/dJ = 1", "[dot]") {
  Diagnostics d;
  auto p = load_grad("network g1\nparam W[2, 2]\nloss J = sum(W.T @ W)\n", "g1.grad", d);
  REQUIRE(p);
  differentiate_and_optimize(*p, PipelineOptions{});
  EquationSet eqs = build_equations(*p);
  REQUIRE(eqs.backward.size() == 2);
  REQUIRE(eqs.backward[0].label.empty());  // t1, the constant
  const std::string dot = emit_dot(*p, eqs, DotOptions{true});
  CHECK(has(dot, "\"b_t1\" -> \"b_dJ_dW\""));
  CHECK(has(dot, "\"v_J\" -> \"b_dJ_dW\""));
  CHECK_FALSE(has(dot, "\"v_J\" -> \"b_t1\""));
}

TEST_CASE("backward graph: a negated operand is grouped in its local gradient's label", "[dot]") {
  Diagnostics d;
  auto p = load_grad("network act\ninput x[2]\nparam w[2]\nz = w * x\nloss J = sum(exp(-z))\n", "act.grad", d);
  REQUIRE(p);
  differentiate_and_optimize(*p, PipelineOptions{});
  const std::string dot = emit_dot(*p, build_equations(*p), DotOptions{true});
  CHECK(has(dot, "∂(−z)/∂z = −1"));
  CHECK(has(dot, "∂exp(−z)/∂(−z) = exp(−z)"));  // it read ∂exp(−z)/∂−z
}

// Names have no length limit, Graphviz's quoted strings do (16 KiB): two 20000-character names
// sharing their first 10000 stay two nodes, each label keeps its start, and `dot` reads it.
TEST_CASE("backward graph: very long names are shortened so that Graphviz reads them", "[dot]") {
  const std::string stem(10000, 't'), a = stem + std::string(10000, 'a'), b = stem + std::string(10000, 'b');
  Diagnostics d;
  auto p = load_grad("network long\ninput " + a + "[2]\ninput " + b + "[2]\nparam w[2]\nloss L = sum(" + a + " * w + " + b +
                         " * w)\ngrad " + a + "\n",
                     "long.grad", d);
  REQUIRE(p);
  differentiate_and_optimize(*p, PipelineOptions{});
  const std::string dot = emit_dot(*p, build_equations(*p), DotOptions{true});
  size_t longest = 0, run = 0;
  for (char c : dot) run = c == '"' ? 0 : run + 1, longest = std::max(longest, run);
  CHECK(longest < 8192);
  CHECK(has(dot, stem.substr(0, 1000)));
  CHECK(has(dot, " bytes, #"));
  CHECK(dot_quote(a) != dot_quote(b));
  CHECK(has(dot_quote(a), "… (20000 bytes, #"));
  CHECK(run_dot(dot) == 0);
  CHECK(dot_quote(std::string(4096, 'x')) == "\"" + std::string(4096, 'x') + "\"");  // up to 4 KiB: whole
}
