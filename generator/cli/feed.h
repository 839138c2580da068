// FEED.json for `eval`: one object mapping input, target and param names to nested arrays
// (row-major) or plain numbers, read into interpreter Values.
#pragma once

#include <string>
#include <vector>

#include "interp/interpreter.h"

namespace gg::cli {

/// A C++ function's feed (Program::flat_values; nothing changes for a .grad network). Its
/// arrays are fed flat, in element order: a fed array of one dimension with as many values as
/// a fixed-shape leaf (a gradgen::Matrix<2, 3> param fed [1, 2, 3, 4, 5, 6]) takes that leaf's
/// shape. (infer_dims requires every parameter of a C++ function: there is no init= to fall
/// back on.)
void fit_cpp_feed(const Program& p, Values& fed);

/// Reads `path` into Values, one Tensor per key, its shape taken from the nesting. Throws
/// LocatedError (FILE:LINE:COL of the offending value) for invalid JSON, a non-object root, a
/// non-numeric or non-finite element, ragged or empty arrays; InputError when unreadable.
/// Whether the names and shapes fit the network is checked later (infer_dims).
Values read_feed(const std::string& path);

/// Parses feed text; `path` is only used in messages.
Values parse_feed(const std::string& text, const std::string& path);

/// infer_dims for values read from the feed file at `path`: a fed tensor that does not fit the
/// network is a LocatedError at its value in the file (read again), any other mismatch (a
/// missing input, or a missing parameter of a C++ function) an InputError naming the file.
DimBindings feed_dims(const Program& p, const Values& fed, const std::string& path);

/// For an f32 evaluation: a LocatedError at the first fed number past float's range (it would
/// silently be infinite).
void require_f32_feed(const Values& fed, const std::string& path, bool cpp_input);

/// The names fed, in order.
std::vector<std::string> names_of(const Values& fed);

}  // namespace gg::cli
