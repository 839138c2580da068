// A network that is one long chain of definitions: every command walks it without recursing
// once per definition (which overflowed the stack at ~5000 definitions) and without walking
// its shared values once per path (graph --backward took minutes at 30 definitions).
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "cli/run.h"

namespace gg::test {
namespace {

constexpr int kChain = 2000;

// a0 = X @ W, a{i} = tanh(a{i-1}) * 0.5 + a{i-1}: each value is read twice, by the next one.
std::string chain_network(int length) {
  std::string text = "network chain\ndim n\ninput X[n, 2]\nparam W[2, 2]\na0 = X @ W\n";
  for (int i = 1; i < length; ++i) {
    const std::string prev = "a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + " = tanh(" + prev + ") * 0.5 + " + prev + "\n";
  }
  const std::string last = "a" + std::to_string(length - 1);
  return text + "output y = " + last + "\nloss J = mean(" + last + ")\n";  // forward walks the chain too
}

// gradgen_small_stack (run.h): 1 MiB is a quarter of what one frame per definition of this
// chain needs, so any walk that recurses down the chain fails here.

TEST_CASE("a chain of 2000 definitions: generate, explain, graph and check within a 1 MiB stack", "[cli][deep]") {
  Scratch s;
  const std::string net = s.write("chain.grad", chain_network(kChain));
  const std::string last = "dJ/da0 = dJ/da1 + dJ/da1 · 0.5 ⊙ (1 − t1999 ⊙ t1999)";

  Result gen = gradgen_small_stack({"generate", net, "-o", s.path("out")}, s);
  INFO(gen.err);
  REQUIRE(gen.status == 0);
  CHECK(slurp(s.path("out/chain.cpp")).find(last) != std::string::npos);

  Result explain = gradgen_small_stack({"explain", net}, s);
  REQUIRE(explain.status == 0);
  CHECK(explain.out.find("B2000: " + last) != std::string::npos);

  Result graph = gradgen_small_stack({"graph", net, "--backward"}, s);
  REQUIRE(graph.status == 0);
  CHECK(graph.out.find("∂a1999/∂a1998") != std::string::npos);

  Result check = gradgen_small_stack({"check", net, "--interp"}, s);
  INFO(check.err);
  REQUIRE(check.status == 0);
  CHECK(check.out.find("ok: the 1 gradient agrees") != std::string::npos);

  // Longer, for the walks with small frames (the inputs the forward pass reads: 60,000
  // definitions overflowed the 8 MiB main stack).
  const std::string longer = s.write("longer.grad", chain_network(8 * kChain));
  Result gen_longer = gradgen_small_stack({"generate", longer, "-o", s.path("longer")}, s);
  INFO(gen_longer.err);
  CHECK(gen_longer.status == 0);
}

// Clang recurses once per operator of a + b + c + ...: a sum of 30000 terms overflowed the
// main thread's stack inside Clang, before gradgen's depth check could report it.
TEST_CASE("a C++ sum of 30000 terms is a located error, not a crash", "[cli][deep][cpp]") {
  Scratch s;
  std::string body = "x";
  for (int i = 1; i < 30000; ++i) body += " + x";
  const std::string src =
      s.write("long_sum.cpp", "#include <gradgen/annotate.hpp>\nGRADGEN_DIFFERENTIATE double f(double x) {\n  return " +
                                  body + ";\n}\n");
  Result gen = gradgen({"generate", src, "-o", s.path("out"), "--", std::string("-I") + GG_SOURCE_DIR + "/runtime/include"});
  CHECK(gen.status == 1);
  CHECK_THAT(gen.err, Catch::Contains("long_sum.cpp:3:10: error: expression is too deep (more than 1024 levels); "
                                      "split it into statements"));
  CHECK_FALSE(std::filesystem::exists(s.path("out")));
}

}  // namespace
}  // namespace gg::test
