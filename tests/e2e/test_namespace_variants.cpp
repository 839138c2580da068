// Two variants of one network (gradgen generate --namespace a / --namespace b, different
// precisions) link into one program: the C ABI prefix and header guard follow --namespace, so
// neither the C++ nor the C symbols collide, and each variant computes its own result.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>

#include "e2e_support.h"

namespace {

gg::cpp::ProcessResult run_ok(const std::vector<std::string>& argv, const gg::cpp::TempDir& dir) {
  auto r = gg::cpp::run_process(argv, dir.path());
  INFO(argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << "\n" << r.out.substr(0, 3000) << r.err.substr(0, 3000));
  REQUIRE(r.exit_code == 0);
  return r;
}

// Both variants through the C++ API and the C ABI in one program; prints both losses.
const char* kMain = R"(#include <cstdio>
#include "a/seed.hpp"
#include "b/seed.hpp"
int main() {
  float Xa[4] = {0.1f, 0.2f, 0.3f, 0.4f}, Ya[2] = {1.0f, 0.0f}, dXa[4], la = 0;
  double Xb[4] = {0.1, 0.2, 0.3, 0.4}, Yb[2] = {1.0, 0.0}, dXb[4], lb = 0;
  a::Params pa;
  b::Params pb;
  a::Grads ga;
  b::Grads gb;
  static a::Workspace<2> wa;
  static b::Workspace<2> wb;
  if (a::init(pa, 0) != a::kOk || b::init(pb, 0) != b::kOk) return 1;
  if (a::loss_and_grad(pa, Xa, Ya, 2, la, ga, dXa, wa) != a::kOk) return 2;
  if (b::loss_and_grad(pb, Xb, Yb, 2, lb, gb, dXb, wb) != b::kOk) return 3;
  // The C entry points of each variant, under their own prefix.
  a_params ca;
  b_params cb;
  if (a_init(&ca, 0) != A_OK || b_init(&cb, 0) != B_OK) return 4;
  float lca = 0;
  double lcb = 0;
  float wsa[64];
  double wsb[64];
  if (a_loss_and_grad(&ca, Xa, Ya, 2, &lca, &ga, dXa, wsa, 64) != A_OK) return 5;
  if (b_loss_and_grad(&cb, Xb, Yb, 2, &lcb, &gb, dXb, wsb, 64) != B_OK) return 6;
  std::printf("%.17g %.17g %.17g %.17g\n", static_cast<double>(la), lb, static_cast<double>(lca), lcb);
  return 0;
}
)";

}  // namespace

TEST_CASE("generate --namespace variants of one network link into one program", "[e2e]") {
  gg::cpp::TempDir dir("gradgen-ns");
  const std::string exe = GG_GRADGEN_EXE, seed = std::string(GG_SOURCE_DIR) + "/examples/seed.grad";
  run_ok({exe, "generate", seed, "-o", dir.file("a"), "--namespace", "a"}, dir);
  run_ok({exe, "generate", seed, "-o", dir.file("b"), "--namespace", "b", "--precision", "f64"}, dir);
  CHECK(e2e::read_file(dir.file("a/seed.h")).find("#ifndef GRADGEN_A_H") != std::string::npos);
  CHECK(e2e::read_file(dir.file("b/seed.h")).find("int b_init(b_params* params, uint64_t seed);") != std::string::npos);
  // A nested namespace gives a flat C prefix.
  run_ok({exe, "generate", seed, "-o", dir.file("c"), "--namespace", "my::nets"}, dir);
  CHECK(e2e::read_file(dir.file("c/seed.h")).find("int my_nets_init(my_nets_params* params") != std::string::npos);
  gg::cpp::write_text(dir.file("main.cpp"), kMain);
  for (const std::string& cxx : e2e::compilers()) {
    INFO(cxx);
    auto built = e2e::compile(cxx, {dir.file("main.cpp"), dir.file("a/seed.cpp"), dir.file("b/seed.cpp")},
                              dir.file("main"), dir.path());
    INFO(built.err.substr(0, 4000));
    REQUIRE(built.exit_code == 0);
    auto out = run_ok({dir.file("main")}, dir).out;
    double la = 0, lb = 0, lca = 0, lcb = 0;
    REQUIRE(std::sscanf(out.c_str(), "%lf %lf %lf %lf", &la, &lb, &lca, &lcb) == 4);
    // Same network and init seed: the f32 and f64 variants agree to f32 precision, and each
    // variant's C entry point gives its C++ result exactly.
    CHECK(la > 0);
    CHECK(std::abs(la - lb) <= 1e-5 * lb);
    CHECK(lca == la);
    CHECK(lcb == lb);
  }
}
