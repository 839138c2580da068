// `generate --gemm gradgen` (the default): products of 32768 multiply-adds and more (a
// symbolic dim counted as 64) call gradgen's own blocked GEMM, gradgen/gemm.hpp, followed by
// their epilogue loop; nothing is linked. The compiled code matches the interpreter (f32, f64,
// bound or not, on 1 or GG_NUM_THREADS=2 threads) and train_step (--fuse-step) equals
// loss_and_grad + step. `--gemm loops` has no GEMM calls; `--gemm blas` is `--blas`.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "e2e_support.h"

namespace {

namespace fs = std::filesystem;

// X @ W1 is 64·96·64 = 393216 multiply-adds with n counted as 64, and so are its two gradient
// products (dW1 = Xᵀ·dZ1 through a transposed A, dX = dZ1·W1ᵀ through a transposed B); the
// 64 → 10 layer's products (40960) are GEMM calls too; the 10 → 3 layer (1920) stays in
// gradgen's loops, so the hand-off between the two is covered. Without `grad X`
// (run_fuse_step's driver passes no dX) there is no dX product.
std::string net(const std::string& optimizer, bool grad_x = true) {
  return e2e::mlp3({"gemmnet", 96, 64, 10, 3, "", grad_x}, optimizer);
}

// 50 rows: each product with W1 is 50·96·64 = 307200 multiply-adds (>= 2^18) over several
// register tiles, so with two threads gg::gemm splits C between them.
constexpr int64_t kRows = 50;

// Sets GG_NUM_THREADS for the programs this test runs, unset again afterwards.
struct EnvThreads {
  explicit EnvThreads(const char* n) { setenv("GG_NUM_THREADS", n, 1); }
  ~EnvThreads() { unsetenv("GG_NUM_THREADS"); }
};

void check(e2e::Net& n, const std::string& compiler, double tol) {
  INFO(compiler << (std::getenv("GG_NUM_THREADS") ? " with GG_NUM_THREADS=2" : ""));
  auto got = e2e::compile_and_run({&n}, compiler, true);
  e2e::compare(n, got[0], e2e::interpret(n), tol);
}

std::unique_ptr<e2e::Net> symbolic(const char* precision, uint64_t seed) {
  auto n = e2e::build_net(net("sgd(lr=0.1)"), "gemmnet.grad", {}, precision, seed);
  e2e::set_batch(*n, kRows, seed);
  return n;
}

// gradgen generate NET -o DIR ARGS...: exit status and the three generated files' text.
struct Generated {
  int status = -1;
  std::string err, cpp, hpp, h;
};
Generated generate(const gg::cpp::TempDir& dir, const std::string& out, const std::vector<std::string>& args) {
  std::vector<std::string> argv{GG_GRADGEN_EXE, "generate", dir.file("gemmnet.grad"), "-o", dir.file(out)};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = gg::cpp::run_process(argv, dir.path());
  Generated g{r.exit_code, r.err, "", "", ""};
  if (r.exit_code == 0)
    g.cpp = e2e::read_file(dir.file(out + "/gemmnet.cpp")), g.hpp = e2e::read_file(dir.file(out + "/gemmnet.hpp")),
    g.h = e2e::read_file(dir.file(out + "/gemmnet.h"));
  return g;
}

bool has(const std::string& text, const std::string& piece) { return text.find(piece) != std::string::npos; }

}  // namespace

TEST_CASE("generate (--gemm gradgen): large products call gradgen/gemm.hpp and match the interpreter", "[e2e][gemm]") {
  auto f64 = symbolic("f64", 1);
  const std::string& cpp = f64->files.cpp;
  CHECK(has(cpp, "#include <gradgen/gemm.hpp>"));
  CHECK(!has(cpp, "blas.hpp"));
  // Forward, then relu and the bias in the epilogue; dW1 through a transposed A, straight into
  // the grads; dX through a transposed B.
  CHECK(has(cpp, "gg::gemm(false, false, n, 96, 64, Scalar(1), X, W1, Scalar(0), h1);"));
  CHECK(has(cpp, "gg::gemm(false, false, n, 64, 10, Scalar(1), h1, W2, Scalar(0), h2);"));
  CHECK(has(cpp, "gg::gemm(true, false, 96, n, 64, Scalar(1), X, "));
  CHECK(has(cpp, ", dJ_dW1);"));
  CHECK(has(cpp, "gg::gemm(false, true, n, 64, 96, Scalar(1), "));
  CHECK(has(cpp, "gg::matmul_nn(h2, W3, n, 10, 3"));  // 1920 multiply-adds: gradgen's loop
  CHECK(!has(f64->files.hpp, "CBLAS"));
  CHECK(!has(f64->files.hpp, "--blas"));
  for (const std::string& cxx : e2e::compilers()) check(*f64, cxx, 1e-10);

  auto f32 = symbolic("f32", 2);
  CHECK(has(f32->files.cpp, "gg::gemm(false, false, n, 96, 64, Scalar(1), X, W1, Scalar(0), h1);"));
  check(*f32, "g++", 1e-5);

  // Bound: 50·96·64 is above the threshold as a fixed size too.
  auto bound = e2e::build_net(net("sgd(lr=0.1)"), "gemmnet.grad", {{"n", kRows}}, "f64", 3);
  CHECK(has(bound->files.cpp, "gg::gemm(false, false, 50, 96, 64, Scalar(1), X, W1, Scalar(0), h1);"));
  check(*bound, "g++", 1e-10);
}

TEST_CASE("generate (--gemm gradgen): the code on GG_NUM_THREADS=2 threads matches the interpreter", "[e2e][gemm]") {
  EnvThreads two("2");
  // The variable is what gg::gemm_threads() starts from.
  gg::cpp::TempDir dir("gradgen-gemm");
  gg::cpp::write_text(dir.file("threads.cpp"),
                      "#include <gradgen/gemm.hpp>\n#include <cstdio>\n"
                      "int main() { std::printf(\"%d\\n\", gg::gemm_threads()); }\n");
  auto built = e2e::compile("g++", {dir.file("threads.cpp")}, dir.file("threads"), dir.path());
  INFO(built.err.substr(0, 4000));
  REQUIRE(built.exit_code == 0);
  auto ran = gg::cpp::run_process({dir.file("threads")}, dir.path());
  CHECK(ran.exit_code == 0);
  CHECK(ran.out == "2\n");

  auto f64 = symbolic("f64", 4);
  check(*f64, "g++", 1e-10);
  auto f32 = symbolic("f32", 5);
  check(*f32, "g++", 1e-5);
}

TEST_CASE("generate --fuse-step (--gemm gradgen): train_step matches loss_and_grad + step", "[e2e][gemm][fuse]") {
  // X[n, 96] = sin(0.37 i); row r of Y[n, 3] one-hot at r % 3.
  const std::string fill =
      "  for (std::int64_t i = 0; i < n * 96; ++i) X[i] = Scalar(std::sin(0.37 * double(i)));\n"
      "  for (std::int64_t r = 0; r < n; ++r) Y[r * 3 + r % 3] = 1;\n";
  for (const char* optimizer : {"sgd(lr=0.1)", "sgd(lr=0.1, momentum=0.9)", "adam(lr=0.01)"})
    for (bool bound : {false, true}) {
      INFO(optimizer << (bound ? ", n bound" : ""));
      gg::DimBindings bind;
      if (bound) bind["n"] = kRows;
      auto n = e2e::build_net(net(optimizer, false), "gemmnet.grad", bind, "f64", 1, false, true);
      CHECK(has(n->files.cpp, "gg::gemm("));
      e2e::FuseOutcome o = e2e::run_fuse_step(*n, 96, 3, fill, kRows, bound, 5);
      CHECK(o.fn == "check");
      CHECK(o.moved > 1e-4);
      CHECK(o.param_diff <= 1e-10);
      CHECK(o.loss_diff <= 1e-10);
    }
  // Plain SGD folds the update into the weight-gradient GEMM: params += (-lr)·Xᵀ·dZ1.
  auto sgd = e2e::build_net(net("sgd(lr=0.1)", false), "gemmnet.grad", {}, "f64", 1, false, true);
  CHECK(has(sgd->files.cpp, "gg::gemm(true, false, 96, n, 64, (-0.1), X, "));
  CHECK(has(sgd->files.cpp, "Scalar(1), gg::flat(params.W1));"));
}

TEST_CASE("generate --gemm loops has no GEMM calls, --gemm blas is --blas byte for byte", "[e2e][gemm][blas]") {
  gg::cpp::TempDir dir("gradgen-gemm");
  gg::cpp::write_text(dir.file("gemmnet.grad"), net("sgd(lr=0.1)"));
  const Generated plain = generate(dir, "plain", {}), own = generate(dir, "own", {"--gemm", "gradgen"}),
                  loops = generate(dir, "loops", {"--gemm", "loops"}), blas = generate(dir, "blas", {"--blas"}),
                  gemm_blas = generate(dir, "gemm_blas", {"--gemm", "blas"});
  for (const Generated* g : {&plain, &own, &loops, &blas, &gemm_blas}) {
    INFO(g->err);
    REQUIRE(g->status == 0);
  }
  // The default is --gemm gradgen.
  CHECK(has(plain.cpp, "gg::gemm("));
  CHECK(has(plain.cpp, "#include <gradgen/gemm.hpp>"));
  CHECK(plain.cpp == own.cpp);
  CHECK(plain.hpp == own.hpp);
  CHECK(plain.h == own.h);
  // Loops: every product a loop with its epilogue fused in, no GEMM header.
  CHECK(!has(loops.cpp, "gg::gemm("));
  CHECK(!has(loops.cpp, "gemm.hpp"));
  CHECK(!has(loops.cpp, "blas.hpp"));
  CHECK(has(loops.cpp, "gg::matmul_"));
  // CBLAS: the same text either way.
  CHECK(has(blas.cpp, "#include <gradgen/blas.hpp>"));
  CHECK(has(blas.hpp, "generated with --blas: link a CBLAS for cblas_sgemm"));
  CHECK(gemm_blas.cpp == blas.cpp);
  CHECK(gemm_blas.hpp == blas.hpp);
  CHECK(gemm_blas.h == blas.h);
}

// One program may hold a network built for any x86-64, the same network built with -mavx2, and
// one generated with --blas. gg::gemm was one inline function for all three (the linker kept a
// single copy: CBLAS or the AVX2 kernel everywhere); each now lives in its own inline namespace
// (isa.hpp, blas.hpp), so every file keeps the code it was compiled to, and all agree.
TEST_CASE("networks built with different -march flags and with --blas link into one program", "[e2e][gemm][blas]") {
  gg::cpp::TempDir dir("gradgen-gemm-isa");
  gg::cpp::write_text(dir.file("gemmnet.grad"), net("sgd(lr=0.1)"));
  const Generated base = generate(dir, "base", {"--namespace", "base", "--bind", "n=50"}),
                  avx2 = generate(dir, "avx2", {"--namespace", "avx2", "--bind", "n=50"}),
                  blas = generate(dir, "blas", {"--namespace", "cb", "--bind", "n=50", "--blas"});
  for (const Generated* g : {&base, &avx2, &blas}) {
    INFO(g->err);
    REQUIRE(g->status == 0);
  }
  gg::cpp::write_text(dir.file("main.cpp"), R"(
#include <cstdio>
#include <vector>
#include "base/gemmnet.hpp"
#include "avx2/gemmnet.hpp"
#include "blas/gemmnet.hpp"
int main() {
  base::Params pb; base::Grads gb; avx2::Params pa; avx2::Grads ga; cb::Params pc; cb::Grads gc;
  std::vector<float> X(50 * 96), Y(50 * 3, 0.f);
  for (std::size_t i = 0; i < X.size(); ++i) X[i] = float(i % 7) / 7;
  for (int r = 0; r < 50; ++r) Y[r * 3 + r % 3] = 1;
  base::init(pb, 3), avx2::init(pa, 3), cb::init(pc, 3);
  std::vector<float> wb(base::workspace_size()), wa(avx2::workspace_size()), wc(cb::workspace_size());
  std::vector<float> dX(X.size());
  float lb = 0, la = 0, lc = 0;
  base::loss_and_grad(pb, X.data(), Y.data(), 50, lb, gb, dX.data(), base::WorkspaceRef(wb.data(), wb.size()));
  avx2::loss_and_grad(pa, X.data(), Y.data(), 50, la, ga, dX.data(), avx2::WorkspaceRef(wa.data(), wa.size()));
  cb::loss_and_grad(pc, X.data(), Y.data(), 50, lc, gc, dX.data(), cb::WorkspaceRef(wc.data(), wc.size()));
  std::printf("%.9g %.9g %.9g\n", lb, la, lc);
}
)");
  auto compile = [&](const std::string& src, const std::string& obj, std::vector<std::string> flags) {
    std::vector<std::string> argv{"g++", "-std=c++17", "-O2", "-I" + gg::runtime_include_dir(), "-I" + dir.path()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    for (const std::string& s : {std::string("-c"), dir.file(src), std::string("-o"), dir.file(obj)}) argv.push_back(s);
    auto r = gg::cpp::run_process(argv, dir.path());
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  };
  // At -O0 the gg::gemm wrappers stay functions of their own, as the linker sees them.
  compile("main.cpp", "main.o", {});
  compile("base/gemmnet.cpp", "base.o", {"-march=x86-64", "-O0"});
  compile("avx2/gemmnet.cpp", "avx2.o", {"-mavx2", "-mfma"});
  compile("blas/gemmnet.cpp", "blas.o", {"-O0"});
  auto linked = gg::cpp::run_process({"g++", dir.file("main.o"), dir.file("base.o"), dir.file("avx2.o"), dir.file("blas.o"),
                                      "-o", dir.file("prog"), "-lopenblas", "-pthread"},
                                     dir.path());
  INFO(linked.err);
  REQUIRE(linked.exit_code == 0);
  auto symbols = gg::cpp::run_process({"nm", "-C", dir.file("prog")}, dir.path());
  CHECK(has(symbols.out, "gg::isa_base::gemm(bool"));
  CHECK(has(symbols.out, "gg::cblas::gemm(bool"));
  CHECK(has(symbols.out, "gg::isa_base::gemm_detail::gemm_split<float>"));
  CHECK(has(symbols.out, "gg::isa_avx2::gemm_detail::gemm_split<float>"));
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return;
  auto ran = gg::cpp::run_process({dir.file("prog")}, dir.path());
  INFO(ran.err);
  REQUIRE(ran.exit_code == 0);
  double lb = 0, la = 0, lc = 0;
  REQUIRE(std::sscanf(ran.out.c_str(), "%lf %lf %lf", &lb, &la, &lc) == 3);
  CHECK(lb > 0);
  CHECK(std::abs(la - lb) <= 1e-5 * lb);
  CHECK(std::abs(lc - lb) <= 1e-5 * lb);
}
