// gradgen_add_network regenerates: a tiny CMake project (installed gradgen, find_package, Ninja)
// builds, a no-op rebuild does nothing, editing the .grad (a wider hidden layer) regenerates the
// sources and the program sees the new shapes, and the build is then quiet again; a .grad with
// an error fails the build and keeps the last good files; an edit that changes no generated
// byte recompiles nothing. A second network with FUSE_STEP has train_step, which takes the same
// steps as loss_and_grad + step.
#include <catch2/catch.hpp>

#include <filesystem>

#include "e2e_support.h"

namespace {

namespace fs = std::filesystem;

gg::cpp::ProcessResult run_ok(const std::vector<std::string>& argv, const gg::cpp::TempDir& dir) {
  auto r = gg::cpp::run_process(argv, dir.path());
  INFO(argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << "\n" << r.out.substr(0, 3000) << r.err.substr(0, 3000));
  REQUIRE(r.exit_code == 0);
  return r;
}

// A one-hidden-layer network whose hidden width is `width`.
std::string tiny_grad(int width) {
  std::string w = std::to_string(width);
  return "network tiny\n"
         "precision f64\n"
         "dim n\n"
         "input X[n, 2]\n"
         "target Y[n, 1]\n"
         "param W1[2, " + w + "] init=xavier_uniform\n"
         "param b1[" + w + "] init=zeros\n"
         "param W2[" + w + ", 1] init=xavier_uniform\n"
         "z = sigmoid(X @ W1 + b1)\n"
         "output yhat = z @ W2\n"
         "loss J = mse(yhat, Y)\n"
         "optimizer sgd(lr=0.1)\n";
}

const char* kProject = R"(cmake_minimum_required(VERSION 3.20)
project(regen LANGUAGES CXX)
find_package(gradgen REQUIRED)
gradgen_add_network(tiny_net tiny.grad)
gradgen_add_network(tiny_fused tinyf.grad FUSE_STEP)
add_executable(app main.cpp)
target_link_libraries(app PRIVATE tiny_net tiny_fused)
)";

// Prints the param count the generated header declares and a trained loss (the code runs).
const char* kMain = R"cpp(#include <cstdio>
#include "tiny.hpp"
#include "tinyf.hpp"
int main() {
  tiny::Params params;
  tiny::Grads grads;
  tiny::OptState state{};
  static tiny::Workspace<4> ws;
  double X[8] = {0, 0, 0, 1, 1, 0, 1, 1}, Y[4] = {0, 1, 1, 0}, loss = 0;
  if (tiny::init(params, 3) != tiny::kOk) return 1;
  for (int i = 0; i < 5; ++i) {
    if (tiny::loss_and_grad(params, X, Y, 4, loss, grads, ws) != tiny::kOk) return 2;
    if (tiny::step(params, grads, state) != tiny::kOk) return 3;
  }
  // FUSE_STEP: tinyf (the first tiny) has train_step, which takes the same steps.
  tinyf::Params fp;
  tinyf::Grads fg;
  tinyf::OptState fs{};
  static tinyf::Workspace<4> fws;
  double fused_loss = 0;
  if (tinyf::init(fp, 3) != tinyf::kOk) return 4;
  for (int i = 0; i < 5; ++i)
    if (tinyf::train_step(fp, X, Y, 4, fused_loss, fg, fs, fws) != tinyf::kOk) return 5;
  std::printf("params %zu loss %s%s\n", tiny::kNumParams, loss > 0 ? "positive" : "zero",
              fused_loss == loss ? "" : " (fused differs)");
  return 0;
}
)cpp";

bool has(const std::string& text, const std::string& piece) { return text.find(piece) != std::string::npos; }

}  // namespace

TEST_CASE("gradgen_add_network regenerates when the .grad changes and only then", "[e2e][slow]") {
  gg::cpp::TempDir dir("gradgen-regen");
  std::string prefix = dir.file("prefix"), src = dir.file("src"), build = dir.file("build");
  run_ok({"cmake", "--install", GG_BINARY_DIR, "--prefix", prefix}, dir);
  run_ok({"cmake", "-E", "make_directory", src}, dir);
  gg::cpp::write_text(src + "/CMakeLists.txt", kProject);
  gg::cpp::write_text(src + "/main.cpp", kMain);
  gg::cpp::write_text(src + "/tiny.grad", tiny_grad(3));
  auto write_fused = [&](int width) {  // the same network as tinyf, for FUSE_STEP
    std::string fused = tiny_grad(width);
    fused.replace(0, std::string("network tiny").size(), "network tinyf");
    gg::cpp::write_text(src + "/tinyf.grad", fused);
  };
  write_fused(3);
  run_ok({"cmake", "-S", src, "-B", build, "-G", "Ninja", "-DCMAKE_PREFIX_PATH=" + prefix}, dir);

  auto first = run_ok({"cmake", "--build", build}, dir);
  CHECK(has(first.out, "gradgen: generating C++ for tiny.grad"));
  // W1[2, 3] + b1[3] + W2[3, 1] = 12 scalars.
  CHECK(run_ok({build + "/app"}, dir).out == "params 12 loss positive\n");
  const std::string hpp = build + "/gradgen_tiny_net/tiny_net/tiny.hpp";
  const std::string before = e2e::read_file(hpp);
  CHECK(has(before, "kNumParams = 12;"));

  auto idle = run_ok({"cmake", "--build", build}, dir);
  CHECK(has(idle.out, "no work to do"));

  // A wider hidden layer: W1[2, 5] + b1[5] + W2[5, 1] = 20 scalars.
  gg::cpp::write_text(src + "/tiny.grad", tiny_grad(5));
  write_fused(5);
  auto second = run_ok({"cmake", "--build", build}, dir);
  CHECK(has(second.out, "gradgen: generating C++ for tiny.grad"));
  CHECK(has(second.out, "Linking CXX executable app"));
  const std::string after = e2e::read_file(hpp);
  CHECK(has(after, "kNumParams = 20;"));
  CHECK(has(after, "W1[2, 5]"));
  CHECK(run_ok({build + "/app"}, dir).out == "params 20 loss positive\n");

  auto quiet = run_ok({"cmake", "--build", build}, dir);
  CHECK(has(quiet.out, "no work to do"));
  CHECK(!has(quiet.out, "generating"));

  // An edit that changes no generated byte (a comment) runs gradgen, which leaves the files and
  // their time stamps alone: nothing recompiles or relinks.
  gg::cpp::write_text(src + "/tiny.grad", tiny_grad(5) + "# a comment\n");
  const auto stamp = fs::last_write_time(hpp);
  auto comment = run_ok({"cmake", "--build", build}, dir);
  CHECK(has(comment.out, "gradgen: generating C++ for tiny.grad"));
  CHECK(!has(comment.out, "Building CXX"));
  CHECK(!has(comment.out, "Linking"));
  CHECK(fs::last_write_time(hpp) == stamp);

  // Renamed (network tinyf -> tinyg): the build reconfigures, generates tinyg.* and drops
  // tinyf.*, so a stale header cannot be included.
  std::string renamed = e2e::read_file(src + "/tinyf.grad");
  renamed.replace(0, std::string("network tinyf").size(), "network tinyg");
  gg::cpp::write_text(src + "/tinyf.grad", renamed);
  run_ok({"cmake", "--build", build, "--target", "tiny_fused"}, dir);
  CHECK(fs::exists(build + "/gradgen_tiny_fused/tiny_fused/tinyg.hpp"));
  CHECK(!fs::exists(build + "/gradgen_tiny_fused/tiny_fused/tinyf.hpp"));

  // An error fails the build and names the .grad by its absolute path, as compiler errors
  // name sources: the build runs in another folder, where a bare "tiny.grad" leads nowhere.
  gg::cpp::write_text(src + "/tiny.grad", tiny_grad(3) + "z = W1 @ W1\n");
  auto broken = gg::cpp::run_process({"cmake", "--build", build}, dir.path());
  CHECK(broken.exit_code != 0);
  INFO(broken.out << broken.err);
  CHECK(has(broken.out + broken.err, src + "/tiny.grad:"));
  // ... and leaves the last good files as they were (the build removed them before generating).
  REQUIRE(fs::exists(hpp));
  CHECK(e2e::read_file(hpp) == after);
}
