// Whole-buffer fills and copies for generated code (zero gradients, aliased results).
#pragma once

#include <cstdint>

namespace gg {

template <class T>
inline void fill(T* dst, std::int64_t n, T value) {
  for (std::int64_t i = 0; i < n; ++i) dst[i] = value;
}

template <class T>
inline void copy(T* dst, const T* src, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) dst[i] = src[i];
}

}  // namespace gg
