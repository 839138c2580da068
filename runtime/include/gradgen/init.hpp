// Deterministic parameter initialisation shared by generated code and the reference
// interpreter: the same (seed, name, kind) gives bit-identical values everywhere.
//
// Header-only C++17. No <random> distributions (their algorithms differ between standard
// libraries) and no libm transcendental calls (their last bit differs between libms): the
// generator is splitmix64, uniforms take the top 53 bits, normals use Marsaglia's polar
// method with our own log built from + − × ÷ only, and every product that feeds a sum is
// forced to round first so FMA contraction cannot change a bit. sqrt is IEEE-exact.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "isa.hpp"

namespace gg::rt {
inline namespace GG_ISA {

/// Rounds `x` to double: a store the compiler cannot fuse into a following add (no FMA
/// contraction, no x87 excess precision). Only used on the cold init path.
inline double rounded(double x) {
  volatile double v = x;
  return v;
}

/// splitmix64's output function: a bijective 64-bit mixer.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// FNV-1a over the bytes of `s`: names a parameter's stream independent of its position.
inline uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ull;
  }
  return h;
}

/// ln(x) for finite x > 0, accurate to a few ulps, using only exactly-rounded operations:
/// x = m·2ᵉ with m in [√½, √2), ln m = 2·atanh(s) = 2(s + s³/3 + s⁵/5 + …), s = (m−1)/(m+1).
inline double det_log(double x) {
  int e = 0;
  double m = std::frexp(x, &e);  // exact: m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2.0;  // exact
    e -= 1;
  }
  double s = (m - 1.0) / (m + 1.0);  // |s| <= 0.1716, s² <= 0.0295
  double s2 = rounded(s * s);
  double sum = 1.0 / 27.0;  // Horner over 1/(2k+1), k = 13 .. 0: the tail is below 1e-20
  for (int k = 12; k >= 0; --k) sum = rounded(sum * s2) + 1.0 / (2.0 * k + 1.0);
  const double ln2_hi = 6.93147180369123816490e-01;  // ln 2 split so e·ln2_hi is exact
  const double ln2_lo = 1.90821492927058770002e-10;
  double ed = static_cast<double>(e);
  return rounded(ed * ln2_hi) + (rounded(ed * ln2_lo) + rounded(2.0 * s * sum));
}

/// One parameter's random stream: splitmix64 seeded from (seed, parameter name).
class Rng {
 public:
  Rng(uint64_t seed, std::string_view name) : state_(mix64(seed) ^ fnv1a64(name)) {}

  uint64_t next_u64() {
    state_ += 0x9E3779B97F4A7C15ull;
    return mix64(state_);
  }
  /// Uniform in [0, 1), a multiple of 2⁻⁵³.
  double uniform01() { return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0); }
  /// Uniform in [a, b).
  double uniform(double a, double b) { return a + rounded((b - a) * uniform01()); }
  /// Standard normal, Marsaglia's polar method; the second value of each pair is kept.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u = 0, v = 0, s = 0;
    do {
      u = 2.0 * uniform01() - 1.0;  // exact
      v = 2.0 * uniform01() - 1.0;
      s = rounded(u * u) + rounded(v * v);
    } while (s >= 1.0 || s == 0.0);
    double f = std::sqrt(-2.0 * det_log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }

 private:
  uint64_t state_;
  bool has_spare_ = false;
  double spare_ = 0;
};

/// Result of init_tensor: Ok, or why the request was rejected (the caller words the error).
enum class InitStatus { Ok, UnknownKind, WrongArgCount, NeedsRank2 };

/// Fills data[0..n) for init `kind` (zeros, ones, constant(c), uniform(a, b), normal(mean, std),
/// xavier_uniform, xavier_normal, he_uniform, he_normal) with PyTorch's formulas; fan_in and
/// fan_out are the two dims of a rank-2 param (pass rank 2 via `rank`). Values are computed in
/// double and converted to T, so f32 and f64 code agree up to that one rounding.
template <class T>
InitStatus init_tensor(std::string_view kind, const double* args, std::size_t nargs, int rank, int64_t fan_in,
                       int64_t fan_out, uint64_t seed, std::string_view name, T* data, std::size_t n) {
  auto fill = [&](auto f) {
    for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<T>(f());
  };
  auto want = [&](std::size_t k) { return nargs == k; };
  Rng rng(seed, name);
  double fin = static_cast<double>(fan_in), fout = static_cast<double>(fan_out);
  bool fans = kind.rfind("xavier_", 0) == 0 || kind.rfind("he_", 0) == 0;
  if (fans && rank != 2) return InitStatus::NeedsRank2;
  if (kind == "zeros" || kind == "ones" || kind == "constant") {
    if (!want(kind == "constant" ? 1 : 0)) return InitStatus::WrongArgCount;
    double c = kind == "zeros" ? 0.0 : kind == "ones" ? 1.0 : args[0];
    fill([&] { return c; });
  } else if (kind == "uniform" || kind == "normal") {
    if (!want(2)) return InitStatus::WrongArgCount;
    double a = args[0], b = args[1];
    if (kind == "uniform") fill([&] { return rng.uniform(a, b); });
    else fill([&] { return a + rounded(b * rng.normal()); });
  } else if (kind == "xavier_uniform" || kind == "he_uniform") {
    if (!want(0)) return InitStatus::WrongArgCount;
    // xavier: U(±√(6/(fan_in + fan_out))); he (kaiming, relu gain √2, fan_in mode): U(±√(6/fan_in)).
    double bound = kind == "xavier_uniform" ? std::sqrt(6.0 / (fin + fout)) : std::sqrt(6.0 / fin);
    fill([&] { return rng.uniform(-bound, bound); });
  } else if (kind == "xavier_normal" || kind == "he_normal") {
    if (!want(0)) return InitStatus::WrongArgCount;
    // xavier: N(0, 2/(fan_in + fan_out)); he: N(0, 2/fan_in).
    double sd = kind == "xavier_normal" ? std::sqrt(2.0 / (fin + fout)) : std::sqrt(2.0 / fin);
    fill([&] { return rounded(sd * rng.normal()); });
  } else {
    return InitStatus::UnknownKind;
  }
  return InitStatus::Ok;
}

}  // namespace GG_ISA
}  // namespace gg::rt
