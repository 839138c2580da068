// Optimizer updates for generated `step` functions, one tensor at a time (so per-param
// learning rates apply): SGD with momentum and Adam with bias correction, as in PyTorch.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "isa.hpp"

namespace gg {
inline namespace GG_ISA {

/// v = μ·v + g;  p -= lr·v  (with μ = 0 this is plain SGD and v just holds g).
template <class T>
inline void sgd_update(T* p, const T* g, T* v, std::size_t n, T lr, T momentum) {
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = momentum * v[i] + g[i];
    p[i] -= lr * v[i];
  }
}

/// p -= lr·g: SGD without momentum (the generated step calls this when momentum is 0, so the
/// velocity buffer is neither read nor written).
template <class T>
inline void sgd_update(T* p, const T* g, std::size_t n, T lr) {
  for (std::size_t i = 0; i < n; ++i) p[i] -= lr * g[i];
}

/// m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  p -= lr·m̂/(√v̂ + ε) with m̂ = m/(1−β1ᵗ),
/// v̂ = v/(1−β2ᵗ); t counts steps from 1.
template <class T>
inline void adam_update(T* p, const T* g, T* m, T* v, std::size_t n, T lr, T beta1, T beta2, T eps,
                        std::int64_t t) {
  const T bc1 = T(1) - std::pow(beta1, static_cast<T>(t));
  const T bc2 = T(1) - std::pow(beta2, static_cast<T>(t));
  for (std::size_t i = 0; i < n; ++i) {
    m[i] = beta1 * m[i] + (T(1) - beta1) * g[i];
    v[i] = beta2 * v[i] + (T(1) - beta2) * g[i] * g[i];
    p[i] -= lr * (m[i] / bc1) / (std::sqrt(v[i] / bc2) + eps);
  }
}

}  // namespace GG_ISA
}  // namespace gg
