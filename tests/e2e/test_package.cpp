// The installable CMake package: install gradgen into a temporary prefix, then configure, build
// and run examples/app (find_package(gradgen) + gradgen_add_network) and examples/c_abi; the
// installed gradgen's compiled eval finds the installed runtime headers.
#include <catch2/catch.hpp>

#include <fstream>

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
