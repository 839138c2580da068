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

namespace {

// Products after the main thread's thread_local objects are gone (an atexit handler, a static
// object's destructor) and in a child made by fork() after the parent's pool had 2 workers.
// They used freed packing buffers (AddressSanitizer: heap-use-after-free), and waited forever
// on a destroyed pool or on workers the child does not have.
const char* kLateProgram = R"(#include <gradgen/gemm.hpp>
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>
static double product(const char* where) {
  std::vector<float> a(256 * 300, 0.5f), b(300 * 200, 0.25f), c(256 * 200);
  gg::gemm(false, false, 256, 300, 200, 1.0f, a.data(), b.data(), 0.0f, c.data());
  gg::gemm(true, false, 300, 256, 8, 1.0f, a.data(), b.data(), 0.0f, c.data());  // the narrow kernel
  std::printf("%s %g\n", where, double(c[0]));
  std::fflush(stdout);
  return c[0];
}
struct Late {
  ~Late() { product("static"); }
} late;
int main() {
  gg::set_gemm_threads(2);
  product("main");
  std::atexit([] { product("atexit"); });
  const pid_t child = fork();
  if (child == 0) {
    product("child");
    std::_Exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  std::printf("child %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
)";

}  // namespace

TEST_CASE("gemm from atexit handlers, static destructors and a forked child", "[e2e][gemm][threads]") {
  gg::cpp::TempDir dir("gradgen-gemm-late");
  gg::cpp::write_text(dir.file("late.cpp"), kLateProgram);
  auto built = gg::cpp::run_process({"g++", "-std=c++17", "-O1", "-g", "-fsanitize=address,undefined", "-pthread",
                                     "-I" + gg::runtime_include_dir(), dir.file("late.cpp"), "-o", dir.file("late")},
                                    dir.path());
  INFO(built.err.substr(0, 4000));
  REQUIRE(built.exit_code == 0);
  auto ran = gg::cpp::run_process({"timeout", "60", dir.file("late")}, dir.path());
  INFO(ran.err.substr(0, 6000));
  CHECK(ran.err.find("AddressSanitizer") == std::string::npos);
  CHECK(ran.exit_code == 0);
  // 300 · 0.5 · 0.25 = 37.5; the narrow product's cell is 256 · 0.5 · 0.25 = 32
  CHECK(ran.out == "main 32\nchild 32\nchild 0\natexit 32\nstatic 32\n");
}
