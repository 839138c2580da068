// A small generator of random well-shaped .grad networks over every user-callable op (fixed
// seeds, so the e2e suite is deterministic).
#pragma once

#include <cstdint>
#include <string>

namespace e2e {

/// The source of network `name`, built from `seed`.
std::string random_network(const std::string& name, uint64_t seed);

}  // namespace e2e
