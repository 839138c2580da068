// `gradgen generate --gemm gradgen|blas|loops` on the command line: a value outside the three
// is a usage error (exit 2) naming the choices, --blas with --gemm other than blas is a usage
// error saying why, --blas with --gemm blas is accepted (the same as --blas), and nothing is
// written on error.
#include <catch2/catch.hpp>
#include <filesystem>

#include "run.h"

using namespace gg::test;

namespace {

// gradgen generate seed.grad -o DIR ARGS... in a fresh scratch folder; `written`: whether DIR
// exists afterwards.
struct Gen {
  Result r;
  bool written = false;
  std::string cpp, hpp;
};
Gen generate(const std::vector<std::string>& args) {
  Scratch s;
  std::vector<std::string> all{GG_GRADGEN_EXE, "generate", example("seed.grad"), "-o", s.path("out")};
  all.insert(all.end(), args.begin(), args.end());
  Gen g;
  g.r = run_argv(all, s);
  g.written = std::filesystem::exists(s.path("out"));
  if (g.written) g.cpp = slurp(s.path("out/seed.cpp")), g.hpp = slurp(s.path("out/seed.hpp"));
  return g;
}

}  // namespace

TEST_CASE("generate --gemm rejects a value other than gradgen, blas or loops", "[cli][gemm]") {
  for (const char* bad : {"bogus", "BLAS", ""}) {
    INFO("--gemm '" << bad << "'");
    Gen g = generate({"--gemm", bad});
    CHECK(g.r.status == 2);
    CHECK(g.r.out.empty());
    CHECK(has(g.r.err, std::string("--gemm: ") + bad + " not in {gradgen,blas,loops}"));
    CHECK(!g.written);
  }
  Gen missing = generate({"--gemm"});
  CHECK(missing.r.status == 2);
  CHECK(has(missing.r.err, "--gemm: 1 required TEXT:{gradgen,blas,loops} missing"));
  CHECK(!missing.written);
}

TEST_CASE("generate --blas with --gemm gradgen or loops is a usage error", "[cli][gemm]") {
  for (const char* other : {"loops", "gradgen"})
    for (bool blas_first : {true, false}) {
      INFO("--gemm " << other << (blas_first ? " after" : " before") << " --blas");
      Gen g = blas_first ? generate({"--blas", "--gemm", other}) : generate({"--gemm", other, "--blas"});
      CHECK(g.r.status == 2);
      CHECK(g.r.out.empty());
      CHECK(g.r.err == std::string("gradgen: error: --blas is --gemm blas; it cannot be combined with --gemm ") +
                           other + "\n");
      CHECK(!g.written);
    }
}

TEST_CASE("generate --gemm blas --blas is accepted and is --blas", "[cli][gemm]") {
  Gen both = generate({"--gemm", "blas", "--blas"});
  REQUIRE(both.r.status == 0);
  CHECK(both.r.err.empty());
  Gen blas = generate({"--blas"});
  REQUIRE(blas.r.status == 0);
  CHECK(both.cpp == blas.cpp);
  CHECK(both.hpp == blas.hpp);
  for (const char* choice : {"gradgen", "blas", "loops"}) {
    INFO("--gemm " << choice);
    Gen g = generate({"--gemm", choice});
    CHECK(g.r.status == 0);
    CHECK(g.written);
  }
}

TEST_CASE("generate --help documents --gemm", "[cli][gemm]") {
  Result h = gradgen({"generate", "--help"});
  CHECK(h.status == 0);
  CHECK(has(h.out, "--gemm TEXT:{gradgen,blas,loops}"));
  CHECK(has(h.out, "gradgen/gemm.hpp"));
  CHECK(has(h.out, "--blas"));
  CHECK(has(h.out, "the same as --gemm blas"));
}
