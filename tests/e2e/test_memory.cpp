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
  auto n = e2e::build_net(e2e::read_file(std::string(GG_SOURCE_DIR) + "/examples/seed.grad"), "seed.grad");
  const std::string& r = n->files.report;
  INFO(r);
  CHECK(r.find("memory plan of network `seed` (float, 4 bytes per scalar; n at run time)") != std::string::npos);
  CHECK(std::regex_search(r, std::regex("parameters: +52 B \\(13 scalars\\)")));
  CHECK(std::regex_search(r, std::regex("gradients: +52 B")));
  CHECK(std::regex_search(r, std::regex("saved activations: +n × 16 B \\(a2\\[n, 3\\], z3\\[n, 1\\]\\)")));
  // dJ/dz3 = 2/n (z3 − Y) is the last reader of z3 and reads it at the index it writes.
  CHECK(r.find("dJ_dz3[n, 1] overwrites in place z3") != std::string::npos);
  CHECK(r.find("dJ_dz2[n, 3] overwrites in place a2") != std::string::npos);
  CHECK(std::regex_search(r, std::regex("loss_and_grad: +n × 16 B in 2 buffer\\(s\\) \\(n × 32 B without reuse\\)")));
  // The generated code declares the alias the report names.
  CHECK(n->files.cpp.find("Scalar* const dJ_dz2 = a2;  // [n, 3], in place of a2") != std::string::npos);

  auto bound = e2e::build_net(e2e::read_file(std::string(GG_SOURCE_DIR) + "/examples/seed.grad"), "seed.grad", {{"n", 8}});
  CHECK(bound->files.report.find("(float, 4 bytes per scalar)") != std::string::npos);
  CHECK(std::regex_search(bound->files.report, std::regex("saved activations: +128 B")));
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
