// A small generator of random well-shaped .grad networks over every user-callable op (fixed
// seeds, so the e2e suite is deterministic).
#pragma once

#include <cstdint>
#include <string>

namespace e2e {

/// Deterministic random numbers for the random-network generators (splitmix64).
struct Gen {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int pick(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
  int range(int lo, int hi) { return lo + pick(hi - lo + 1); }  // [lo, hi]
};

/// The source of network `name`, built from `seed`.
std::string random_network(const std::string& name, uint64_t seed);

}  // namespace e2e
