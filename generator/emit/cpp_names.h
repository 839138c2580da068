// Identifiers and literals for the C++ emitter: deterministic mangling of source names that
// are C/C++ keywords, reserved identifiers or clash with the generated API, and scalar literals.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "ir/program.h"

namespace gg::cpp {

/// True for names generated code cannot use as-is: C and C++ keywords, alternative tokens,
/// the object-like macros of the headers it includes (INT64_MAX, EINVAL; system_names.inc),
/// common typedefs, the generated API's own names and its local variables.
bool is_reserved(std::string_view name);

/// True for names those headers declare at global scope (sqrt, malloc, printf, nullptr_t),
/// which a top-level namespace cannot take.
bool is_system_global(std::string_view name);

/// A legal, unreserved identifier for `raw`: invalid characters become '_', a leading digit
/// or underscore gets a 'v'/'u' prefix, "__" becomes "_x_", and a reserved word gets a '_' suffix.
std::string mangle(std::string_view raw);

/// mangle(), then '_' appended while the result is a system global: the namespace of a network
/// named `sqrt` is `sqrt_`.
std::string mangle_namespace(std::string_view raw);

/// Hands out unique identifiers in request order (so names are stable run to run): a name
/// already taken gets "_2", "_3", ... appended.
class Namer {
 public:
  std::string claim(std::string_view raw);
  bool taken(const std::string& s) const { return used_.count(s) != 0; }

 private:
  std::set<std::string> used_;
};

/// The input's file name as the generated files' first line quotes it: without its folder
/// (output must not depend on where the input was, nor hold absolute paths), and with control
/// characters and backslashes as '?' (a newline or a trailing '\\' would end the comment).
std::string source_name(std::string_view path);

/// A literal of the scalar type that reads back as `v`: "0.5f", "2.0", "(-1.0f)".
std::string literal(double v, Precision p);

/// `sum`, a gg::Accum<Scalar> expression, as a Scalar: a cast in f32 (sums are kept in double);
/// in f64 the types are the same and a cast would be noise (and -Wuseless-cast).
std::string from_accum(const std::string& sum, Precision p);

}  // namespace gg::cpp
