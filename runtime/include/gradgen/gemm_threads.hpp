// The pool of threads gradgen's own GEMM (gradgen/gemm.hpp) splits large products over, and
// its setting. Kept apart from the kernels, which are compiled per instruction set (isa.hpp):
// a program has one pool and one setting, whichever flags each of its files was built with.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#endif

namespace gg {

namespace threads_detail {

// A pool of persistent workers; run(n, f) calls f(0) .. f(n - 1), f(0) on the caller, and
// returns when all are done. Workers spin briefly for the next job (products in a training
// step follow each other closely) and then sleep.
//
// The pool is never destroyed: a product run from an atexit handler or a static object's
// destructor still finds it (its workers end with the process, as OpenBLAS's do). A child made
// by fork() has none of its parent's threads, so it starts a pool of its own on first use.
class Pool {
 public:
  static Pool& instance() {
    Pool* pool = slot().load(std::memory_order_acquire);
    if (pool) return *pool;
    static const bool fork_handled = (register_fork_handler(), true);
    static_cast<void>(fork_handled);
    Pool* fresh = new Pool;
    if (slot().compare_exchange_strong(pool, fresh, std::memory_order_acq_rel)) return *fresh;
    delete fresh;  // another thread made the pool first
    return *pool;
  }
  int threads() const { return threads_.load(std::memory_order_relaxed); }
  void set_threads(int n) {
    n = std::clamp(n, 1, kMaxThreads);
    requested().store(n, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(resize_);
    if (n == threads_ && static_cast<int>(workers_.size()) == n - 1) return;
    stop_workers();
    threads_ = n;
    // Each worker starts from the generation current now, so a job posted before it first
    // runs is not missed.
    const std::uint64_t now = generation_.load(std::memory_order_acquire);
    for (int t = 1; t < n; ++t) {
#if defined(__cpp_exceptions)
      // A thread that cannot be started (a process at its limit): run with the ones that did.
      try {
        workers_.emplace_back([this, t, now] { work(t, now); });
      } catch (const std::system_error&) {
        threads_ = t;
        break;
      }
#else
      workers_.emplace_back([this, t, now] { work(t, now); });
#endif
    }
  }
  template <class F>
  void run(int n, F&& f) {
    if (n <= 1 || threads() <= 1) {
      for (int t = 0; t < n; ++t) f(t);
      return;
    }
    std::lock_guard<std::mutex> lock(resize_);
    job_ = [&f](int t) { f(t); };
    const int jobs = std::min(n, threads());
    pending_.store(jobs - 1, std::memory_order_relaxed);
    post(jobs);
    f(0);
    for (int t = jobs; t < n; ++t) f(t);
    while (pending_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  }
  ~Pool() { stop_workers(); }

 private:
  Pool() {
    const int set = requested().load(std::memory_order_relaxed);
    set_threads(set > 0 ? set : threads_from_environment());
  }
  // $GG_NUM_THREADS as a whole number (strtol: atoi is undefined past int's range); anything
  // else, or none, is 1, and set_threads clamps it to [1, kMaxThreads].
  static int threads_from_environment() {
    const char* env = std::getenv("GG_NUM_THREADS");
    if (!env || !*env) return 1;
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (*end != '\0') return 1;
    return static_cast<int>(std::clamp<long>(n, 1, kMaxThreads));
  }
  static std::atomic<Pool*>& slot() {
    static std::atomic<Pool*> pool{nullptr};
    return pool;
  }
  // The thread count last set (0: none yet, read $GG_NUM_THREADS), kept for a forked child's pool.
  static std::atomic<int>& requested() {
    static std::atomic<int> n{0};
    return n;
  }
  // In the child the parent's pool is left as it is (its workers and maybe its locks belong to
  // threads that do not exist there); the next product makes a new one.
  static void register_fork_handler() {
#if defined(__unix__) || defined(__APPLE__)
    pthread_atfork(nullptr, nullptr, [] { slot().store(nullptr, std::memory_order_release); });
#endif
  }
  // A new generation for `jobs` participants (threads 0 .. jobs - 1). The count travels in the
  // same atomic word as the generation, so a worker that wakes late cannot pair one
  // generation with another's count and run a job twice or one it was not given.
  void post(int jobs) {
    {
      std::lock_guard<std::mutex> wake(mutex_);
      const std::uint64_t next = (generation_.load(std::memory_order_relaxed) >> 8) + 1;
      generation_.store(next << 8 | static_cast<std::uint64_t>(jobs), std::memory_order_release);
    }
    cv_.notify_all();
  }
  void stop_workers() {
    stopping_.store(true, std::memory_order_release);
    post(0);
    for (std::thread& w : workers_) w.join();
    workers_.clear();
    stopping_.store(false, std::memory_order_release);
  }
  void work(int t, std::uint64_t seen) {
    for (;;) {
      // Spin, offering the core to others every few rounds: on a machine with more runnable
      // threads than cores a pure spin would take the time slice of the thread it waits for.
      for (int spin = 0; spin < 20000 && generation_.load(std::memory_order_acquire) == seen; ++spin) {
        if (spin % 16 == 15)
          std::this_thread::yield();
        else
          cpu_relax();
      }
      if (generation_.load(std::memory_order_acquire) == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      }
      seen = generation_.load(std::memory_order_acquire);
      if (stopping_.load(std::memory_order_acquire)) return;
      if (t < static_cast<int>(seen & 0xFF)) {  // a participant of this generation
        job_(t);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }
  static void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  std::mutex resize_, mutex_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
  std::function<void(int)> job_;
  static constexpr int kMaxThreads = 255;      // the participant count is 8 bits of generation_
  std::atomic<std::uint64_t> generation_{0};  // sequence number << 8 | participants
  std::atomic<int> pending_{0};
  std::atomic<int> threads_{1};  // read by running products while set_threads may write it
  std::atomic<bool> stopping_{false};
};

}  // namespace threads_detail

/// Threads gradgen's products use (default: $GG_NUM_THREADS, else 1).
inline void set_gemm_threads(int n) { threads_detail::Pool::instance().set_threads(n); }
inline int gemm_threads() { return threads_detail::Pool::instance().threads(); }

}  // namespace gg
