// The workspace memory plan: liveness-based reuse and in-place overwrites (checked through
// `--report` text and by running deep and --bind networks against the interpreter), and the
// generator's scale: a 200-layer MLP generates, with a workspace that does not grow with depth.
#include <catch2/catch.hpp>
#include <regex>

#include "e2e_support.h"

namespace {

// An MLP of `layers` tanh layers of width 6 on 4 inputs, linear 2-unit output, mse.
std::string deep_mlp(int layers) {
  std::string t = "network deep\ndim n\ninput X[n, 4]\ntarget Y[n, 2]\n";
  std::string prev = "X";
  int width = 4;
  for (int i = 1; i <= layers; ++i) {
    int out = i == layers ? 2 : 6;
    std::string l = std::to_string(i);
    t += "param W" + l + "[" + std::to_string(width) + ", " + std::to_string(out) + "]\nparam b" + l + "[" +
         std::to_string(out) + "] init=uniform(-0.1, 0.1)\n";
    t += (i == layers ? "z" : "h" + l) + " = " + (i == layers ? "" : "tanh(") + prev + " @ W" + l + " + b" + l +
         (i == layers ? "" : ")") + "\n";
    prev = "h" + l;
    width = out;
  }
  return t + "output yhat = z\nloss J = mse(z, Y)\ngrad X\noptimizer sgd(lr=0.1)\n";
}

// The number of buffers the report gives loss_and_grad's workspace.
int train_buffers(const std::string& report) {
  std::smatch m;
  REQUIRE(std::regex_search(report, m, std::regex("workspace, loss_and_grad: +.* in ([0-9]+) buffer")));
  return std::stoi(m[1]);
}

}  // namespace

TEST_CASE("generate --report: bytes of each part and the buffers that share memory", "[e2e][memory]") {
  // --blas keeps the seed on the general schedule (without it the seed takes row blocks,
  // cpp_rowblock.h, which need no workspace); its products are too small for BLAS calls.
  auto n = e2e::build_net(e2e::read_file(std::string(GG_SOURCE_DIR) + "/examples/seed.grad"), "seed.grad", {}, nullptr,
                          1, true);
  const std::string& r = n->files.report;
  INFO(r);
  CHECK(r.find("memory plan of network `seed` (float, 4 bytes per scalar; n at run time)") != std::string::npos);
  CHECK(std::regex_search(r, std::regex("parameters: +52 B \\(13 scalars\\)")));
  CHECK(std::regex_search(r, std::regex("gradients: +52 B")));
  CHECK(std::regex_search(r, std::regex("saved activations: +n × 16 B \\(a2\\[n, 3\\], z3\\[n, 1\\]\\)")));
  // dJ/dz3 = 2/n (z3 − Y) is the last reader of z3 and reads it at the index it writes.
  CHECK(r.find("dJ_dz3[n, 1] overwrites in place z3") != std::string::npos);
  CHECK(r.find("dJ_dz2[n, 3] overwrites in place a2") != std::string::npos);
  // a2[n, 3] and z3[n, 1] each round up to whole lines by an amount that depends on n.
  CHECK(std::regex_search(r, std::regex("loss_and_grad: +n × 16 B \\+ up to 120 B of padding to 64-byte lines in 2 "
                                        "buffer\\(s\\) \\(n × 32 B without reuse\\)")));
  // The generated code declares the alias the report names.
  CHECK(n->files.cpp.find("Scalar* const dJ_dz2 = a2;  // [n, 3], in place of a2") != std::string::npos);
  CHECK(r.find("    general schedule, not row blocks: --blas\n    dJ_dz3[n, 1] overwrites in place z3") !=
        std::string::npos);

  auto bound = e2e::build_net(e2e::read_file(std::string(GG_SOURCE_DIR) + "/examples/seed.grad"), "seed.grad", {{"n", 8}},
                              nullptr, 1, true);
  CHECK(bound->files.report.find("(float, 4 bytes per scalar)") != std::string::npos);
  CHECK(std::regex_search(bound->files.report, std::regex("saved activations: +128 B")));
  // Every size fixed: the buffers are local arrays, so workspace_size() asks for none, and the
  // report says so rather than naming a workspace.
  INFO(bound->files.report);
  CHECK(std::regex_search(bound->files.report,
                          std::regex("workspace, loss_and_grad: +none: 128 B in 2 local array\\(s\\) on the stack")));
  CHECK(bound->files.hpp.find("const std::int64_t train_need = 0;") != std::string::npos);
  CHECK(bound->files.report.find("general schedule, not row blocks: --blas") != std::string::npos);
}

namespace {

// Scalars of the arrays `Scalar NAME[A][B]` that `code` declares, B being `lanes` where it is L.
int64_t stack_scalars(const std::string& code, const std::string& prefix, int64_t lanes) {
  int64_t total = 0;
  std::regex decl("Scalar (" + prefix + "[A-Za-z0-9_]*)\\[([0-9]+)\\]\\[([0-9]+|lanes)\\]");
  for (std::sregex_iterator it(code.begin(), code.end(), decl), end; it != end; ++it)
    total += std::stoll((*it)[2]) * ((*it)[3] == "lanes" ? lanes : std::stoll((*it)[3]));
  return total;
}

// The text of generated function `name` (up to the next function).
std::string function_text(const std::string& cpp, const std::string& name) {
  size_t at = cpp.find("Status " + name + "(");
  REQUIRE(at != std::string::npos);
  return cpp.substr(at, cpp.find("\nStatus ", at + 1) - at);
}

}  // namespace

TEST_CASE("generate --report on row blocks: no workspace, the stack arrays the code declares", "[e2e][memory][rowblock]") {
  auto n = e2e::build_net(e2e::read_file(std::string(GG_SOURCE_DIR) + "/examples/seed.grad"), "seed.grad");
  const std::string& r = n->files.report;
  INFO(r);
  CHECK(std::regex_search(r, std::regex("saved activations: +0 B \\(row blocks: forward values stay in the block's "
                                        "row arrays\\)")));
  // 14 accumulated scalars (J, dJ/db2, dJ/dW2, dJ/db1, dJ/dW1) × 16 lanes × 4 B; 23 row-local
  // scalars (X, Y, z2, a2, z3, their gradients and the products) × 16 lanes × 4 B.
  CHECK(r.find("workspace, loss_and_grad:   none: row blocks of up to 16 rows in SIMD lanes, forward and backward in "
               "one pass; per-lane accumulators 896 B and row arrays 1,472 B per block on the stack") != std::string::npos);
  CHECK(r.find("workspace, forward:         none: row blocks of up to 16 rows in SIMD lanes; row arrays") !=
        std::string::npos);
  CHECK(r.find("not row blocks") == std::string::npos);
  CHECK(r.find("overwrites in place") == std::string::npos);
  // The figures are those of the arrays the generated code declares.
  std::string lag = function_text(n->files.cpp, "loss_and_grad_impl");
  CHECK(stack_scalars(lag, "acc_", 16) * 4 == 896);
  CHECK(stack_scalars(lag, "", 16) * 4 == 896 + 1472);
  // ... and workspace_size() asks for no workspace, which the code never touches: run under
  // ASan with a workspace of exactly workspace_size() scalars (one), against the interpreter.
  CHECK(n->files.hpp.find("const std::int64_t forward_need = 0;") != std::string::npos);
  CHECK(n->files.hpp.find("const std::int64_t train_need = 0;") != std::string::npos);
  CHECK_FALSE(std::regex_search(lag, std::regex("[^A-Za-z0-9_]ws(\\[| \\+)")));
  std::string text = e2e::read_file(std::string(GG_SOURCE_DIR) + "/examples/seed.grad");
  text.replace(text.find("network seed"), 12, "network seed64");  // both link into one driver
  auto f64 = e2e::build_net(text, "seed64.grad", {{"n", 19}}, "f64");
  CHECK(f64->files.report.find("workspace, loss_and_grad:   none: row blocks of up to 8 rows in SIMD lanes, forward "
                               "and backward in one pass; per-lane accumulators 896 B and row arrays 1,472 B") !=
        std::string::npos);
  auto got = e2e::compile_and_run({n.get(), f64.get()}, "g++", true,
                                  "-fsanitize=address,undefined -fno-sanitize-recover=all -g");
  e2e::compare(*n, got[0], e2e::interpret(*n), 1e-5);
  e2e::compare(*f64, got[1], e2e::interpret(*f64), 1e-10);
}

TEST_CASE("generate --report says why an entry point keeps the general schedule", "[e2e][memory][rowblock]") {
  auto report = [](const char* rel, bool blas = false) {
    return e2e::build_net(e2e::read_file(std::string(GG_SOURCE_DIR) + "/" + rel), rel, {}, nullptr, 1, blas)->files.report;
  };
  std::string w2 = report("bench/networks/w2_mlp.grad");
  INFO(w2);
  // Once per entry point, under its workspace line.
  CHECK(std::regex_search(w2, std::regex("workspace, loss_and_grad: .*\n    general schedule, not row blocks: per-row "
                                         "size 784 > 64 \\(X\\[n, 784\\]\\)\n")));
  CHECK(std::regex_search(w2, std::regex("workspace, forward: .*\n    general schedule, not row blocks: per-row size "
                                         "784 > 64 \\(X\\[n, 784\\]\\)\n")));
  std::string broadcast = report("examples/broadcast.grad");
  INFO(broadcast);
  CHECK(broadcast.find("general schedule, not row blocks: row-local centered[n, 3] reads a sum over the rows (a second pass)") !=
        std::string::npos);
  CHECK(report("examples/seed.grad", true).find("general schedule, not row blocks: --blas\n") != std::string::npos);
  // A network without outputs: forward has nothing to compute (it had said "no input").
  std::string no_output = e2e::build_net("network r\ndim n\ninput X[n, 2]\ntarget Y[n, 1]\nparam W[2, 1]\n"
                                         "loss J = mse(X @ W, Y)\n", "r.grad")->files.report;
  INFO(no_output);
  CHECK(std::regex_search(no_output, std::regex("workspace, forward: .*\n    general schedule, not row blocks: nothing "
                                                "to compute \\(no output\\)\n")));
}

TEST_CASE("a 200-layer MLP generates and its workspace does not grow with depth", "[e2e][memory][scale]") {
  auto deep = e2e::build_net(deep_mlp(200), "deep.grad");
  auto half = e2e::build_net(deep_mlp(100), "deep.grad");
  CHECK(deep->files.cpp.find("// B1: ") != std::string::npos);
  INFO(deep->files.report.substr(0, 2000));
  int buffers = train_buffers(deep->files.report);
  // Each hidden activation is saved for the backward pass (one buffer per layer), but the
  // gradient temporaries take over dead buffers: 100 more layers cost exactly 100 buffers.
  CHECK(buffers - train_buffers(half->files.report) == 100);
  CHECK(buffers <= 200 + 4);
}

TEST_CASE("reused and in-place buffers keep results exact: deep and --bind networks vs the interpreter", "[e2e][memory]") {
  auto free_dims = e2e::build_net(deep_mlp(12), "deep.grad", {}, "f64");
  auto bound = e2e::build_net(deep_mlp(12), "deep.grad", {{"n", 5}}, "f64");
  auto seed_bound = e2e::build_net(e2e::read_file(std::string(GG_SOURCE_DIR) + "/examples/seed.grad"), "seed.grad",
                                   {{"n", 4}}, "f64");
  for (e2e::Net* n : {free_dims.get(), bound.get(), seed_bound.get()}) {
    auto got = e2e::compile_and_run({n}, "g++", true);
    e2e::compare(*n, got[0], e2e::interpret(*n), 1e-10);
  }
}

TEST_CASE("workspace buffers start on 64-byte lines: slot sizes are rounded up to whole lines", "[e2e][memory]") {
  // Rows of 100 and 10 scalars: without rounding, every buffer after the first would start
  // 16 or 48 bytes off a line for most n (the GEMMs run ~2% slower on such memory).
  const std::string net =
      "network odd\ndim n\ninput X[n, 200]\ntarget Y[n, 10]\nh = dense(X, 100, activation=relu)\n"
      "logits = dense(h, 10)\nloss J = cross_entropy(logits, Y)\noptimizer sgd(lr=0.1)\n";
  auto free_n = e2e::build_net(net, "odd.grad", {}, "f64");
  INFO(free_n->files.cpp);
  // f64: 8 scalars to a line.
  CHECK(free_n->files.cpp.find("Scalar* const logits = h + (n * 100 + 7) / 8 * 8;  // [n, 10]") != std::string::npos);
  CHECK(free_n->files.hpp.find("const std::int64_t train_need = (n * 100 + 7) / 8 * 8 + (n * 100 + 7) / 8 * 8 + "
                               "(n * 10 + 7) / 8 * 8;") != std::string::npos);
  // Bound to n = 33 (3,300 scalars: too large for the stack), f32: 16 scalars to a line.
  std::string text = net;
  text.replace(text.find("network odd"), 11, "network odd32");  // both link into one driver
  auto bound = e2e::build_net(text, "odd32.grad", {{"n", 33}}, "f32");
  INFO(bound->files.cpp);
  CHECK(bound->files.cpp.find("Scalar* const logits = h + 3312;  // [33, 10]") != std::string::npos);
  CHECK(bound->files.cpp.find("Scalar* const dJ_dlogits_softmax = logits + 3312;  // [33, 10]") != std::string::npos);
  // The report counts the buffers as workspace_size() does, rounded: (3312 + 3312 + 336) · 4 B.
  CHECK(bound->files.hpp.find("const std::int64_t train_need = 3312 + 3312 + 336;") != std::string::npos);
  CHECK(bound->files.report.find("workspace, loss_and_grad:   27,840 B in 3 buffer(s)") != std::string::npos);
  // The code stays within workspace_size() (ASan) and agrees with the interpreter.
  auto got = e2e::compile_and_run({free_n.get(), bound.get()}, "g++", true,
                                  "-fsanitize=address,undefined -fno-sanitize-recover=all -g");
  e2e::compare(*free_n, got[0], e2e::interpret(*free_n), 1e-10);
  e2e::compare(*bound, got[1], e2e::interpret(*bound), 1e-5);
}

using e2e::fuse_net;  // W1 and W2's gradient products are GEMM-sized, W3's is not

TEST_CASE("generate --report: optimizer state is the step count alone for plain SGD", "[e2e][memory]") {
  // 1,691 f64 params = 13,528 B; the int64 step count adds 8 B.
  auto sgd = e2e::build_net(fuse_net("sgd(lr=0.1)"), "fusenet.grad", {}, "f64");
  auto mom = e2e::build_net(fuse_net("sgd(lr=0.1, momentum=0.9)"), "fusenet.grad", {}, "f64");
  auto adam = e2e::build_net(fuse_net("adam(lr=0.01)"), "fusenet.grad", {}, "f64");
  INFO(sgd->files.report);
  CHECK(std::regex_search(sgd->files.report,
                          std::regex("optimizer state: +8 B \\(the step count only: plain SGD keeps no velocity\\)")));
  CHECK(std::regex_search(mom->files.report, std::regex("optimizer state: +13,536 B \\(SGD velocity and the step count\\)")));
  CHECK(std::regex_search(adam->files.report, std::regex("optimizer state: +27,064 B \\(Adam moments m, v")));
  // The C struct holds exactly that: no velocity array for momentum 0.
  CHECK(sgd->files.h.find("velocity[") == std::string::npos);
  CHECK(sgd->files.h.find("typedef struct fusenet_opt_state {\n  int64_t t;") != std::string::npos);
  CHECK(mom->files.h.find("double velocity[1691];") != std::string::npos);
  CHECK(adam->files.h.find("double m[1691];") != std::string::npos);
  CHECK(adam->files.h.find("double v[1691];") != std::string::npos);
  // Neither step nor train_step touches a velocity without momentum.
  auto fused = e2e::build_net(fuse_net("sgd(lr=0.1)"), "fusenet.grad", {}, "f64", 1, false, true);
  CHECK(fused->files.cpp.find("velocity") == std::string::npos);
  CHECK(fused->files.cpp.find("gg::sgd_update(params.b1, grads.b1, 24, 0.1);") != std::string::npos);
  // The seed (plain SGD, f32): the step count alone.
  auto seed = e2e::build_net(e2e::read_file(std::string(GG_SOURCE_DIR) + "/examples/seed.grad"), "seed.grad");
  CHECK(std::regex_search(seed->files.report, std::regex("optimizer state: +8 B")));
}

TEST_CASE("golden: generate --fuse-step --report for examples/seed.grad", "[e2e][golden][memory][fuse]") {
  auto seed = e2e::build_net(e2e::read_file(std::string(GG_SOURCE_DIR) + "/examples/seed.grad"), "seed.grad", {},
                             nullptr, 1, false, true);
  CHECK(seed->files.report == e2e::read_file(std::string(GG_SOURCE_DIR) + "/tests/golden/report_seed_fuse.txt"));
  // The C header then declares seed_train_step (golden, like the plain cpp_seed.h).
  CHECK(seed->files.h == e2e::read_file(std::string(GG_SOURCE_DIR) + "/tests/golden/cpp_seed_fuse.h"));
}

TEST_CASE("generate --report with --fuse-step: train_step's workspace and the gradients it does not write", "[e2e][memory][fuse]") {
  auto plain = e2e::build_net(fuse_net("sgd(lr=0.1)"), "fusenet.grad", {}, "f64");
  CHECK(plain->files.report.find("train_step") == std::string::npos);

  auto loops = e2e::build_net(fuse_net("sgd(lr=0.1)"), "fusenet.grad", {}, "f64", 1, gg::cpp::GemmBackend::Loops, true);
  INFO(loops->files.report);
  CHECK(std::regex_search(loops->files.report,
                          std::regex("workspace, train_step: +n × [0-9,]+ B( \\+ up to [0-9,]+ B of padding to 64-byte lines)? in [0-9]+ "
                                     "buffer\\(s\\) \\(n × [0-9,]+ B without reuse\\)")));
  CHECK(std::regex_search(loops->files.report, std::regex("gradients not materialised: none in train_step")));

  auto blas = e2e::build_net(fuse_net("sgd(lr=0.1)"), "fusenet.grad", {}, "f64", 1, true, true);
  auto own = e2e::build_net(fuse_net("sgd(lr=0.1)"), "fusenet.grad", {}, "f64", 1, false, true);
  // W1 and W2: (32·24 + 24·32)·8 B = 12,288 B of grads the GEMMs never write, on CBLAS as on
  // gradgen's GEMM; W3's small product stays a loop and goes through grads.
  for (e2e::Net* n : {blas.get(), own.get()}) {
    INFO(n->files.report);
    CHECK(n->files.report.find("gradients not materialised: dJ/dW1[32, 24], dJ/dW2[24, 32] in train_step: the "
                               "weight-gradient GEMM updates the param itself (alpha = -lr, beta = 1); 12,288 B of "
                               "grads left unwritten") != std::string::npos);
  }
  // With momentum the gradient must reach the velocity, so every gradient is written.
  auto mom = e2e::build_net(fuse_net("sgd(lr=0.1, momentum=0.9)"), "fusenet.grad", {}, "f64", 1, true, true);
  CHECK(std::regex_search(mom->files.report, std::regex("gradients not materialised: none in train_step")));

  // workspace_size() covers every entry point: the largest of forward, loss_and_grad and train_step.
  for (e2e::Net* n : {loops.get(), blas.get()}) {
    CHECK(n->files.hpp.find("const std::int64_t fused_need = ") != std::string::npos);
    CHECK(n->files.hpp.find("const std::int64_t train_need = grad_need > fused_need ? grad_need : fused_need;") !=
          std::string::npos);
    CHECK(n->files.hpp.find("/// Scalars of workspace that forward, loss_and_grad and train_step need") !=
          std::string::npos);
  }
}

TEST_CASE("generate --report names the GEMM backend of each product", "[e2e][memory][gemm]") {
  // X[n, 96] -> 64 -> 3: the first product (64 · 96 · 64 = 393216 multiply-adds, n counted as
  // 64) is over the GEMM threshold (32768); the output layer's products (64 · 64 · 3) are not.
  const std::string net =
      "network mlp\ndim n\ninput X[n, 96]\ntarget Y[n, 3]\nparam W1[96, 64]\nparam b1[64]\nparam W2[64, 3]\n"
      "param b2[3]\nh = relu(X @ W1 + b1)\nz = h @ W2 + b2\nloss J = mse(z, Y)\noptimizer sgd(lr=0.1)\n";
  auto own = e2e::build_net(net, "mlp.grad", {}, nullptr, 1, false);
  INFO(own->files.report);
  // loss_and_grad: the forward product and dJ/dW1 = Xᵀ·dJ/dt1 (96 · n · 64) are GEMMs; the
  // output layer's three products (forward, its weight gradient, dJ/dh) are loops.
  CHECK(own->files.report.find("    matrix products: 2 through gradgen's blocked GEMM (gradgen/gemm.hpp): h_matmul[n, 64], "
                               "dJ_dW1[96, 64]; 3 as loops with their epilogue fused in: z_matmul[n, 3], dJ_dW2[64, 3], "
                               "dJ_dh[n, 64]\n") != std::string::npos);
  CHECK(own->files.cpp.find("#include <gradgen/gemm.hpp>") != std::string::npos);
  auto blas = e2e::build_net(net, "mlp.grad", {}, nullptr, 1, true);
  INFO(blas->files.report);
  CHECK(blas->files.report.find("    matrix products: 2 through CBLAS: h_matmul[n, 64], dJ_dW1[96, 64]; 3 as loops") !=
        std::string::npos);
  CHECK(blas->files.cpp.find("#include <gradgen/blas.hpp>") != std::string::npos);
}
