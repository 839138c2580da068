// 64-byte aligned float arrays for every implementation's data: the same alignment a user
// gets from the generated Params/Workspace types (alignas(64)) and from aligned_alloc, so that
// no row of the bench runs on malloc's 16-byte alignment (5% on W3 for the large GEMMs).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace bench {

template <class T>
struct Aligned64 {
  using value_type = T;
  Aligned64() = default;
  template <class U>
  Aligned64(const Aligned64<U>&) {}
  T* allocate(std::size_t n) {
    const std::size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    if (void* p = std::aligned_alloc(64, bytes > 0 ? bytes : 64)) return static_cast<T*>(p);
    throw std::bad_alloc();
  }
  void deallocate(T* p, std::size_t) { std::free(p); }
  template <class U>
  bool operator==(const Aligned64<U>&) const { return true; }
  template <class U>
  bool operator!=(const Aligned64<U>&) const { return false; }
};

using Floats = std::vector<float, Aligned64<float>>;

}  // namespace bench
