// run_on_large_stack: the Clang front end runs on it, so that a long chain of operators (which
// Clang recurses over once per operator) is reported instead of overflowing the stack.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "support/big_stack.h"

namespace gg {
namespace {

// About 1 KiB of stack per level; the volatile accesses keep each frame and its array.
int descend(int levels) {
  volatile char frame[1024];
  frame[0] = static_cast<char>(levels);
  if (levels == 0) return 0;
  const int below = descend(levels - 1);
  return below + 1 + (frame[0] == static_cast<char>(levels) ? 0 : 1000000);
}

// Each level reads back what it stored after the call returns (never): its frame stays.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"  // the point of this function
int descend_forever(int level) {
  volatile char frame[4096];
  frame[0] = static_cast<char>(level);
  return descend_forever(level + 1) + frame[0];
}
#pragma GCC diagnostic pop

// Runs `child` in a forked process; its exit status (-1 if it did not exit) and its stderr.
std::pair<int, std::string> in_child(void (*child)()) {
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    child();
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string err;
  char buf[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buf, sizeof buf)) > 0;) err.append(buf, static_cast<size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, err};
}

}  // namespace

TEST_CASE("work on the large stack may recurse far past the 8 MiB of the main thread", "[support]") {
  int levels = 0;
  run_on_large_stack([&] { levels = descend(100000); });  // about 100 MiB
  CHECK(levels == 100000);
}

TEST_CASE("an exception thrown on the large stack reaches the caller", "[support]") {
  CHECK_THROWS_WITH(run_on_large_stack([] { throw std::runtime_error("from the big stack"); }), "from the big stack");
}

TEST_CASE("running out of the large stack too is an error with exit status 1, not a crash", "[support]") {
  const auto [status, err] = in_child([] { run_on_large_stack([] { descend_forever(0); }); });
  CHECK(status == 1);
#if !defined(__SANITIZE_ADDRESS__)  // AddressSanitizer reports the overflow itself (also status 1)
  CHECK(err ==
        "gradgen: error: the input nests too deeply: reading it used up a 1 GiB stack (a chain of millions of "
        "operators, say); split long expressions into statements\n");
#endif
}

}  // namespace gg
