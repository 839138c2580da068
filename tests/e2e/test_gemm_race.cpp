// gradgen/gemm.hpp's thread pool under ThreadSanitizer: with 3 threads, a product split into 2
// parts (worker 2 sits it out) followed by one split into 3 must not race. A program doing
// that is compiled with g++ -fsanitize=thread and run; TSan must report nothing.
// (It failed before the participant count moved into the pool's generation word: run() wrote
// the count while a worker that sat out the previous job could still read it.)
#include <catch2/catch.hpp>

#include "emit/cpp_build.h"
#include "support/files.h"

namespace {

// Doubles, so that no product below takes the narrow-C path. Whatever the register tile
// (4, 6 or 8 rows), some m in 9..64 splits [m, 8] into 2 bands of rows; [100, 30] is 3 bands.
const char* kProgram = R"(#include <gradgen/gemm.hpp>
#include <cstdio>
#include <vector>
int main() {
  gg::set_gemm_threads(3);
  std::vector<double> a(64 * 4096, 0.5), b(4096 * 100, 0.25), c(100 * 100);
  double worst = 0;
  for (long m = 9; m <= 64; ++m) {
    gg::gemm(false, false, m, 4096, 8, 1.0, a.data(), b.data(), 0.0, c.data());  // 2 of 3 threads for some m
    for (long i = 0; i < m * 8; ++i) worst = c[i] != 512 ? 1 : worst;
    gg::gemm(false, false, 100, 100, 30, 1.0, a.data(), b.data(), 0.0, c.data());  // 3 threads
    for (long i = 0; i < 100 * 30; ++i) worst = c[i] != 12.5 ? 1 : worst;
  }
  std::printf("%g\n", worst);
}
)";

}  // namespace

TEST_CASE("gemm's thread pool: no data race under ThreadSanitizer (3 threads, 2 bands then 3)", "[e2e][gemm][threads]") {
  gg::cpp::TempDir dir("gradgen-gemm-tsan");
  gg::cpp::write_text(dir.file("race.cpp"), kProgram);
  auto built = gg::cpp::run_process({"g++", "-std=c++17", "-O1", "-g", "-fsanitize=thread", "-I" + gg::runtime_include_dir(),
                                     dir.file("race.cpp"), "-o", dir.file("race")},
                                    dir.path());
  INFO(built.err.substr(0, 4000));
  REQUIRE(built.exit_code == 0);
  auto ran = gg::cpp::run_process({dir.file("race")}, dir.path());
  INFO(ran.err.substr(0, 6000));
  CHECK(ran.err.find("ThreadSanitizer") == std::string::npos);
  CHECK(ran.exit_code == 0);
  CHECK(ran.out == "0\n");  // every cell right: 4096 · 0.5 · 0.25 and 100 · 0.5 · 0.25
}
