// The installable CMake package: install gradgen into a temporary prefix, then configure, build
// and run examples/app (find_package(gradgen) + gradgen_add_network) and examples/c_abi; the
// installed gradgen's compiled eval finds the installed runtime headers.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "e2e_support.h"

namespace {

gg::cpp::ProcessResult run(const std::vector<std::string>& argv, const gg::cpp::TempDir& dir) {
  auto r = gg::cpp::run_process(argv, dir.path());
  INFO(argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << "\n" << r.out.substr(0, 3000) << r.err.substr(0, 3000));
  REQUIRE(r.exit_code == 0);
  return r;
}

}  // namespace

TEST_CASE("examples/app and examples/c_abi build against an installed gradgen", "[e2e][slow]") {
  gg::cpp::TempDir dir("gradgen-pkg");
  std::string src = GG_SOURCE_DIR, prefix = dir.file("prefix");
  run({"cmake", "--install", GG_BINARY_DIR, "--prefix", prefix}, dir);
  for (const char* ex : {"app", "c_abi"}) {
    std::string build = dir.file(std::string("build-") + ex);
    run({"cmake", "-S", src + "/examples/" + ex, "-B", build, "-DCMAKE_PREFIX_PATH=" + prefix}, dir);
    run({"cmake", "--build", build}, dir);
    auto out = run({build + "/" + ex}, dir).out;
    CHECK(out.find(std::string(ex) == "app" ? "accuracy 32/32" : "xor(1, 1)") != std::string::npos);
  }
  // Two variants of one network (f64, and f32 in another namespace) included in one file as
  // "<target>/NAME.hpp": each target's own NAME.hpp, not the first one found twice.
  const std::string variants = dir.file("variants");
  std::filesystem::create_directories(variants);
  gg::cpp::write_text(variants + "/CMakeLists.txt",
                      "cmake_minimum_required(VERSION 3.20)\nproject(variants LANGUAGES CXX)\n"
                      "find_package(gradgen 0.1 REQUIRED)\n"
                      "gradgen_add_network(seed64 " + src + "/examples/seed.grad BIND n=4 PRECISION f64)\n"
                      "gradgen_add_network(seed32 " + src + "/examples/seed.grad BIND n=4 NAMESPACE f32::seed)\n"
                      "add_executable(both main.cpp)\ntarget_link_libraries(both PRIVATE seed64 seed32)\n"
                      // Position-independent, so that it links into a shared library on any toolchain.
                      "get_target_property(pic seed64 POSITION_INDEPENDENT_CODE)\n"
                      "if(NOT pic)\n  message(FATAL_ERROR \"seed64 is not position-independent\")\nendif()\n"
                      "add_library(wrap SHARED wrap.cpp)\ntarget_link_libraries(wrap PRIVATE seed32)\n");
  gg::cpp::write_text(variants + "/wrap.cpp", "#include \"seed32/seed.hpp\"\n"
                                              "int wrap_init(f32::seed::Params& p) { return f32::seed::init(p, 1); }\n");
  gg::cpp::write_text(variants + "/main.cpp",
                      "#include <cstdio>\n#include <type_traits>\n#include \"seed64/seed.hpp\"\n#include \"seed32/seed.hpp\"\n"
                      "static_assert(std::is_same_v<seed::Scalar, double>);\n"
                      "static_assert(std::is_same_v<f32::seed::Scalar, float>);\n"
                      "int main() { seed::Params a; f32::seed::Params b; seed::init(a, 1); f32::seed::init(b, 1);\n"
                      "  std::printf(\"%d\\n\", float(a.W1[0][0]) == b.W1[0][0]); }\n");
  run({"cmake", "-S", variants, "-B", variants + "/build", "-DCMAKE_PREFIX_PATH=" + prefix}, dir);
  run({"cmake", "--build", variants + "/build"}, dir);
  CHECK(run({variants + "/build/both"}, dir).out == "1\n");
  // Malformed options (and a size gradgen refuses) are refused when the project is configured, at the call.
  for (const auto& [option, message] : std::vector<std::pair<std::string, std::string>>{
           {"PRECISION f16", "gradgen_add_network(bad): PRECISION is f32 or f64, not 'f16'"},
           {"BIND n", "gradgen_add_network(bad): BIND takes DIM=SIZE (as n=64), not 'n'"},
           {"GEMM mkl", "gradgen_add_network(bad): GEMM is gradgen, blas or loops, not 'mkl'"},
           {"BIND n=0", "gradgen_add_network(bad): BIND 'n=0': a size from 1 to 16777216"},
           {"BIND n=16777217", "gradgen_add_network(bad): BIND 'n=16777217': a size from 1 to 16777216"},
           {"BIND n=000000000000000000004", ""},  // leading zeros: a size of 4, accepted
           {"GEMM gradgen BLAS", "gradgen_add_network(bad): BLAS is GEMM blas, not GEMM gradgen"},
           {"NAMESPACE 1bad", "gradgen_add_network(bad): NAMESPACE takes a C++ namespace name such as nets"}}) {
    const std::string bad = dir.file("bad");
    std::filesystem::remove_all(bad);
    std::filesystem::create_directories(bad);
    gg::cpp::write_text(bad + "/CMakeLists.txt", "cmake_minimum_required(VERSION 3.20)\nproject(bad LANGUAGES CXX)\n"
                                                 "find_package(gradgen 0.1 REQUIRED)\ngradgen_add_network(bad " + src +
                                                     "/examples/seed.grad " + option + ")\n");
    auto configured = gg::cpp::run_process({"cmake", "-S", bad, "-B", bad + "/build", "-DCMAKE_PREFIX_PATH=" + prefix},
                                           dir.path());
    INFO(option << "\n" << configured.err);
    CHECK((configured.exit_code != 0) == !message.empty());
    CHECK(configured.err.find(message) != std::string::npos);
  }
  // add_subdirectory(gradgen) in another project: the tool and gradgen_add_network, not the
  // tests or examples (configured only: the build is the same as gradgen's own).
  {
    const std::string parent = dir.file("parent");
    std::filesystem::create_directories(parent);
    gg::cpp::write_text(parent + "/CMakeLists.txt", "cmake_minimum_required(VERSION 3.20)\nproject(parent LANGUAGES C CXX)\n"
                                                    "add_subdirectory(" + src + " gradgen)\n"
                                                    "gradgen_add_network(seed_net " + src + "/examples/seed.grad)\n");
    run({"cmake", "-S", parent, "-B", parent + "/build", "-G", "Ninja"}, dir);
    const std::string cache = e2e::read_file(parent + "/build/CMakeCache.txt");
    CHECK(cache.find("GRADGEN_TESTS:BOOL=OFF") != std::string::npos);
    CHECK(cache.find("GRADGEN_EXAMPLES:BOOL=OFF") != std::string::npos);
    const std::string ninja = e2e::read_file(parent + "/build/build.ninja");
    CHECK(ninja.find("test_cli") == std::string::npos);
    CHECK(ninja.find("seed_net") != std::string::npos);
  }
  // Compiled eval from the installed tree, with the runtime headers found beside the binary.
  auto eval = gg::cpp::run_process({prefix + "/bin/gradgen", "eval", src + "/examples/seed.grad", "--feed",
                                    src + "/examples/seed.feed.json"}, dir.path());
  INFO(eval.err);
  CHECK(eval.exit_code == 0);
  CHECK(eval.out.rfind("{\"loss\": ", 0) == 0);
  // The installed gradgen's C++ front end reads the installed <gradgen/annotate.hpp>, not the
  // source tree's (it did, so it broke once the source tree was gone): the installed copy is
  // marked, and a C++ input refuses to compile without the mark.
  {
    std::ofstream mark(prefix + "/include/gradgen/annotate.hpp", std::ios::app);
    mark << "\n#define GRADGEN_TEST_INSTALLED_COPY 1\n";
  }
  gg::cpp::write_text(dir.file("f.cpp"), "#include <gradgen/annotate.hpp>\n#ifndef GRADGEN_TEST_INSTALLED_COPY\n"
                                         "#error \"not the installed runtime header\"\n#endif\n"
                                         "GRADGEN_DIFFERENTIATE double f(double x) { return x * x; }\n");
  gg::cpp::write_text(dir.file("f.json"), "{\"x\": 3}");
  for (const char* interp : {"--interp", ""}) {
    std::vector<std::string> argv{prefix + "/bin/gradgen", "eval", dir.file("f.cpp"), "--feed", dir.file("f.json")};
    if (*interp) argv.push_back(interp);
    auto cpp_eval = gg::cpp::run_process(argv, dir.path());
    INFO(cpp_eval.err);
    CHECK(cpp_eval.exit_code == 0);
    CHECK(cpp_eval.out == "{\"loss\": 9, \"outputs\": {}, \"grads\": {\"x\": 6}}\n");
  }
}
