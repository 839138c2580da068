// A small fixed-size tensor API for C++ code that gradgen differentiates. Each function maps
// one-to-one onto an IR op (matmul, sigmoid, sum, mse, ...), so a network written with it
// lowers to the same graph as its .grad twin; compiled natively it just computes the values.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <type_traits>

namespace gradgen {

/// Row-major R x C matrix (an IR tensor of shape [R, C]); value-initialised to zeros.
template <std::size_t R, std::size_t C, class T = double>
struct Matrix {
  std::array<T, R * C> data{};
  T& operator()(std::size_t i, std::size_t j) { return data[i * C + j]; }
  const T& operator()(std::size_t i, std::size_t j) const { return data[i * C + j]; }
};

/// Vector of N elements (an IR tensor of shape [N]); broadcasts over the rows of a matrix.
template <std::size_t N, class T = double>
struct Vector {
  std::array<T, N> data{};
  T& operator[](std::size_t i) { return data[i]; }
  const T& operator[](std::size_t i) const { return data[i]; }
};

namespace detail {
template <class X>
struct is_tensor : std::false_type {};
template <std::size_t R, std::size_t C, class T>
struct is_tensor<Matrix<R, C, T>> : std::true_type {};
template <std::size_t N, class T>
struct is_tensor<Vector<N, T>> : std::true_type {};
template <class X>
using if_tensor = std::enable_if_t<is_tensor<X>::value, X>;
template <class X>
using scalar_of = std::remove_cv_t<std::remove_reference_t<decltype(std::declval<X>().data[0])>>;

template <class X, class F>
X map(const X& x, F f) {
  X r;
  for (std::size_t i = 0; i < x.data.size(); ++i) r.data[i] = f(x.data[i]);
  return r;
}
template <class X, class F>
X zip(const X& a, const X& b, F f) {
  X r;
  for (std::size_t i = 0; i < a.data.size(); ++i) r.data[i] = f(a.data[i], b.data[i]);
  return r;
}
// Matrix (op) row vector, numpy broadcasting of [R, C] with [C].
template <std::size_t R, std::size_t C, class T, class F>
Matrix<R, C, T> rows(const Matrix<R, C, T>& a, const Vector<C, T>& b, F f) {
  Matrix<R, C, T> r;
  for (std::size_t i = 0; i < R; ++i)
    for (std::size_t j = 0; j < C; ++j) r(i, j) = f(a(i, j), b[j]);
  return r;
}
}  // namespace detail

// ---- elementwise arithmetic (same shapes, matrix with row vector, or with a scalar)
#define GRADGEN_TENSOR_BINARY(OP)                                                                       \
  template <class X>                                                                                  \
  detail::if_tensor<X> operator OP(const X& a, const X& b) {                                          \
    return detail::zip(a, b, [](auto x, auto y) { return x OP y; });                                  \
  }                                                                                                   \
  template <std::size_t R, std::size_t C, class T>                                                    \
  Matrix<R, C, T> operator OP(const Matrix<R, C, T>& a, const Vector<C, T>& b) {                      \
    return detail::rows(a, b, [](T x, T y) { return x OP y; });                                       \
  }                                                                                                   \
  template <class X>                                                                                  \
  detail::if_tensor<X> operator OP(const X& a, detail::scalar_of<X> s) {                              \
    return detail::map(a, [s](auto x) { return x OP s; });                                            \
  }                                                                                                   \
  template <class X>                                                                                  \
  detail::if_tensor<X> operator OP(detail::scalar_of<X> s, const X& a) {                              \
    return detail::map(a, [s](auto x) { return s OP x; });                                            \
  }
GRADGEN_TENSOR_BINARY(+)
GRADGEN_TENSOR_BINARY(-)
GRADGEN_TENSOR_BINARY(*)
GRADGEN_TENSOR_BINARY(/)
#undef GRADGEN_TENSOR_BINARY

template <class X>
detail::if_tensor<X> operator-(const X& a) {
  return detail::map(a, [](auto x) { return -x; });
}

// ---- elementwise functions (the .grad built-ins of the same name)
template <class X>
detail::if_tensor<X> sigmoid(const X& a) {
  return detail::map(a, [](auto x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); });
}
template <class X>
detail::if_tensor<X> relu(const X& a) {
  return detail::map(a, [](auto x) { return x <= 0 ? decltype(x)(0) : x; });  // NaN passes, as gg::relu
}
template <class X>
detail::if_tensor<X> softplus(const X& a) {
  return detail::map(a, [](auto x) { return std::max(x, decltype(x)(0)) + std::log1p(std::exp(-std::fabs(x))); });
}
template <class X>
detail::if_tensor<X> square(const X& a) {
  return detail::map(a, [](auto x) { return x * x; });
}
#define GRADGEN_TENSOR_UNARY(NAME)                                    \
  template <class X>                                                  \
  detail::if_tensor<X> NAME(const X& a) {                             \
    return detail::map(a, [](auto x) { return std::NAME(x); });       \
  }
GRADGEN_TENSOR_UNARY(tanh)
GRADGEN_TENSOR_UNARY(exp)
GRADGEN_TENSOR_UNARY(log)
GRADGEN_TENSOR_UNARY(sqrt)
GRADGEN_TENSOR_UNARY(abs)
GRADGEN_TENSOR_UNARY(sin)
GRADGEN_TENSOR_UNARY(cos)
#undef GRADGEN_TENSOR_UNARY

// ---- linear algebra
template <std::size_t M, std::size_t K, std::size_t N, class T>
Matrix<M, N, T> matmul(const Matrix<M, K, T>& a, const Matrix<K, N, T>& b) {
  Matrix<M, N, T> r;
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = 0; j < N; ++j)
      for (std::size_t k = 0; k < K; ++k) r(i, j) += a(i, k) * b(k, j);
  return r;
}
template <std::size_t R, std::size_t C, class T>
Matrix<C, R, T> transpose(const Matrix<R, C, T>& a) {
  Matrix<C, R, T> r;
  for (std::size_t i = 0; i < R; ++i)
    for (std::size_t j = 0; j < C; ++j) r(j, i) = a(i, j);
  return r;
}

// ---- reductions (all elements to a scalar)
template <class X, class = detail::if_tensor<X>>
detail::scalar_of<X> sum(const X& a) {
  detail::scalar_of<X> s = 0;
  for (auto x : a.data) s += x;
  return s;
}
template <class X, class = detail::if_tensor<X>>
detail::scalar_of<X> mean(const X& a) {
  return sum(a) / static_cast<detail::scalar_of<X>>(a.data.size());
}

// ---- row-wise softmax over the last axis
template <std::size_t N, class T>
Vector<N, T> log_softmax(const Vector<N, T>& a) {
  T m = *std::max_element(a.data.begin(), a.data.end());
  T s = 0;
  for (T x : a.data) s += std::exp(x - m);
  return detail::map(a, [&](T x) { return x - m - std::log(s); });
}
template <std::size_t R, std::size_t C, class T>
Matrix<R, C, T> log_softmax(const Matrix<R, C, T>& a) {
  Matrix<R, C, T> r;
  for (std::size_t i = 0; i < R; ++i) {
    Vector<C, T> row;
    for (std::size_t j = 0; j < C; ++j) row[j] = a(i, j);
    row = log_softmax(row);
    for (std::size_t j = 0; j < C; ++j) r(i, j) = row[j];
  }
  return r;
}
template <class X>
detail::if_tensor<X> softmax(const X& a) {
  return exp(log_softmax(a));
}

// ---- losses (scalars), as in the .grad language
template <class X, class = detail::if_tensor<X>>
detail::scalar_of<X> sse(const X& p, const X& y) {
  return sum(square(p - y));
}
template <class X, class = detail::if_tensor<X>>
detail::scalar_of<X> mse(const X& p, const X& y) {
  return mean(square(p - y));
}
/// Mean over rows of −Σ_k y_k log_softmax(z)_k (one row for a vector).
template <std::size_t N, class T>
T cross_entropy(const Vector<N, T>& z, const Vector<N, T>& y) {
  return -sum(y * log_softmax(z));
}
template <std::size_t R, std::size_t C, class T>
T cross_entropy(const Matrix<R, C, T>& z, const Matrix<R, C, T>& y) {
  return -sum(y * log_softmax(z)) / static_cast<T>(R);
}

}  // namespace gradgen
