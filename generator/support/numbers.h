// Number helpers shared by the CLI, the emitters and the interpreter.
#pragma once

#include <cstdint>
#include <string>

namespace gg {

/// "1,234,567": a non-negative count with its digits grouped in threes (reports, messages).
std::string grouped(int64_t v);

/// v rounded to the nearest float (ties to even), as a conversion does on x86, but defined for
/// every double: from FLT_MAX plus half an ulp (2^103) on it is infinity; NaN stays NaN.
float nearest_float(double v);

}  // namespace gg
