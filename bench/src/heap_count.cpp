// Heap accounting: the malloc family is interposed (the executable's definitions win over
// libc's for every library in the process) and forwards to glibc's __libc_* entry points.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>

#include "machine.h"

#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer owns the malloc family: no accounting (the table then shows 0 B).
namespace bench {
long long heap_live() { return 0; }
long long heap_peak() { return 0; }
void reset_heap_peak() {}
}  // namespace bench
#else

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

namespace {

std::atomic<long long> g_live{0}, g_peak{0};

void on_alloc(void* p) {
  if (!p) return;
  const auto n = static_cast<long long>(malloc_usable_size(p));
  const long long now = g_live.fetch_add(n, std::memory_order_relaxed) + n;
  long long peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

void on_free(void* p) {
  if (p) g_live.fetch_sub(static_cast<long long>(malloc_usable_size(p)), std::memory_order_relaxed);
}

bool valid_alignment(size_t al) { return al != 0 && (al & (al - 1)) == 0; }

}  // namespace

extern "C" {

void* malloc(size_t n) {
  void* p = __libc_malloc(n);
  on_alloc(p);
  return p;
}

void* calloc(size_t n, size_t size) {
  void* p = __libc_calloc(n, size);
  on_alloc(p);
  return p;
}

void* realloc(void* old, size_t n) {
  const long long before = old ? static_cast<long long>(malloc_usable_size(old)) : 0;
  void* p = __libc_realloc(old, n);
  if (p || n == 0) {  // on failure the old block is untouched
    g_live.fetch_sub(before, std::memory_order_relaxed);
    on_alloc(p);
  }
  return p;
}

void free(void* p) {
  on_free(p);
  __libc_free(p);
}

void* memalign(size_t al, size_t n) {
  void* p = __libc_memalign(al, n);
  on_alloc(p);
  return p;
}

void* aligned_alloc(size_t al, size_t n) { return memalign(al, n); }

int posix_memalign(void** out, size_t al, size_t n) {
  if (!valid_alignment(al) || al % sizeof(void*) != 0) return EINVAL;
  void* p = memalign(al, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

void* valloc(size_t n) { return memalign(static_cast<size_t>(sysconf(_SC_PAGESIZE)), n); }

void* pvalloc(size_t n) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return memalign(page, (n + page - 1) / page * page);
}

}  // extern "C"

namespace bench {

long long heap_live() { return g_live.load(std::memory_order_relaxed); }
long long heap_peak() { return g_peak.load(std::memory_order_relaxed); }
void reset_heap_peak() { g_peak.store(heap_live(), std::memory_order_relaxed); }

}  // namespace bench
#endif

namespace bench {

long long max_rss() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<long long>(u.ru_maxrss) * 1024;
}

}  // namespace bench
