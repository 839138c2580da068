// C++ inputs marking several GRADGEN_DIFFERENTIATE functions: --function picks one for
// explain/check/eval; without it the error names the candidates.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>

#include "cli/run.h"

using namespace gg::test;

namespace {

const char* kTwo = R"(#include <cmath>
#include <gradgen/annotate.hpp>
GRADGEN_DIFFERENTIATE double f(double x, double y) { return x * x * y; }
GRADGEN_DIFFERENTIATE double g(double x) { return std::sin(x) * x; }
)";

const std::string kRuntime = std::string("-I") + GG_SOURCE_DIR + "/runtime/include";

}  // namespace

TEST_CASE("C++ file with two functions: --function chooses, its absence is a located error", "[cli][cpp]") {
  Scratch s;
  std::string src = s.write("two.cpp", kTwo);
  std::string feed = s.write("g.json", R"({"x": 0.7})");

  Result none = gradgen({"explain", src, "--", kRuntime});
  CHECK(none.status == 1);
  CHECK_THAT(none.err, Catch::Contains("several functions are marked GRADGEN_DIFFERENTIATE (f, g)"));
  CHECK_THAT(none.err, Catch::Contains("--function NAME"));

  Result unknown = gradgen({"explain", src, "--function", "h", "--", kRuntime});
  CHECK(unknown.status == 1);
  CHECK_THAT(unknown.err, Catch::Contains("no function named 'h'"));

  Result explain = gradgen({"explain", src, "--function", "g", "--", kRuntime});
  REQUIRE(explain.status == 0);
  CHECK_THAT(explain.out, Catch::Contains("network g"));
  // d/dx sin(x)·x = sin(x) + x·cos(x)
  CHECK_THAT(explain.out, Catch::Contains("dloss/dx = sin(x) + x · cos(x)"));

  for (const char* mode : {"--interp", ""}) {
    std::vector<std::string> args{"eval", src, "--function=g", "--feed", feed};
    if (*mode) args.push_back(mode);
    args.insert(args.end(), {"--", kRuntime});
    Result eval = gradgen(args);
    REQUIRE(eval.status == 0);
    auto j = nlohmann::json::parse(eval.out);
    double x = 0.7;
    CHECK(j["loss"].get<double>() == Approx(std::sin(x) * x).epsilon(1e-12));
    CHECK(j["grads"]["x"].get<double>() == Approx(std::sin(x) + x * std::cos(x)).epsilon(1e-12));
  }

  Result check = gradgen({"--function", "f", "check", src, "--interp", "--", kRuntime});
  CHECK(check.status == 0);
  CHECK_THAT(check.out, Catch::Contains("dloss/dy"));
}
