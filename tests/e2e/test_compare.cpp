// Compiled generated code against the reference interpreter: every example network and 24
// random networks over all ops, in f64 (≤ 1e-10) and f32 (≤ 1e-5), with g++ and clang++, and
// 24 more at -O2 -march=native.
#include <catch2/catch.hpp>
#include <filesystem>

#include "e2e_support.h"
#include "random_nets.h"

namespace {
namespace fs = std::filesystem;

std::vector<std::unique_ptr<e2e::Net>> example_nets(const char* precision) {
  std::vector<std::unique_ptr<e2e::Net>> nets;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(std::string(GG_SOURCE_DIR) + "/examples"))
    if (e.path().extension() == ".grad") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files)
    nets.push_back(e2e::build_net(e2e::read_file(f.string()), f.filename().string(), {}, precision));
  return nets;
}

std::vector<std::unique_ptr<e2e::Net>> random_nets(const char* precision, int first, int count) {
  std::vector<std::unique_ptr<e2e::Net>> nets;
  for (int i = first; i < first + count; ++i) {
    std::string name = "rnd" + std::to_string(i);
    nets.push_back(e2e::build_net(e2e::random_network(name, static_cast<uint64_t>(i)), name + ".grad", {}, precision,
                                  static_cast<uint64_t>(i)));
  }
  return nets;
}

void check_all(std::vector<std::unique_ptr<e2e::Net>>& nets, const std::string& cxx, bool feed_params, double tol,
               const std::string& flags = "") {
  std::vector<e2e::Net*> ptrs;
  for (auto& n : nets) ptrs.push_back(n.get());
  auto got = e2e::compile_and_run(ptrs, cxx, feed_params, flags);
  for (size_t i = 0; i < nets.size(); ++i) e2e::compare(*nets[i], got[i], e2e::interpret(*nets[i]), tol);
}

}  // namespace

TEST_CASE("example networks: compiled code matches the interpreter in f64 and f32", "[e2e]") {
  for (const std::string& cxx : e2e::compilers()) {
    INFO(cxx);
    auto f64 = example_nets("f64");
    check_all(f64, cxx, true, 1e-10);
  }
  auto f32 = example_nets("f32");
  check_all(f32, "g++", true, 1e-5);
}

TEST_CASE("generated init gives the interpreter's params (seeded, no params fed)", "[e2e]") {
  auto nets = example_nets("f64");
  check_all(nets, "g++", false, 1e-10);
}

TEST_CASE("random networks over all ops: compiled code matches the interpreter", "[e2e]") {
  auto f64 = random_nets("f64", 0, 24);
  check_all(f64, "clang++", true, 1e-10);
  auto f32 = random_nets("f32", 100, 12);
  check_all(f32, "g++", true, 1e-5);
}

// Optimised for the host's vectors, as users build it: loops marked GG_IVDEP are vectorized.
TEST_CASE("random networks compiled at -O2 -march=native match the interpreter", "[e2e][vectorize]") {
  for (const std::string& cxx : e2e::compilers()) {
    INFO(cxx);
    auto f64 = random_nets("f64", 226, 12);  // rnd233: a marked loop clang cannot vectorize
    size_t marked = 0;
    for (const auto& n : f64) marked += n->files.cpp.find("GG_IVDEP") != std::string::npos;
    CHECK(marked >= 3);
    check_all(f64, cxx, true, 1e-10, "-O2 -march=native");
    auto f32 = random_nets("f32", 300, 12);
    check_all(f32, cxx, true, 1e-5, "-O2 -march=native");
  }
}
