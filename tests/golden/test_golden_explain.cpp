// Golden tests for `explain` and `graph`: the equations and DOT of every example must match
// the files beside this test byte for byte. After an intended change run
// tests/golden/regenerate.sh and review the diff.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "emit/dot.h"
#include "emit/equations.h"
#include "frontend/grad/load.h"
#include "passes/pipeline.h"

using namespace gg;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Program prepared(const std::string& example) {
  Diagnostics d;
  auto p = load_grad_file(std::string(GG_SOURCE_DIR) + "/examples/" + example + ".grad", d);
  INFO(d.render());
  REQUIRE(p);
  differentiate_and_optimize(*p, PipelineOptions{});
  return std::move(*p);
}

std::string golden(const std::string& name) { return slurp(std::string(GG_SOURCE_DIR) + "/tests/golden/" + name); }

const char* const kExamples[] = {"seed", "classifier", "broadcast", "input_grad"};

}  // namespace

TEST_CASE("explain text of every example matches its golden file", "[golden]") {
  for (const char* ex : kExamples) {
    INFO(ex);
    Program p = prepared(ex);
    CHECK(render_equations(build_equations(p), Format::Text) == golden(std::string("explain_") + ex + ".txt"));
  }
}

TEST_CASE("explain markdown and LaTeX of the seed match their golden files", "[golden]") {
  Program p = prepared("seed");
  EquationSet s = build_equations(p);
  CHECK(render_equations(s, Format::Markdown) == golden("explain_seed.md"));
  CHECK(render_equations(s, Format::Latex) == golden("explain_seed.tex"));
}

TEST_CASE("graph DOT matches its golden files", "[golden]") {
  Program seed = prepared("seed");
  CHECK(emit_dot(seed, build_equations(seed), DotOptions{false}) == golden("graph_seed.dot"));
  for (const char* ex : kExamples) {
    INFO(ex);
    Program p = prepared(ex);
    CHECK(emit_dot(p, build_equations(p), DotOptions{true}) == golden(std::string("graph_") + ex + "_backward.dot"));
  }
}
