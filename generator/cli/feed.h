// FEED.json for `eval`: one object mapping input, target and param names to nested arrays
// (row-major) or plain numbers, read into interpreter Values.
#pragma once

#include <string>

#include "interp/interpreter.h"

namespace gg::cli {

/// Reads `path` into Values, one Tensor per key, its shape taken from the nesting. Throws
/// InputError naming the file (with line and column for invalid JSON) and the tensor for a
/// non-object root, a non-numeric or non-finite element, ragged or empty arrays.
/// Whether the names and shapes fit the network is checked later (infer_dims).
Values read_feed(const std::string& path);

/// Parses feed text; `path` is only used in messages.
Values parse_feed(const std::string& text, const std::string& path);

}  // namespace gg::cli
