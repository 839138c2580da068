#include "support/big_stack.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <exception>

namespace gg {
namespace {

constexpr std::size_t kStackBytes = std::size_t(1) << 30;
constexpr std::size_t kGuardBytes = std::size_t(64) << 10;  // inaccessible, below the stack

// The running big stack's guard region, where an overflow faults (read by the signal handler),
// and the SIGSEGV action it replaced.
std::uintptr_t guard_begin = 0, guard_end = 0;
struct sigaction previous_segv;

// Runs on the alternate signal stack. A fault in the guard region is the stack running out,
// reported as an input error. Any other fault goes back to the handler that was there before
// (the default, or a sanitizer's), which then sees the faulting instruction fault again.
void on_segv(int, siginfo_t* info, void*) {
  const auto at = reinterpret_cast<std::uintptr_t>(info->si_addr);
  if (at >= guard_begin && at < guard_end) {
    static const char kMessage[] =
        "gradgen: error: the input nests too deeply: reading it used up a 1 GiB stack (a chain of "
        "millions of operators, say); split long expressions into statements\n";
    [[maybe_unused]] const ssize_t n = write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    _exit(1);
  }
  sigaction(SIGSEGV, &previous_segv, nullptr);
}

struct Job {
  const std::function<void()>* work;
  std::exception_ptr error;
};

void* run_job(void* p) {
  auto* job = static_cast<Job*>(p);
  static char alternate[64 << 10];  // the handler's stack: the faulting one has no room left
  stack_t ss{}, previous{};
  ss.ss_sp = alternate;
  ss.ss_size = sizeof alternate;
  const bool swapped = sigaltstack(&ss, &previous) == 0;
  try {
    (*job->work)();
  } catch (...) {
    job->error = std::current_exception();
  }
  // The thread's own alternate stack back: AddressSanitizer unmaps the one it gave the thread
  // when the thread ends, and aborts if that is not the one installed.
  if (swapped) sigaltstack(&previous, nullptr);
  return nullptr;
}

}  // namespace

void run_on_large_stack(const std::function<void()>& work) {
  const std::size_t total = kStackBytes + kGuardBytes;
  void* region =
      mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (region == MAP_FAILED) return work();
  char* low = static_cast<char*>(region);
  mprotect(low, kGuardBytes, PROT_NONE);
  guard_begin = reinterpret_cast<std::uintptr_t>(low);
  guard_end = guard_begin + kGuardBytes;

  struct sigaction sa {};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &previous_segv);

  Job job{&work, nullptr};
  pthread_attr_t attr;
  pthread_t thread;
  pthread_attr_init(&attr);
  const bool started = pthread_attr_setstack(&attr, low + kGuardBytes, kStackBytes) == 0 &&
                       pthread_create(&thread, &attr, run_job, &job) == 0;
  pthread_attr_destroy(&attr);
  if (started) pthread_join(thread, nullptr);
  sigaction(SIGSEGV, &previous_segv, nullptr);
  munmap(region, total);
  if (!started) return work();
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace gg
