// A test/eval driver for generated code: a main() that evaluates networks at given values and
// prints loss, outputs and gradients in a line format parse_driver_output reads back. Used by
// compiled `eval`/`check` and by the end-to-end tests (several networks per program).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "emit/cpp_api.h"

namespace gg::cpp {

struct DriverCase {
  const CppApi* api;
  std::map<std::string, std::vector<double>> values;  // inputs and targets (all), params (those fed)
  std::map<std::string, int64_t> dims;                // every declared dim
  uint64_t seed = 0;                                  // init for params not in `values`
  bool forward = true;                                // also run forward (outputs)
};

/// The driver's source: includes each case's NAME.hpp (each network once) and prints, per case,
///   case K status S          S: the first non-zero Status, or 0
///   loss V
///   output NAME COUNT v...   (forward results)
///   grad NAME COUNT v...     (params in order, then grad inputs)
/// with every value as %.17g.
std::string driver_source(const std::vector<DriverCase>& cases);

struct DriverOutput {
  int status = -1;
  double loss = 0;
  std::map<std::string, std::vector<double>> outputs, grads;
};

/// Parses a driver's stdout; throws std::runtime_error on malformed text.
std::vector<DriverOutput> parse_driver_output(const std::string& text);

}  // namespace gg::cpp
