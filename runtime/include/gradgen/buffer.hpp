// Whole-buffer fills and copies for generated code (zero gradients, aliased results), and the
// flat view of a multi-dimensional param or gradient array.
#pragma once

#include <cstdint>
#include <type_traits>

#include "isa.hpp"

namespace gg {
inline namespace GG_ISA {

template <class T>
inline void fill(T* dst, std::int64_t n, T value) {
  for (std::int64_t i = 0; i < n; ++i) dst[i] = value;
}

template <class T>
inline void copy(T* dst, const T* src, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) dst[i] = src[i];
}

/// An array of any rank (a param W[4][3], its gradient) as a pointer to its first element, for
/// code that walks all of it. GCC takes &W[0][0] to point into the first row only and then
/// warns (-Wstringop-overflow, an error under -Werror) when a vectorized loop writes past it.
template <class A>
inline std::remove_all_extents_t<A>* flat(A& a) noexcept {
  return reinterpret_cast<std::remove_all_extents_t<A>*>(&a);
}

}  // namespace GG_ISA
}  // namespace gg
