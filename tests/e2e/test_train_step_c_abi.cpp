// `--fuse-step` in the C ABI: NAME_train_step, called from a C99 program compiled with gcc,
// leaves the same params, losses (and d(loss)/dX) as NAME_loss_and_grad + NAME_step, step after
// step; it checks its struct pointers (params, grads, state) and its workspace size and then
// writes nothing; its prefix follows --namespace like every other C function.
#include <catch2/catch.hpp>

#include <cctype>
#include <cstdio>
#include <sstream>

#include "e2e_support.h"

namespace {

// A small network (own loops; grad X, so train_step has an argument after `state`).
std::string small_net(const std::string& optimizer) {
  return "network tiny\ndim n\ninput X[n, 2]\ntarget Y[n, 1]\nparam W1[2, 3]\nparam b1[3] init=uniform(-0.1, 0.1)\n"
         "param W2[3, 1]\nparam b2[1]\nz = sigmoid(X @ W1 + b1) @ W2 + b2\noutput yhat = z\nloss J = mse(z, Y)\n"
         "grad X\noptimizer " + optimizer + "\n";
}


// A C99 program: 5 steps of P_loss_and_grad + P_step on one copy of the params and of
// P_train_step on another, from the same init and batch (X[n, in], one-hot Y[n, out]); then
// train_step with a null params, grads or state, and with a workspace one scalar short. The
// workspace is a heap block of exactly workspace_size(N) scalars (ASan sees any overrun).
// Prints: largest param difference, largest loss difference, largest dX difference, how far
// the params moved, the four error codes, whether the failed calls left params and state
// untouched, and both step counters.
std::string c_main(const std::string& header, const std::string& P, int in, int out, bool dx) {
  const std::string U = [&] {
    std::string u = P;
    for (char& ch : u) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return u;
  }();
  std::ostringstream c;
  c << "#include <math.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include \"" << header << "\"\n"
    << "#define N 9\n#define IN " << in << "\n#define OUT " << out << "\n"
    << "static double maxdiff(const " << P << "scalar* a, const " << P << "scalar* b, size_t n) {\n"
    << "  double d = 0;\n  size_t i;\n  for (i = 0; i < n; ++i) d = fmax(d, fabs((double)a[i] - (double)b[i]));\n"
    << "  return d;\n}\n"
    << "int main(void) {\n"
    << "  " << P << "scalar X[N * IN], Y[N * OUT], la = 0, lb = 0;\n"
    << (dx ? "  " + P + "scalar dXa[N * IN], dXb[N * IN];\n" : "")
    << "  " << P << "params a, b, a0, keep;\n  " << P << "grads ga, gb;\n  " << P << "opt_state sa, sb, skeep;\n"
    << "  const size_t np = sizeof(a) / sizeof(" << P << "scalar);\n"
    << "  const size_t need = " << P << "workspace_size(N);\n"
    << "  double dp, dl = 0, ddx = 0, moved;\n  int k, e1, e2, e3, e4, untouched;\n"
    << "  " << P << "scalar* ws = (" << P << "scalar*)malloc(need * sizeof(" << P << "scalar));\n"
    << "  if (ws == NULL) return 10;\n"
    << "  memset(&sa, 0, sizeof sa);\n  memset(&sb, 0, sizeof sb);\n"
    << "  for (k = 0; k < N * IN; ++k) X[k] = (" << P << "scalar)sin(0.37 * k);\n"
    << "  for (k = 0; k < N * OUT; ++k) Y[k] = (k % OUT) == (k / OUT) % OUT ? 1 : 0;\n"
    << "  if (" << P << "init(&a, 11) != " << U << "OK) return 11;\n  b = a;\n  a0 = a;\n"
    << "  for (k = 0; k < 5; ++k) {\n"
    << "    if (" << P << "loss_and_grad(&a, X, Y, N, &la, &ga, " << (dx ? "dXa, " : "") << "ws, need) != " << U
    << "OK) return 12;\n"
    << "    if (" << P << "step(&a, &ga, &sa) != " << U << "OK) return 13;\n"
    << "    if (" << P << "train_step(&b, X, Y, N, &lb, &gb, &sb, " << (dx ? "dXb, " : "") << "ws, need) != " << U
    << "OK) return 14;\n"
    << "    dl = fmax(dl, fabs((double)la - (double)lb));\n"
    << (dx ? "    ddx = fmax(ddx, maxdiff(dXa, dXb, N * IN));\n" : "") << "  }\n"
    << "  dp = maxdiff((const " << P << "scalar*)&a, (const " << P << "scalar*)&b, np);\n"
    << "  moved = maxdiff((const " << P << "scalar*)&a, (const " << P << "scalar*)&a0, np);\n"
    << "  keep = b;\n  skeep = sb;\n"
    << "  e1 = " << P << "train_step(NULL, X, Y, N, &lb, &gb, &sb, " << (dx ? "dXb, " : "") << "ws, need);\n"
    << "  e2 = " << P << "train_step(&b, X, Y, N, &lb, NULL, &sb, " << (dx ? "dXb, " : "") << "ws, need);\n"
    << "  e3 = " << P << "train_step(&b, X, Y, N, &lb, &gb, NULL, " << (dx ? "dXb, " : "") << "ws, need);\n"
    << "  e4 = " << P << "train_step(&b, X, Y, N, &lb, &gb, &sb, " << (dx ? "dXb, " : "") << "ws, need - 1);\n"
    << "  untouched = memcmp(&keep, &b, sizeof b) == 0 && memcmp(&skeep, &sb, sizeof sb) == 0;\n"
    << "  printf(\"%.17g %.17g %.17g %.17g %d %d %d %d %d %d %d\\n\", dp, dl, ddx, moved, e1, e2, e3, e4, untouched,"
    << " (int)sa.t, (int)sb.t);\n"
    << "  free(ws);\n  return 0;\n}\n";
  return c.str();
}

gg::cpp::ProcessResult run_ok(const std::vector<std::string>& argv, const gg::cpp::TempDir& dir) {
  auto r = gg::cpp::run_process(argv, dir.path());
  INFO(argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << "\n" << r.out.substr(0, 3000) << r.err.substr(0, 6000));
  REQUIRE(r.exit_code == 0);
  return r;
}

// Generates `text` with the gradgen CLI (--fuse-step --precision f64 plus `flags`), builds the C
// program against NAME.h with gcc -std=c99 and NAME.cpp with g++, runs it and checks the results.
// Without BLAS everything runs under ASan+UBSan. Returns NAME.h.
std::string check_c_train_step(const std::string& text, const std::string& name, const std::string& prefix,
                               std::vector<std::string> flags, int in, int out, bool dx, bool blas) {
  std::vector<std::string> san;
  if (!blas) san = {"-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"};
  gg::cpp::TempDir dir("gradgen-cts");
  gg::cpp::write_text(dir.file(name + ".grad"), text);
  std::vector<std::string> argv{GG_GRADGEN_EXE, "generate", dir.file(name + ".grad"), "-o", dir.file("gen"),
                                "--fuse-step", "--precision", "f64"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  run_ok(argv, dir);
  const std::string h = e2e::read_file(dir.file("gen/" + name + ".h"));
  gg::cpp::write_text(dir.file("main.c"), c_main(name + ".h", prefix, in, out, dx));
  std::vector<std::string> cc{"gcc", "-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-I" + dir.file("gen"), "-c",
                              dir.file("main.c"), "-o", dir.file("main.o")};
  cc.insert(cc.end(), san.begin(), san.end());
  run_ok(cc, dir);
  std::vector<std::string> cxx_flags{"-c", "-O1"};
  cxx_flags.insert(cxx_flags.end(), san.begin(), san.end());
  auto cxx = e2e::compile("g++", {dir.file("gen/" + name + ".cpp")}, dir.file("net.o"), dir.file("gen"), cxx_flags);
  INFO(cxx.err.substr(0, 6000));
  REQUIRE(cxx.exit_code == 0);
  std::vector<std::string> link{"g++", dir.file("main.o"), dir.file("net.o"), "-o", dir.file("main")};
  link.insert(link.end(), san.begin(), san.end());
  if (blas) link.push_back("-lopenblas");
  run_ok(link, dir);
  std::string got = run_ok({dir.file("main")}, dir).out;
  INFO(got);
  double dp = 1, dl = 1, ddx = 1, moved = 0;
  int e1 = 0, e2 = 0, e3 = 0, e4 = 0, untouched = 0, ta = 0, tb = 0;
  REQUIRE(std::sscanf(got.c_str(), "%lf %lf %lf %lf %d %d %d %d %d %d %d", &dp, &dl, &ddx, &moved, &e1, &e2, &e3, &e4,
                      &untouched, &ta, &tb) == 11);
  CHECK(moved > 1e-4);
  CHECK(dp <= 1e-10);
  CHECK(dl <= 1e-10);
  CHECK(ddx <= 1e-10);
  CHECK(e1 == 1);  // NULL_POINTER
  CHECK(e2 == 1);
  CHECK(e3 == 1);
  CHECK(e4 == 3);  // WORKSPACE_TOO_SMALL
  CHECK(untouched == 1);
  CHECK(ta == 5);
  CHECK(tb == 5);
  return h;
}

}  // namespace

TEST_CASE("C ABI train_step from C99 matches loss_and_grad + step (own loops, --namespace)", "[e2e][fuse]") {
  for (const char* opt : {"sgd(lr=0.5)", "adam(lr=0.05)"}) {
    INFO(opt);
    std::string h = check_c_train_step(small_net(opt), "tiny", "my_tiny_", {"--namespace", "my::tiny"}, 2, 1, true, false);
    // Declared with the --namespace prefix, state after grads, grad inputs after state.
    CHECK(h.find("int my_tiny_train_step(my_tiny_params* params, const my_tiny_scalar* X, const my_tiny_scalar* Y, "
                 "int64_t n, my_tiny_scalar* loss, my_tiny_grads* grads, my_tiny_opt_state* state, "
                 "my_tiny_scalar* dJ_dX, my_tiny_scalar* ws, size_t ws_size);") != std::string::npos);
  }
}

TEST_CASE("C ABI train_step from C99 with --blas matches loss_and_grad + step", "[e2e][fuse][blas]") {
  for (const char* opt : {"sgd(lr=0.1)", "sgd(lr=0.1, momentum=0.5)"}) {
    INFO(opt);
    std::string h = check_c_train_step(e2e::fuse_net(opt), "fusenet", "fusenet_", {"--blas"}, 32, 3, false, true);
    CHECK(h.find("int fusenet_train_step(fusenet_params* params, ") != std::string::npos);
  }
}

TEST_CASE("without --fuse-step the C ABI has no train_step", "[e2e][fuse]") {
  auto n = e2e::build_net(small_net("sgd(lr=0.5)"), "tiny.grad", {}, "f64");
  CHECK(n->files.h.find("train_step") == std::string::npos);
  CHECK(n->files.cpp.find("train_step") == std::string::npos);
}
